package convert

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// routeRefs moves an HTTPRoute's or GRPCRoute's references to alpha InferencePools (backendRefs,
// and the backendRef of a requestMirror filter) to the v1 group, when the pool is in the input
// or AllPoolRefs asks for it.
func (r *run) routeRefs(ob *object) {
	walk(child(ob.node, "spec"), "spec", func(m *yaml.Node, path string) {
		if scalarValue(m, "kind") != "InferencePool" || scalarValue(m, "group") != GroupX {
			return
		}
		ns := scalarValue(m, "namespace")
		if ns == "" {
			ns = ob.namespace
		}
		name := scalarValue(m, "name")
		if !r.opts.AllPoolRefs && !r.hasPool(ns, name) {
			r.note(ob, "%s still names InferencePool %s in %s: the pool is not in the input (convert it too, or add --all-pool-refs)", path, name, GroupX)
			return
		}
		r.regroup(ob, m, path+".group", GroupV1)
	})
}

// grantRefs moves a ReferenceGrant's `to` entries for alpha InferencePools to the v1 group. A
// named entry moves when that pool is in the input (the grant lives in the pools' namespace).
// An entry for every pool of the namespace gets a v1 twin next to it when a pool of the
// namespace is in the input: alpha pools not in the input may still need the alpha entry. With
// AllPoolRefs every entry moves.
func (r *run) grantRefs(ob *object) {
	to := child(child(ob.node, "spec"), "to")
	if to == nil || to.Kind != yaml.SequenceNode {
		return
	}
	var twins []*yaml.Node
	for i, m := range to.Content {
		if scalarValue(m, "kind") != "InferencePool" || scalarValue(m, "group") != GroupX {
			continue
		}
		path := fmt.Sprintf("spec.to[%d]", i)
		name := scalarValue(m, "name")
		switch {
		case r.opts.AllPoolRefs || name != "" && r.hasPool(ob.namespace, name):
			r.regroup(ob, m, path+".group", GroupV1)
		case name == "" && r.hasPoolIn(ob.namespace):
			twins = append(twins, m)
		default:
			r.note(ob, "%s still grants access to alpha InferencePools: none of them is in the input (convert them too, or add --all-pool-refs)", path)
		}
	}
	for _, m := range twins {
		r.addV1Twin(ob, to, m)
	}
}

// addV1Twin adds {group: v1, kind: InferencePool} to the grant's `to` list, unless it is there.
func (r *run) addV1Twin(ob *object, to, m *yaml.Node) {
	for _, it := range to.Content {
		if scalarValue(it, "kind") == "InferencePool" && scalarValue(it, "group") == GroupV1 && scalarValue(it, "name") == "" {
			return
		}
	}
	st := m.Content[0].Style
	twin := mapNode(scalarNode("group", st), scalarNode(GroupV1, 0), scalarNode("kind", st), scalarNode("InferencePool", 0))
	path := fmt.Sprintf("spec.to[%d]", len(to.Content))
	if !r.failed(ob, path, ob.file.ed.appendItem(to, twin)) {
		ob.change(Change{Op: Added, Path: path, To: "{group: " + GroupV1 + ", kind: InferencePool}",
			Note: "the v1 pools of the namespace; the alpha entry stays for alpha pools not in the input"})
	}
}

// objective moves an InferenceObjective to the asked group, and its poolRef to the v1 group
// when it names a pool of the input by the alpha group. Both groups have the same fields and
// defaults, so only the apiVersion changes.
func (r *run) objective(ob *object) {
	if to := r.opts.ObjectiveGroup.apiGroup(); to != "" && to != ob.group {
		if ob.version != "v1alpha2" {
			r.problem(ob, "apiVersion", fmt.Sprintf("convert moves InferenceObjective v1alpha2, not %s", ob.apiVersion))
			return
		}
		r.setAPIVersion(ob, to+"/"+ob.version, objectiveNote(to))
	} else if ob.group == GroupX && r.opts.ObjectiveGroup == "" {
		r.note(ob, "left in %s: llm-d-router's picker reads %s and ignores this group when both are installed (add --objective-group llm-d)", GroupX, GroupLLMD)
	}
	ref := child(child(ob.node, "spec"), "poolRef")
	if scalarValue(ref, "group") != GroupX {
		return
	}
	name := scalarValue(ref, "name")
	if !r.opts.AllPoolRefs && !r.hasPool(ob.namespace, name) {
		r.note(ob, "spec.poolRef still names InferencePool %s in %s: the pool is not in the input (convert it too, or add --all-pool-refs)", name, GroupX)
		return
	}
	r.regroup(ob, ref, "spec.poolRef.group", GroupV1)
}

// inferenceModel explains, field by field, why an InferenceModel cannot be converted: its
// successors, InferenceObjective and InferenceModelRewrite, say different things.
func (r *run) inferenceModel(ob *object) {
	why := map[string]string{
		"modelName": "InferenceObjective has no model name: a request picks an objective by naming it in the " +
			"x-gateway-inference-objective header; match the model on the HTTPRoute (x-gateway-inference-model, set by bbr) " +
			"or rewrite it with an InferenceModelRewrite",
		"criticality": "InferenceObjective has spec.priority, a number (higher is served first, unset is 0); " +
			"Critical, Standard and Sheddable have no defined numbers, so choose them",
		"targetModels": "splitting traffic between models moved to InferenceModelRewrite (spec.rules[].targets[] with modelRewrite and weight)",
	}
	before := ob.problems
	spec := child(ob.node, "spec")
	for _, k := range []string{"modelName", "criticality", "targetModels"} {
		if child(spec, k) != nil {
			r.problem(ob, "spec."+k, why[k])
		}
	}
	if ob.problems == before {
		r.problem(ob, "kind", "InferenceModel was replaced by InferenceObjective and InferenceModelRewrite; write them by hand")
	}
}

// regroup sets the group of the reference m to group.
func (r *run) regroup(ob *object, m *yaml.Node, path, group string) {
	_, v, _ := entry(m, "group")
	from := v.Value
	if !r.failed(ob, path, ob.file.ed.setScalar(v, group)) {
		ob.change(Change{Op: Regrouped, Path: path, From: from, To: group})
	}
}

// walk calls fn for every mapping under n, with its path as the API server prints paths
// (spec.rules[0].backendRefs[1]).
func walk(n *yaml.Node, path string, fn func(m *yaml.Node, path string)) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		fn(n, path)
		for i := 0; i+1 < len(n.Content); i += 2 {
			walk(n.Content[i+1], strings.TrimPrefix(path+"."+n.Content[i].Value, "."), fn)
		}
	case yaml.SequenceNode:
		for i, it := range n.Content {
			walk(it, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	}
}

// objectiveNote says why an objective belongs in group to.
func objectiveNote(to string) string {
	if to == GroupLLMD {
		return "llm-d-router's picker reads " + GroupLLMD + " and ignores " + GroupX + " when both are installed"
	}
	return "the group pickers of GIE up to v1.5 read"
}
