package convert

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	apiconvert "github.com/igw-dev/igw/api/convert"
	v1 "github.com/igw-dev/igw/api/v1"
)

// The fields of an InferencePool's spec and of its Endpoint Picker reference, in either version.
// An alpha pool with any other field has something v1 cannot say.
var (
	poolFields   = []string{"selector", "targetPortNumber", "targetPorts", "appProtocol", "extensionRef", "endpointPickerRef"}
	pickerFields = []string{"group", "kind", "name", "portNumber", "port", "failureMode"}
)

// alphaPool converts an inference.networking.x-k8s.io/v1alpha2 InferencePool to v1.
func (r *run) alphaPool(ob *object) {
	if ob.version != "v1alpha2" {
		r.problem(ob, "apiVersion", fmt.Sprintf("convert reads the alpha InferencePool of %s/v1alpha2 (served up to GIE v1.4), not %s", GroupX, ob.apiVersion))
		return
	}
	r.setAPIVersion(ob, v1.GroupVersion.String(), "the alpha InferencePool was removed in GIE v1.5.0")
	// The alpha status (status.parent, with a placeholder parent meaning "none") was the
	// Gateways' view of the alpha object; the v1 pool's Gateways write status.parents anew, and
	// kubectl apply ignores status anyway.
	if _, _, i := entry(ob.node, "status"); i >= 0 && !r.failed(ob, "status", ob.file.ed.deleteEntry(ob.node, i)) {
		ob.change(Change{Op: Removed, Path: "status", Note: "the Gateways write the v1 pool's status.parents"})
	}
	r.poolSpec(ob, true)
}

// poolSpec rewrites alpha spellings in a pool's spec. In an alpha pool every field must have a
// v1 meaning; in a v1 pool only the alpha spellings are touched and anything else is left for
// validate to report.
func (r *run) poolSpec(ob *object, alpha bool) {
	spec := child(ob.node, "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		return
	}
	if alpha {
		for _, k := range keys(spec) {
			if !slices.Contains(poolFields, k) {
				r.problem(ob, "spec."+k, "is not a field of the alpha or the v1 InferencePool, so it has no v1 meaning; remove it")
			}
		}
	}
	r.selector(ob, spec, alpha)
	r.targetPorts(ob, spec)
	r.picker(ob, spec, alpha)
}

// selector turns the alpha flat selector {label: value} into v1's {matchLabels: {label: value}}.
func (r *run) selector(ob *object, spec *yaml.Node, alpha bool) {
	_, sel, i := entry(spec, "selector")
	if sel != nil && sel.Kind == yaml.AliasNode && sel.Alias != nil && child(sel.Alias, "matchLabels") == nil {
		r.problem(ob, "spec.selector", "is a YAML alias (*"+sel.Value+") of labels that must move under matchLabels; write them out")
	}
	if sel == nil || sel.Kind != yaml.MappingNode {
		return
	}
	if ml := child(sel, "matchLabels"); ml != nil && ml.Kind == yaml.MappingNode || child(sel, "matchExpressions") != nil {
		return // already v1's shape
	}
	for j := 0; j+1 < len(sel.Content); j += 2 {
		if sel.Content[j+1].Kind != yaml.ScalarNode {
			if alpha {
				r.problem(ob, "spec.selector."+sel.Content[j].Value, "is not a label value: the alpha selector maps labels to values")
			}
			return
		}
	}
	if len(sel.Content) == 0 {
		if alpha {
			r.problem(ob, "spec.selector", "is empty: an alpha selector without labels selects every Pod of the namespace, "+
				"and v1 needs matchLabels with at least one label; write the model server Pods' labels")
		}
		return
	}
	if !r.failed(ob, "spec.selector", ob.file.ed.wrap(spec, i, "matchLabels")) {
		ob.change(Change{Op: Renamed, Path: "spec.selector", To: "spec.selector.matchLabels", Note: "the same labels, under matchLabels"})
	}
}

