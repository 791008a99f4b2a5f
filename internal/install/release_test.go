package install

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/config"
)

// embedded returns the embedded manifests of a set as one multi-document stream.
func embedded(t testing.TB, set config.Set) string {
	t.Helper()
	files, err := config.Files(set)
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, f := range files {
		docs = append(docs, string(f.Data))
	}
	return strings.Join(docs, "\n---\n")
}

// retag makes an embedded inference manifest claim another release.
func retag(manifest, version string) string {
	return strings.ReplaceAll(manifest, api.BundleVersionAnnotation+": "+api.BundleVersion, api.BundleVersionAnnotation+": "+version)
}

const importsCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: inferencepoolimports.inference.networking.x-k8s.io
spec:
  group: inference.networking.x-k8s.io
  names: {kind: InferencePoolImport, plural: inferencepoolimports}
  scope: Namespaced
  versions: [{name: v1alpha1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`

// fakeReleases serves what upstream's release pages would for a few versions: v1.5.0 with the
// x-k8s objective (and the InferencePoolImport CRD igwctl leaves out), v1.6.0 without objectives,
// and the Gateway API install manifests of the embedded version. It counts requests.
func fakeReleases(t testing.TB) (*Fetcher, *atomic.Int32) {
	t.Helper()
	gie := "/kubernetes-sigs/gateway-api-inference-extension/releases/download/"
	gw := "/kubernetes-sigs/gateway-api/releases/download/" + config.GatewayAPIVersion() + "/"
	files := map[string]string{
		gie + "v1.5.0/manifests.yaml": retag(embedded(t, config.InferenceV1), "v1.5.0") + "\n---\n" +
			retag(embedded(t, config.XObjective), "v1.5.0") + "\n---\n" + importsCRD,
		gie + "v1.6.0/manifests.yaml":    embedded(t, config.InferenceV1) + "\n---\n" + importsCRD,
		gie + "v1.6.1/manifests.yaml":    retag(embedded(t, config.InferenceV1), "v1.6.1"),
		gw + "standard-install.yaml":     embedded(t, config.GatewayAPIStandard),
		gw + "experimental-install.yaml": embedded(t, config.GatewayAPIExperimental),
	}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return &Fetcher{BaseURL: srv.URL, Client: srv.Client()}, &n
}

func names(crds []CRD) string {
	var s []string
	for _, c := range crds {
		s = append(s, c.Name+"@"+c.BundleVersion)
	}
	return strings.Join(s, " ")
}

func TestLoadFromRelease(t *testing.T) {
	f, requests := fakeReleases(t)
	ctx := context.Background()

	// No --objective-group: whatever objectives v1.5.0 ships (x-k8s); the import CRD is left out.
	crds, skipped, err := LoadFromRelease(ctx, f, Selection{GatewayAPI: GatewayAPINone, InferenceVersion: "v1.5.0", ObjectiveFromRelease: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(crds); got != "inferencepools.inference.networking.k8s.io@v1.5.0 inferenceobjectives.inference.networking.x-k8s.io@v1.5.0" {
		t.Errorf("v1.5.0 = %s", got)
	}
	if strings.Join(skipped, " ") != "CustomResourceDefinition/inferencepoolimports.inference.networking.x-k8s.io" {
		t.Errorf("skipped = %v", skipped)
	}
	if !strings.HasPrefix(crds[0].Source, f.BaseURL) {
		t.Errorf("source = %q", crds[0].Source)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests with --gateway-api none, want 1", requests.Load())
	}

	// v1.6.0 ships no objective: without the flag that is fine, with llm-d it is an error that says why.
	crds, _, err = LoadFromRelease(ctx, f, Selection{GatewayAPI: GatewayAPIStandard, InferenceVersion: "v1.6.0", ObjectiveFromRelease: true})
	if err != nil {
		t.Fatal(err)
	}
	if crds[0].Set != config.GatewayAPIStandard || crds[len(crds)-1].Name != "inferencepools.inference.networking.k8s.io" {
		t.Errorf("v1.6.0 with Gateway API = %s", names(crds))
	}
	_, _, err = LoadFromRelease(ctx, f, Selection{GatewayAPI: GatewayAPINone, InferenceVersion: "v1.6.0", Objective: ObjectiveLLMD})
	if err == nil || !strings.Contains(err.Error(), "does not ship the llm-d-objective") || !strings.Contains(err.Error(), "llm-d-router") {
		t.Errorf("llm-d from v1.6.0: %v", err)
	}
	_, _, err = LoadFromRelease(ctx, f, Selection{GatewayAPI: GatewayAPINone, InferenceVersion: "v1.5.0", Objective: ObjectiveBoth})
	if err == nil || !strings.Contains(err.Error(), "use --objective-group x-k8s or none") {
		t.Errorf("both from v1.5.0: %v", err)
	}
	crds, _, err = LoadFromRelease(ctx, f, Selection{GatewayAPI: GatewayAPINone, InferenceVersion: "v1.5.0", Objective: ObjectiveNone})
	if err != nil || len(crds) != 1 {
		t.Errorf("none from v1.5.0: %s, %v", names(crds), err)
	}

	// Experimental Gateway API comes from its own manifest, with its channel.
	crds, _, err = LoadFromRelease(ctx, f, Selection{GatewayAPI: GatewayAPIExperimental, InferenceVersion: "v1.6.0", Objective: ObjectiveNone})
	if err != nil || crds[0].Channel != "experimental" || !strings.Contains(names(crds), "xbackends.gateway.networking.x-k8s.io") {
		t.Errorf("experimental: %s, %v", names(crds), err)
	}

	// A missing release: the error has the URL and the status.
	_, _, err = LoadFromRelease(ctx, f, Selection{GatewayAPI: GatewayAPINone, InferenceVersion: "v9.9.9"})
	if err == nil || !strings.Contains(err.Error(), f.InferenceURL("v9.9.9")) || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing release: %v", err)
	}
}

func TestFetcherURLs(t *testing.T) {
	var f Fetcher
	if got := f.InferenceURL("v1.6.0"); got != "https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/v1.6.0/manifests.yaml" {
		t.Errorf("inference URL = %s", got)
	}
	if got := f.GatewayAPIURL("v1.6.3", GatewayAPIExperimental); got != "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.3/experimental-install.yaml" {
		t.Errorf("gateway URL = %s", got)
	}
	f.BaseURL = "http://127.0.0.1:1/"
	_, err := f.get(context.Background(), f.InferenceURL("v1.6.0"))
	if err == nil || !strings.Contains(err.Error(), "leave out --from-release") {
		t.Errorf("unreachable: %v", err)
	}
}

func TestReleaseNotAManifest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>sign in</html>"))
	}))
	defer srv.Close()
	_, _, err := LoadFromRelease(context.Background(), &Fetcher{BaseURL: srv.URL}, Selection{GatewayAPI: GatewayAPINone, InferenceVersion: "v1.6.0"})
	if err == nil {
		t.Fatal("an HTML page was taken for a manifest")
	}
	t.Log(err)
}
