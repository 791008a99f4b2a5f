package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
)

// InferenceObjectives: the picker reads them for priority (flow control); one in a group the
// picker does not read, or pointing at no pool, is ignored without a word.

func objectiveChecks() []Check {
	return []Check{
		{ID: "objective.pool-missing", Code: ObjectivePoolMissing, Severity: Error, Kinds: []string{kindObjective, kindPool},
			Title: "InferenceObjective poolRef names a pool that does not exist",
			Doc: "poolRef names a pool in the objective's own namespace; a missing one makes the objective do nothing. " +
				"Offline it is reported only when the files hold some InferencePool; live, always.",
			Fix: "set spec.poolRef.name to a pool in the objective's namespace (objectives cannot name another namespace)",
			Run: runObjectivePoolMissing},
		{ID: "objective.pool-group", Code: ObjectivePoolGroupMismatch, Severity: Error, Kinds: []string{kindObjective, kindPool},
			Title: "InferenceObjective poolRef.group is the other API version's",
			Doc: "poolRef.group defaults to inference.networking.k8s.io (the v1 pool); an objective naming the alpha " +
				"group for a v1 pool (or the reverse) points at nothing. Offline and live.",
			Run: runObjectivePoolGroup},
		{ID: "objective.legacy-ignored", Code: ObjectiveLegacyIgnored, Severity: Error, Kinds: []string{kindObjective, "CustomResourceDefinition", "Deployment"},
			Title: "legacy-group InferenceObjective where the picker reads llm-d.ai",
			Doc: "llm-d-router's picker (v0.9 and later) reads InferenceObjectives in llm-d.ai; when that CRD is " +
				"installed it ignores the legacy inference.networking.x-k8s.io ones without a word. Reported when the " +
				"objective's pool has an llm-d-router picker in the snapshot and the snapshot shows the llm-d.ai CRD " +
				"installed (the CRD itself, the group served, or objectives in it).",
			Fix: "recreate the objective as apiVersion: llm-d.ai/v1alpha2 (igwctl convert -f FILE --objective-group llm-d) and delete the legacy one",
			Run: runObjectiveLegacy},
		{ID: "objective.group-not-read", Code: ObjectiveGroupNotRead, Severity: Error, Kinds: []string{kindObjective, kindPool, "Deployment"},
			Title: "llm-d.ai InferenceObjective where the pool's picker reads only the legacy group",
			Doc: "The Gateway API Inference Extension's own picker (registry.k8s.io/gateway-api-inference-extension/epp, " +
				"up to v1.5) reads InferenceObjectives only in inference.networking.x-k8s.io, so an llm-d.ai one does " +
				"nothing there. Reported when the pool's picker Deployment is in the snapshot.",
			Fix: "use apiVersion inference.networking.x-k8s.io/v1alpha2 for this picker (igwctl convert -f FILE --objective-group x-k8s), or move to llm-d-router's picker",
			Run: runObjectiveNotRead},
		{ID: "objective.both-groups", Code: ObjectiveInBothGroups, Severity: Warning, Kinds: []string{kindObjective},
			Title: "the same InferenceObjective in both API groups",
			Doc: "An objective of one name in both inference.networking.x-k8s.io and llm-d.ai is a half-done " +
				"migration: the picker reads one group, and edits to the other change nothing. Offline and live.",
			Fix: "keep the objective in the group the picker reads (llm-d.ai for llm-d-router) and delete the other",
			Run: runObjectiveBothGroups},
		{ID: "objective.equal-priorities", Code: ObjectivePrioritiesEqual, Severity: Warning, Kinds: []string{kindObjective},
			Title: "every InferenceObjective of a pool has the same priority",
			Doc: "Priority orders requests only relative to others: when every objective of a pool has the same " +
				"priority (unset counts as 0), it changes nothing, and under saturation all are shed alike. Offline " +
				"and live.",
			Fix: "give the objectives different priorities (higher is more important; below 0 is shed first), or drop the ones that add nothing",
			Run: runEqualPriorities},
	}
}

func objectiveGroup(o *objective) string { return o.u.GroupVersionKind().Group }

// objectivePool returns the key of the pool an objective names, and of the same name in the
// other group; ok is false when poolRef names another kind.
func objectivePool(o *objective) (exact, other key, ok bool) {
	ref := o.Spec.PoolRef
	if ref.Kind != "" && ref.Kind != kindPool {
		return key{}, key{}, false
	}
	group := string(ref.Group)
	if group == "" {
		group = groupPool
	}
	otherGroup := groupAlpha
	if group == groupAlpha {
		otherGroup = groupPool
	}
	return key{group, o.Namespace, string(ref.Name)}, key{otherGroup, o.Namespace, string(ref.Name)}, true
}

func runObjectivePoolMissing(s *Snapshot, r *Report) {
	ix := s.index()
	for _, o := range ix.objectives {
		exact, other, ok := objectivePool(o)
		if ok && ix.poolByKey[exact] == nil && ix.poolByKey[other] == nil && s.CoversIn(o.Namespace, gkPool, gkAlphaPool) {
			r.Add(o.u, fmt.Sprintf("poolRef names InferencePool %s (%s), which %s", exact, exact.group, s.absent()), "")
		}
	}
}

