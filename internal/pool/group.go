package pool

import (
	"fmt"
	"slices"
	"strings"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// groupCodes are diagnose's findings that an objective sits in a group its pool's picker does
// not read: legacy objectives where llm-d-router's picker reads llm-d.ai (IGW1202), llm-d.ai
// ones where the inference extension's picker reads only the legacy group (IGW1206).
var groupCodes = []diagnose.Code{diagnose.ObjectiveLegacyIgnored, diagnose.ObjectiveGroupNotRead}

// ObjectiveGroup is the group the InferenceObjectives of pool s go in, for the picker the
// rendered manifest holds. Rather than a second copy of what each picker reads, it asks
// diagnose's objective analyzers: the generation's own group first, the other when they say the
// picker ignores it (a picker image swapped with --set). served is what the cluster serves (nil
// offline). An error means neither group would be read.
func ObjectiveGroup(g Generation, rendered string, s Spec, served map[string][]string) (string, error) {
	objs, err := manifest.Load(manifest.Options{Paths: []string{manifest.Stdin}, Stdin: strings.NewReader(rendered)})
	if err != nil {
		return "", fmt.Errorf("reading the chart's rendered objects: %w", err)
	}
	candidates := []string{LLMDGroup, LegacyGroup}
	if g == GIE {
		candidates = []string{LegacyGroup, LLMDGroup}
	}
	var analyzers []diagnose.Analyzer
	for _, c := range diagnose.Checks() {
		if slices.Contains(groupCodes, c.Code) {
			analyzers = append(analyzers, c)
		}
	}
	var why []string
	for _, group := range candidates {
		probe, err := manifest.Load(manifest.Options{Paths: []string{manifest.Stdin}, Stdin: strings.NewReader(objectiveJSON(s, group))})
		if err != nil {
			return "", err
		}
		snap := diagnose.FromManifests(append(slices.Clone(objs), probe...), s.Namespace)
		snap.Served = served
		found := diagnose.Analyze(snap, analyzers...)
		if len(found) == 0 {
			return group, nil
		}
		why = append(why, found[0].Message)
	}
	return "", fmt.Errorf("the picker this chart installs reads InferenceObjectives in neither group: %s", strings.Join(why, "; "))
}

// objectiveJSON is a probe objective for the pool in group, as a manifest document.
func objectiveJSON(s Spec, group string) string {
	return fmt.Sprintf(`{"apiVersion":"%s/v1alpha2","kind":"InferenceObjective","metadata":{"name":"igwctl-probe","namespace":%q},"spec":{"poolRef":{"name":%q}}}`,
		group, s.Namespace, s.Name)
}
