// Package convert reads an InferencePool written in either API version and returns the v1 one:
// many guides and older clusters still use the alpha inference.networking.x-k8s.io/v1alpha2 form
// (flat selector, targetPortNumber, extensionRef), while everything igw writes is v1. Pure: no
// cluster, no I/O.
package convert

import (
	"encoding/json"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	v1 "github.com/igw-dev/igw/api/v1"
	xv1alpha2 "github.com/igw-dev/igw/api/x/v1alpha2"
)

// DefaultEndpointPickerPort is the port alpha implementations assumed for an extensionRef Service
// without a portNumber. v1 requires the port of a Service, so PoolFromAlpha fills this in.
const DefaultEndpointPickerPort = 9002

// PoolFromAlpha returns the v1 InferencePool that says what the alpha one says:
//
//	spec.selector{k: v}             -> spec.selector.matchLabels{k: v}
//	spec.targetPortNumber: N        -> spec.targetPorts: [{number: N}]
//	spec.extensionRef{group, kind,  -> spec.endpointPickerRef{group, kind, name,
//	  name, portNumber: P,              port: {number: P}, failureMode}
//	  failureMode}
//	status.parent[]                 -> status.parents[], without the placeholder parent
//	                                   (kind Status, name default) that means "none"
//
// Metadata is copied except the fields the API server owns (resourceVersion, uid, generation,
// creationTimestamp, managedFields), which belong to the alpha object. Notes lists what was not a
// plain rename, e.g. a port that had to be filled in; it is empty for a faithful conversion. The
// input is not modified.
func PoolFromAlpha(in *xv1alpha2.InferencePool) (out *v1.InferencePool, notes []string) {
	out = &v1.InferencePool{
		TypeMeta: metav1.TypeMeta{APIVersion: v1.GroupVersion.String(), Kind: "InferencePool"},
	}
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.ResourceVersion = ""
	out.UID = ""
	out.Generation = 0
	out.CreationTimestamp = metav1.Time{}
	out.ManagedFields = nil

	if in.Spec.Selector != nil {
		out.Spec.Selector.MatchLabels = make(map[v1.LabelKey]v1.LabelValue, len(in.Spec.Selector))
		for k, v := range in.Spec.Selector {
			out.Spec.Selector.MatchLabels[v1.LabelKey(k)] = v1.LabelValue(v)
		}
	}
	if in.Spec.TargetPortNumber != 0 {
		out.Spec.TargetPorts = []v1.Port{{Number: v1.PortNumber(in.Spec.TargetPortNumber)}}
	}
	if ext := in.Spec.ExtensionRef; ext != nil {
		ref := &v1.EndpointPickerRef{Name: v1.ObjectName(ext.Name)}
		if ext.Group != nil {
			g := v1.Group(*ext.Group)
			ref.Group = &g
		}
		if ext.Kind != nil {
			ref.Kind = v1.Kind(*ext.Kind)
		}
		if ext.FailureMode != nil {
			ref.FailureMode = v1.EndpointPickerFailureMode(*ext.FailureMode)
		}
		switch {
		case ext.PortNumber != nil:
			ref.Port = &v1.Port{Number: v1.PortNumber(*ext.PortNumber)}
		case ref.Kind == "" || ref.Kind == "Service":
			ref.Port = &v1.Port{Number: DefaultEndpointPickerPort}
			notes = append(notes, fmt.Sprintf("spec.extensionRef.portNumber is unset: set spec.endpointPickerRef.port.number to %d, "+
				"the port alpha implementations assumed (v1 requires the port of a Service)", DefaultEndpointPickerPort))
		}
		out.Spec.EndpointPickerRef = ref
	}

	for _, p := range in.Status.Parents {
		if isPlaceholderParent(p.GatewayRef) {
			continue
		}
		ps := v1.ParentStatus{ParentRef: v1.ParentReference{Name: v1.ObjectName(p.GatewayRef.Name)}}
		if g := p.GatewayRef.Group; g != nil {
			group := v1.Group(*g)
			ps.ParentRef.Group = &group
		}
		if k := p.GatewayRef.Kind; k != nil {
			ps.ParentRef.Kind = v1.Kind(*k)
		}
		if ns := p.GatewayRef.Namespace; ns != nil {
			ps.ParentRef.Namespace = v1.Namespace(*ns)
		}
		for _, c := range p.Conditions {
			ps.Conditions = append(ps.Conditions, *c.DeepCopy())
		}
		out.Status.Parents = append(out.Status.Parents, ps)
	}
	return out, notes
}

func isPlaceholderParent(ref xv1alpha2.ParentGatewayReference) bool {
	return ref.Kind != nil && *ref.Kind == xv1alpha2.DefaultParentKind && ref.Name == xv1alpha2.DefaultParentName
}

// DecodePool reads one InferencePool in YAML or JSON, of either API version, and returns it as v1
// with the notes of PoolFromAlpha (none for a v1 input). Unknown fields are errors, so a v1 pool
// that still says extensionRef is caught rather than silently losing its Endpoint Picker.
func DecodePool(data []byte) (*v1.InferencePool, []string, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, nil, fmt.Errorf("reading InferencePool: %w", err)
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, nil, fmt.Errorf("reading InferencePool: %w", err)
	}
	if tm.Kind != "InferencePool" {
		return nil, nil, fmt.Errorf("reading InferencePool: kind is %q, not InferencePool", tm.Kind)
	}
	switch tm.APIVersion {
	case v1.GroupVersion.String():
		var pool v1.InferencePool
		if err := unmarshalStrict(js, &pool); err != nil {
			return nil, nil, fmt.Errorf("reading %s InferencePool: %w", tm.APIVersion, err)
		}
		return &pool, nil, nil
	case xv1alpha2.GroupVersion.String():
		var alpha xv1alpha2.InferencePool
		if err := unmarshalStrict(js, &alpha); err != nil {
			return nil, nil, fmt.Errorf("reading %s InferencePool: %w", tm.APIVersion, err)
		}
		pool, notes := PoolFromAlpha(&alpha)
		return pool, notes, nil
	default:
		return nil, nil, fmt.Errorf("reading InferencePool: apiVersion %q is neither %s nor %s",
			tm.APIVersion, v1.GroupVersion, xv1alpha2.GroupVersion)
	}
}

// unmarshalStrict decodes like the API server does (case-sensitive field names), failing on unknown
// and duplicate fields, whose errors name the field's path (e.g. unknown field "spec.extensionRef").
func unmarshalStrict(data []byte, into any) error {
	strict, err := kjson.UnmarshalStrict(data, into)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}
