package diagnose

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Gateway API fields the analyzers read, as the API defines them. igw does not depend on the
// Gateway API's Go module for a handful of fields; decoding is lenient (unknown fields are
// ignored), and an object that does not decode is left to `igwctl validate`.

type httpRoute struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		ParentRefs []parentRef `json:"parentRefs,omitempty"`
		Hostnames  []string    `json:"hostnames,omitempty"`
		Rules      []routeRule `json:"rules,omitempty"`
	} `json:"spec"`
	Status struct {
		Parents []routeParentStatus `json:"parents,omitempty"`
	} `json:"status"`
}

type parentRef struct {
	Group       *string `json:"group,omitempty"`
	Kind        *string `json:"kind,omitempty"`
	Namespace   *string `json:"namespace,omitempty"`
	Name        string  `json:"name"`
	SectionName *string `json:"sectionName,omitempty"`
	Port        *int32  `json:"port,omitempty"`
}

type routeRule struct {
	Matches     []routeMatch `json:"matches,omitempty"`
	BackendRefs []backendRef `json:"backendRefs,omitempty"`
}

type routeMatch struct {
	Path *struct {
		Type  *string `json:"type,omitempty"`
		Value *string `json:"value,omitempty"`
	} `json:"path,omitempty"`
	Headers     []headerMatch `json:"headers,omitempty"`
	QueryParams []headerMatch `json:"queryParams,omitempty"`
	Method      *string       `json:"method,omitempty"`
}

type headerMatch struct {
	Type  *string `json:"type,omitempty"`
	Name  string  `json:"name"`
	Value string  `json:"value"`
}

type backendRef struct {
	Group     *string `json:"group,omitempty"`
	Kind      *string `json:"kind,omitempty"`
	Name      string  `json:"name"`
	Namespace *string `json:"namespace,omitempty"`
	Port      *int32  `json:"port,omitempty"`
	Weight    *int32  `json:"weight,omitempty"`
}

type routeParentStatus struct {
	ParentRef      parentRef          `json:"parentRef"`
	ControllerName string             `json:"controllerName,omitempty"`
	Conditions     []metav1.Condition `json:"conditions,omitempty"`
}

type gatewayObj struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		GatewayClassName string     `json:"gatewayClassName"`
		Listeners        []listener `json:"listeners,omitempty"`
	} `json:"spec"`
	Status struct {
		Addresses []struct {
			Value string `json:"value"`
		} `json:"addresses,omitempty"`
		Conditions []metav1.Condition `json:"conditions,omitempty"`
	} `json:"status"`
}

type listener struct {
	Name          string  `json:"name"`
	Hostname      *string `json:"hostname,omitempty"`
	Port          int32   `json:"port"`
	Protocol      string  `json:"protocol"`
	AllowedRoutes *struct {
		Namespaces *struct {
			From     *string               `json:"from,omitempty"`
			Selector *metav1.LabelSelector `json:"selector,omitempty"`
		} `json:"namespaces,omitempty"`
	} `json:"allowedRoutes,omitempty"`
}

type gatewayClassObj struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		ControllerName string `json:"controllerName"`
	} `json:"spec"`
	Status struct {
		Conditions []metav1.Condition `json:"conditions,omitempty"`
	} `json:"status"`
}

type referenceGrant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		From []struct {
			Group     string `json:"group"`
			Kind      string `json:"kind"`
			Namespace string `json:"namespace"`
		} `json:"from"`
		To []refGrantTo `json:"to"`
	} `json:"spec"`
}

type refGrantTo struct {
	Group string  `json:"group"`
	Kind  string  `json:"kind"`
	Name  *string `json:"name,omitempty"`
}

// condition returns the condition of type t, or nil.
func condition(cs []metav1.Condition, t string) *metav1.Condition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}

// isFalse reports whether condition t is present and False.
func isFalse(cs []metav1.Condition, t string) (*metav1.Condition, bool) {
	c := condition(cs, t)
	return c, c != nil && c.Status == metav1.ConditionFalse
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