// targetPorts turns targetPortNumber: N into targetPorts: [{number: N}].
func (r *run) targetPorts(ob *object, spec *yaml.Node) {
	_, v, i := entry(spec, "targetPortNumber")
	switch {
	case v == nil:
		return
	case child(spec, "targetPorts") != nil:
		r.problem(ob, "spec.targetPortNumber", "is set next to spec.targetPorts, which replaced it; keep targetPorts")
	case v.Kind != yaml.ScalarNode:
		r.problem(ob, "spec.targetPortNumber", "is not a port number")
	case !r.failed(ob, "spec.targetPortNumber", ob.file.ed.nest(spec, i, "targetPorts", "number", true)):
		ob.change(Change{Op: Renamed, Path: "spec.targetPortNumber", To: "spec.targetPorts[0].number", Note: "v1 takes a list of ports: `targetPorts: [{number: N}]`"})
	}
}

// picker turns extensionRef into endpointPickerRef and its portNumber: P into port: {number: P}.
// An extensionRef to a Service without portNumber meant port 9002 (alpha implementations were
// told to assume it); v1 requires the port of a Service, so it is written out.
func (r *run) picker(ob *object, spec *yaml.Node, alpha bool) {
	xk, xv, _ := entry(spec, "extensionRef")
	_, pv, _ := entry(spec, "endpointPickerRef")
	path, ref := "spec.endpointPickerRef", pv
	switch {
	case xk != nil && pv != nil:
		r.problem(ob, "spec.extensionRef", "is set next to spec.endpointPickerRef, which replaced it; keep endpointPickerRef")
		return
	case xk != nil:
		if xv.Kind != yaml.MappingNode {
			r.problem(ob, "spec.extensionRef", "is not a reference to the Endpoint Picker's Service")
			return
		}
		if r.failed(ob, "spec.extensionRef", ob.file.ed.setScalar(xk, "endpointPickerRef")) {
			return
		}
		ob.change(Change{Op: Renamed, Path: "spec.extensionRef", To: "spec.endpointPickerRef", Note: "port as `port: {number: N}`; group, kind, name and failureMode as before"})
		path, ref = "spec.extensionRef", xv
	case pv == nil || pv.Kind != yaml.MappingNode:
		return
	}
	fromAlpha := xk != nil
	if alpha || fromAlpha {
		for _, k := range keys(ref) {
			if !slices.Contains(pickerFields, k) {
				r.problem(ob, path+"."+k, "is not a field of the Endpoint Picker reference, so it has no v1 meaning; remove it")
			}
		}
	}
	r.pickerPort(ob, ref, path, fromAlpha)
}

func (r *run) pickerPort(ob *object, ref *yaml.Node, path string, fromAlpha bool) {
	_, _, pn := entry(ref, "portNumber")
	hasPort := child(ref, "port") != nil
	kind := scalarValue(ref, "kind")
	switch {
	case pn >= 0 && hasPort:
		r.problem(ob, path+".portNumber", "is set next to port, which replaced it; keep port")
	case pn >= 0:
		if !r.failed(ob, path+".portNumber", ob.file.ed.nest(ref, pn, "port", "number", false)) {
			ob.change(Change{Op: Renamed, Path: path + ".portNumber", To: "spec.endpointPickerRef.port.number", Note: "`port: {number: N}`"})
		}
	case fromAlpha && !hasPort && len(ref.Content) > 0 && (kind == "" || kind == "Service"):
		port := fmt.Sprint(apiconvert.DefaultEndpointPickerPort)
		val := mapNode(scalarNode("number", ref.Content[0].Style), scalarNode(port, 0))
		if !r.failed(ob, path, ob.file.ed.appendEntry(ref, "port", ref.Content[0].Style, val)) {
			ob.change(Change{Op: FilledIn, Path: path, To: "spec.endpointPickerRef.port.number: " + port,
				Note: "extensionRef had no portNumber, which meant " + port + " for a Service; v1 requires the port"})
		}
	}
}
