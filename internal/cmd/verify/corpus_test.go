package verify

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	diag "github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/diagnose/corpus"
	"github.com/igw-dev/igw/internal/requestpath"
	"github.com/igw-dev/igw/internal/testbed/standin"
)

const corpusDir = "../../../testdata/diagnose"

// vllmPods answers every pod's metrics as an idle vLLM server: the corpus' pods all serve
// port 8000, which the API server's pod proxy cannot reach on this machine for every test at
// once, so these tests hand the command a pod getter (TestHealthy and TestBroken go through
// the proxy).
type vllmPods struct{}

func (vllmPods) GetPod(context.Context, *corev1.Pod, int32, string) (*requestpath.PodResponse, error) {
	return &requestpath.PodResponse{Status: 200, Body: []byte(standin.VLLMMetrics)}, nil
}

// runCorpus applies paths and runs verify -A on them with vllmPods.
func runCorpus(t *testing.T, paths ...string) (requestpath.Report, string) {
	t.Helper()
	objs, err := standin.Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := standin.TryApplyT(t, bed.Config, standin.Options{SkipUnserved: true}, objs); err != nil {
		t.Skipf("the API server refuses the case: %v", err)
	}
	stdout, _, code, err := cmdtest.RunAsRoot(t, NewCmd, func(ctx context.Context, o *Options) error {
		o.Pods = vllmPods{}
		return Run(ctx, o)
	}, bed.Config, "-A", "-o", "json")
	if code == 3 {
		t.Fatal(err)
	}
	r := decode(t, stdout)
	var b strings.Builder
	r.WriteText(&b)
	return r, b.String()
}

// Every correct setup, applied with the statuses its controllers write, passes every step.
func TestCorrectSetups(t *testing.T) {
	dirs, err := corpus.Setups(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r, text := runCorpus(t, dir)
			if r.Summary.Failed > 0 || r.Summary.NotRun > 0 || r.Summary.Passed < 12 {
				t.Errorf("%+v:\n%s", r.Summary, text)
			}
		})
	}
}

// pathCodes are the findings verify shows on a step: a broken case producing one makes a step
// carry it (failed for an Error, a note for a Warning).
var pathCodes = []diag.Code{
	diag.RouteNotAccepted, diag.RouteStaleBackendNotFound, diag.RoutePoolKindUnsupported, diag.RoutePoolNoReferenceGrant,
	diag.RouteWeightsAllZero, diag.GatewayClassNotAccepted, diag.GatewayNotReady, diag.GatewayNoAddress, diag.PoolNoParents,
	diag.PoolNotAccepted, diag.PoolRefsNotResolved, diag.PoolPickerServiceMissing, diag.PoolPickerPortMissing,
	diag.PoolPickerExternalName, diag.PoolPickerNoEndpoints, diag.PoolPickerUnavailable, diag.PoolPickerFlagsMismatch,
	diag.PoolFailOpenOneReplica, diag.PoolPickerTLSNoDestinationRule, diag.PoolSelectsPicker, diag.PoolSelectsNoPods,
	diag.PoolPodsNotReady, diag.PoolMixedModelServers, diag.PoolTargetPortNotExposed, diag.BBRNotInFront, diag.BBRNoHook,
	diag.BBRHeaderNotSet, diag.AdapterConfigMapInvalid, diag.AdapterTwoBaseModels, diag.CRDBundleMixed, diag.CRDBundleOlderThanProvider,
	diag.IstioInferenceOff, diag.AgentgatewayInferenceOff, diag.NGINXInferenceOff,
}

// carries reports whether a step of r carries code: failed with it, or with it in a note.
func carries(r requestpath.Report, code diag.Code) bool {
	for _, sec := range r.Sections {
		for _, st := range sec.Steps {
			if st.Code == code && st.Status == requestpath.Failed {
				return true
			}
			for _, n := range st.Notes {
				if strings.Contains(n, "["+string(code)+"]") {
					return true
				}
			}
		}
	}
	return false
}

// Each broken case whose mistake lies on a request's path, applied to the test bed, shows up in
// verify as the step where the path breaks, with the analyzer's code: verify and diagnose say
// the same thing about the same cluster.
func TestCorpusOnThePath(t *testing.T) {
	cases, err := corpus.Cases(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	checked := map[diag.Code]bool{}
	for _, c := range cases {
		var want []diag.Code
		for _, code := range c.Want {
			for _, pc := range pathCodes {
				if code == pc {
					want = append(want, code)
				}
			}
		}
		if len(want) == 0 {
			continue
		}
		t.Run(filepath.Base(c.File), func(t *testing.T) {
			r, text := runCorpus(t, c.Paths(corpusDir)...)
			for _, code := range want {
				checked[code] = true
				if !carries(r, code) {
					t.Errorf("no step carries %s:\n%s", code, text)
				}
			}
		})
	}
	for _, code := range pathCodes {
		if !checked[code] {
			t.Errorf("no broken case produces %s", code)
		}
	}
}
