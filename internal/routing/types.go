// Package routing is Gateway API's HTTPRoute matching as a gateway applies it, for predictions
// made before any traffic is sent: which route and rule a request takes among the routes attached
// to a Gateway, why the others lose, and how a rule's weights split the traffic. It is pure: the
// caller reads the objects (from files or a cluster) and decodes them with FromObject.
package routing

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The Gateway API defaults that decoding fills in, so matching never has to.
const (
	GatewayGroup = "gateway.networking.k8s.io"
	PathExact    = "Exact"
	PathPrefix   = "PathPrefix"
	PathRegex    = "RegularExpression"
	MatchExact   = "Exact"
	MatchRegex   = "RegularExpression"
)

// Route is an HTTPRoute as matching reads it, with every default applied.
type Route struct {
	Namespace, Name string
	Created         time.Time
	Labels          map[string]string
	ParentRefs      []ParentRef
	Hostnames       []string
	Rules           []Rule
	Parents         []ParentStatus
}

// Key is "namespace/name", the tie-breaker of last resort.
func (r *Route) Key() string { return r.Namespace + "/" + r.Name }

// ParentRef is one parentRef; Port 0 means none given.
type ParentRef struct {
	Group, Kind, Namespace, Name, SectionName string
	Port                                      int32
}

// ParentStatus is what one Gateway's controller wrote about the route.
type ParentStatus struct {
	Gateway    string // namespace/name
	Controller string
	Conditions []metav1.Condition
}

// Rule is one rule: a request matching any of its matches goes to its backends.
type Rule struct {
	Name     string
	Matches  []Match
	Backends []Backend
}

// Match is one HTTPRouteMatch; every condition in it must hold.
type Match struct {
	PathType, PathValue string
	Headers, Query      []ValueMatch
	Method              string
}

// ValueMatch is a header or query parameter match.
type ValueMatch struct {
	Type, Name, Value string
}

// Backend is one backendRef; Weight is 1 when the route does not say.
type Backend struct {
	Group, Kind, Namespace, Name string
	Port                         int32
	Weight                       int32
}

// String names the backend as kubectl would: "InferencePool default/llama".
func (b Backend) String() string { return b.Kind + " " + b.Namespace + "/" + b.Name }

// Gateway is a Gateway's listeners, which decide which routes attach and for which hostnames.
type Gateway struct {
	Namespace, Name string
	Listeners       []Listener
}

// Key is "namespace/name".
func (g *Gateway) Key() string { return g.Namespace + "/" + g.Name }

// Listener is one listener; From is allowedRoutes.namespaces.from ("Same" by default).
type Listener struct {
	Name, Hostname, Protocol string
	Port                     int32
	From                     string
}

// wire types: the fields matching reads, pointers where the API defaults an absent value.
type wireRoute struct {
	Spec struct {
		ParentRefs []struct {
			Group, Kind, Namespace, SectionName *string
			Name                                string
			Port                                *int32
		} `json:"parentRefs"`
		Hostnames []string `json:"hostnames"`
		Rules     []struct {
			Name    string `json:"name"`
			Matches []struct {
				Path *struct {
					Type, Value *string
				} `json:"path"`
				Headers     []wireValueMatch `json:"headers"`
				QueryParams []wireValueMatch `json:"queryParams"`
				Method      *string          `json:"method"`
			} `json:"matches"`
			BackendRefs []struct {
				Group, Kind, Namespace *string
				Name                   string
				Port                   *int32
				Weight                 *int32
			} `json:"backendRefs"`
		} `json:"rules"`
	} `json:"spec"`
	Status struct {
		Parents []struct {
			ParentRef struct {
				Namespace *string
				Name      string
			} `json:"parentRef"`
			ControllerName string             `json:"controllerName"`
			Conditions     []metav1.Condition `json:"conditions"`
		} `json:"parents"`
	} `json:"status"`
}

type wireValueMatch struct {
	Type        *string
	Name, Value string
}