func runObjectivePoolGroup(s *Snapshot, r *Report) {
	ix := s.index()
	for _, o := range ix.objectives {
		exact, other, ok := objectivePool(o)
		if ok && ix.poolByKey[exact] == nil && ix.poolByKey[other] != nil {
			r.Add(o.u, fmt.Sprintf("poolRef names InferencePool %s in group %s, but the pool is in %s", exact, exact.group, other.group),
				"set spec.poolRef.group to "+other.group+" (or leave it out for the v1 pool)")
		}
	}
}

// llmdInstalled says what in the snapshot shows the llm-d.ai InferenceObjective CRD installed,
// "" when nothing does.
func (s *Snapshot) llmdInstalled() string {
	ix := s.index()
	switch {
	case ix.crds["inferenceobjectives.llm-d.ai"] != nil:
		return "the llm-d.ai InferenceObjective CRD is installed"
	case slices.Contains(s.Served["llm-d.ai/v1alpha2"], "inferenceobjectives"):
		return "the cluster serves llm-d.ai/v1alpha2 InferenceObjectives"
	case ix.kinds[gkLLMDObjective] > 0:
		return "llm-d.ai InferenceObjectives exist, so their CRD is installed"
	}
	return ""
}

// llmdRouter returns the image of an llm-d-router picker that has the llm-d.ai group (v0.9.0 and
// later; a tag that is not a version, such as main, counts as later).
func llmdRouter(d *workload) (string, bool) {
	for _, c := range d.spec.Containers {
		if !strings.Contains(imageRepo(c.Image), "llm-d-router") {
			continue
		}
		if v, err := version.ParseGeneric(imageTag(c.Image)); err == nil && v.LessThan(version.MustParseGeneric("0.9.0")) {
			continue
		}
		return c.Image, true
	}
	return "", false
}

// objectivePicker returns the pool an objective names (in either group) and the Deployments of
// its picker.
func (ix *index) objectivePicker(o *objective) (*pool, []*workload) {
	exact, other, ok := objectivePool(o)
	if !ok {
		return nil, nil
	}
	p := ix.poolByKey[exact]
	if p == nil {
		p = ix.poolByKey[other]
	}
	if p == nil {
		return nil, nil
	}
	return p, ix.pickerDeployments(p)
}

// eachPickerOf calls f, for every objective of group, with its pool and each Deployment of the
// pool's picker, until f reports it has said what it had to about the objective.
func (ix *index) eachPickerOf(group string, f func(o *objective, p *pool, d *workload) bool) {
	for _, o := range ix.objectives {
		if objectiveGroup(o) != group {
			continue
		}
		p, deps := ix.objectivePicker(o)
		for _, d := range deps {
			if f(o, p, d) {
				break
			}
		}
	}
}

func runObjectiveLegacy(s *Snapshot, r *Report) {
	installed := s.llmdInstalled()
	if installed == "" {
		return
	}
	s.index().eachPickerOf(groupAlpha, func(o *objective, p *pool, d *workload) bool {
		img, ok := llmdRouter(d)
		if ok {
			r.Add(o.u, fmt.Sprintf("is in the legacy group %s, which the picker of InferencePool %s/%s (%s) ignores because %s", groupAlpha, p.Namespace, p.Name, img, installed), "")
		}
		return ok
	})
}

func runObjectiveNotRead(s *Snapshot, r *Report) {
	s.index().eachPickerOf(groupLLMD, func(o *objective, p *pool, d *workload) bool {
		img, ok := gieEPP(d)
		if ok {
			r.Add(o.u, fmt.Sprintf("is in llm-d.ai, but the picker of InferencePool %s/%s (Deployment %s, image %s) reads objectives only in %s", p.Namespace, p.Name, d.u.GetName(), img, groupAlpha), "")
		}
		return ok
	})
}

// gieEPP returns the image of a Gateway API Inference Extension picker, which reads objectives
// only in the legacy group.
func gieEPP(d *workload) (string, bool) {
	for _, c := range d.spec.Containers {
		if strings.HasSuffix(imageRepo(c.Image), "gateway-api-inference-extension/epp") {
			return c.Image, true
		}
	}
	return "", false
}

func runObjectiveBothGroups(s *Snapshot, r *Report) {
	ix := s.index()
	llmd := map[key]bool{}
	for _, o := range ix.objectives {
		if objectiveGroup(o) == groupLLMD {
			llmd[key{"", o.Namespace, o.Name}] = true
		}
	}
	for _, o := range ix.objectives {
		if objectiveGroup(o) == groupAlpha && llmd[key{"", o.Namespace, o.Name}] {
			r.Add(o.u, fmt.Sprintf("exists in both %s and %s; the picker reads one of them", groupAlpha, groupLLMD), "")
		}
	}
}

func runEqualPriorities(s *Snapshot, r *Report) {
	ix := s.index()
	byPool := map[key][]*objective{}
	var order []key
	for _, o := range ix.objectives {
		exact, _, ok := objectivePool(o)
		if !ok {
			continue
		}
		if byPool[exact] == nil {
			order = append(order, exact)
		}
		byPool[exact] = append(byPool[exact], o)
	}
	for _, k := range order {
		objs := byPool[k]
		if len(objs) < 2 || !samePriority(objs) {
			continue
		}
		r.Add(objs[0].u, fmt.Sprintf("all %d InferenceObjectives of InferencePool %s have priority %d, so priority changes nothing", len(objs), k, deref(objs[0].Spec.Priority, 0)), "")
	}
}

func samePriority(objs []*objective) bool {
	for _, o := range objs[1:] {
		if deref(o.Spec.Priority, 0) != deref(objs[0].Spec.Priority, 0) {
			return false
		}
	}
	return true
}