func or(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}

// FromObject decodes an HTTPRoute. An object that does not decode is an error naming it; what
// the API server would refuse is `igwctl validate`'s to report.
func FromObject(u *unstructured.Unstructured) (Route, error) {
	var w wireRoute
	data, err := json.Marshal(u.Object)
	if err == nil {
		err = json.Unmarshal(data, &w)
	}
	if err != nil {
		return Route{}, fmt.Errorf("HTTPRoute %s/%s: %v", u.GetNamespace(), u.GetName(), err)
	}
	ns := u.GetNamespace()
	r := Route{Namespace: ns, Name: u.GetName(), Created: u.GetCreationTimestamp().Time, Labels: u.GetLabels(), Hostnames: w.Spec.Hostnames}
	for _, p := range w.Spec.ParentRefs {
		pr := ParentRef{Group: or(p.Group, GatewayGroup), Kind: or(p.Kind, "Gateway"), Namespace: or(p.Namespace, ns), Name: p.Name, SectionName: or(p.SectionName, "")}
		if p.Port != nil {
			pr.Port = *p.Port
		}
		r.ParentRefs = append(r.ParentRefs, pr)
	}
	for _, wr := range w.Spec.Rules {
		rule := Rule{Name: wr.Name}
		for _, m := range wr.Matches {
			mt := Match{PathType: PathPrefix, PathValue: "/", Method: or(m.Method, "")}
			if m.Path != nil {
				mt.PathType, mt.PathValue = or(m.Path.Type, PathPrefix), or(m.Path.Value, "/")
			}
			mt.Headers, mt.Query = decodeValueMatches(m.Headers), decodeValueMatches(m.QueryParams)
			rule.Matches = append(rule.Matches, mt)
		}
		if len(rule.Matches) == 0 {
			// A rule without matches matches every request, as one PathPrefix "/" match.
			rule.Matches = []Match{{PathType: PathPrefix, PathValue: "/"}}
		}
		for _, b := range wr.BackendRefs {
			be := Backend{Group: or(b.Group, ""), Kind: or(b.Kind, "Service"), Namespace: or(b.Namespace, ns), Name: b.Name, Weight: 1}
			if b.Port != nil {
				be.Port = *b.Port
			}
			if b.Weight != nil {
				be.Weight = *b.Weight
			}
			rule.Backends = append(rule.Backends, be)
		}
		r.Rules = append(r.Rules, rule)
	}
	for _, p := range w.Status.Parents {
		r.Parents = append(r.Parents, ParentStatus{Gateway: or(p.ParentRef.Namespace, ns) + "/" + p.ParentRef.Name,
			Controller: p.ControllerName, Conditions: p.Conditions})
	}
	return r, nil
}

func decodeValueMatches(ws []wireValueMatch) []ValueMatch {
	var out []ValueMatch
	for _, w := range ws {
		out = append(out, ValueMatch{Type: or(w.Type, MatchExact), Name: w.Name, Value: w.Value})
	}
	return out
}

// GatewayFromObject decodes a Gateway's listeners.
func GatewayFromObject(u *unstructured.Unstructured) Gateway {
	g := Gateway{Namespace: u.GetNamespace(), Name: u.GetName()}
	ls, _, _ := unstructured.NestedSlice(u.Object, "spec", "listeners")
	for _, l := range ls {
		m, _ := l.(map[string]any)
		name, _, _ := unstructured.NestedString(m, "name")
		host, _, _ := unstructured.NestedString(m, "hostname")
		proto, _, _ := unstructured.NestedString(m, "protocol")
		port, _, _ := unstructured.NestedInt64(m, "port")
		from, _, _ := unstructured.NestedString(m, "allowedRoutes", "namespaces", "from")
		if from == "" {
			from = "Same"
		}
		g.Listeners = append(g.Listeners, Listener{Name: name, Hostname: strings.ToLower(host), Protocol: proto, Port: int32(port), From: from})
	}
	return g
}
