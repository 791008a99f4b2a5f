// Package crdtest checks the generated CRDs in config/crd against a real kube-apiserver: what they
// accept, what they default, and that they reject invalid objects with upstream's messages.
package crdtest

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/api/convert"
	llmdv1alpha2 "github.com/igw-dev/igw/api/llmd/v1alpha2"
	v1 "github.com/igw-dev/igw/api/v1"
	xv1alpha2 "github.com/igw-dev/igw/api/x/v1alpha2"
	"github.com/igw-dev/igw/internal/testbed"
)

var bed *testbed.Env

func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../config/crd"))
}

const ns = "default"

func newClient(t *testing.T) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		v1.AddToScheme, xv1alpha2.AddToScheme, llmdv1alpha2.AddToScheme, apiextensionsv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(bed.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	// Generous: the first write to a freshly established CRD waits for its schema (about 2 s), and
	// the machine may be compiling other packages meanwhile.
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// object parses a manifest, named by the test so parallel tests never collide.
func object(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatalf("test manifest: %v\n%s", err, manifest)
	}
	u.SetNamespace(ns)
	u.SetName(objectName(fmt.Sprintf("%s#%d", t.Name(), objects.Add(1))))
	return u
}

// objects numbers the objects made in this process. Each object gets its own name, so that
// go test -count=N never meets an object an earlier run left in the shared namespace.
var objects atomic.Int64

// objectName turns a test name into a valid, unique object name: a readable prefix and a hash.
func objectName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
			b.WriteByte('-')
		}
	}
	prefix := strings.TrimSuffix(b.String(), "-")
	prefix = strings.TrimSuffix(prefix[:min(len(prefix), 50)], "-")
	h := fnv.New32a()
	h.Write([]byte(test))
	return fmt.Sprintf("%s-%08x", prefix, h.Sum32())
}

func create(t *testing.T, c client.Client, manifest string) (*unstructured.Unstructured, error) {
	t.Helper()
	u := object(t, manifest)
	return u, c.Create(ctx(t), u)
}

func mustReject(t *testing.T, c client.Client, manifest string, wants ...string) {
	t.Helper()
	_, err := create(t, c, manifest)
	if err == nil {
		t.Fatalf("accepted, want rejection containing %q", wants)
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("err = %v, want 422 Invalid", err)
	}
	t.Logf("rejected: %v", err)
	for _, want := range wants {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", err, want)
		}
	}
}

const poolV1 = `
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
spec:
  selector:
    matchLabels:
      app: vllm
  targetPorts:
  - number: 8000
  endpointPickerRef:
    name: vllm-epp
    port:
      number: 9002
`

// edit changes a manifest with plain string replacement, failing when old is missing so a typo in a
// test cannot quietly test the unchanged manifest.
func edit(t *testing.T, manifest string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(manifest, pairs[i]) {
			t.Fatalf("edit: %q not in manifest", pairs[i])
		}
		manifest = strings.Replace(manifest, pairs[i], pairs[i+1], 1)
	}
	return manifest
}

func portsYAML(numbers ...int) string {
	var b strings.Builder
	b.WriteString("targetPorts:")
	if len(numbers) == 0 {
		b.WriteString(" []")
	}
	for _, n := range numbers {
		fmt.Fprintf(&b, "\n  - number: %d", n)
	}
	return b.String()
}

func labelsYAML(n int) string {
	var b strings.Builder
	b.WriteString("matchLabels:")
	if n == 0 {
		b.WriteString(" {}")
	}
	for i := range n {
		fmt.Fprintf(&b, "\n      label-%02d: v", i)
	}
	return b.String()
}

func TestInferencePoolDefaults(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	u, err := create(t, c, poolV1)
	if err != nil {
		t.Fatal(err)
	}
	var got v1.InferencePool
	if err := c.Get(ctx(t), client.ObjectKeyFromObject(u), &got); err != nil {
		t.Fatal(err)
	}
	ref := got.Spec.EndpointPickerRef
	if ref == nil {
		t.Fatal("endpointPickerRef lost")
	}
	if ref.Kind != "Service" || ref.FailureMode != v1.EndpointPickerFailClose || ref.Group == nil || *ref.Group != "" {
		t.Errorf("endpointPickerRef defaults: kind %q, failureMode %q, group %v; want Service, FailClose, \"\"",
			ref.Kind, ref.FailureMode, ref.Group)
	}
	if got.Spec.AppProtocol != v1.AppProtocolHTTP {
		t.Errorf("appProtocol = %q, want the default http", got.Spec.AppProtocol)
	}
	if len(got.Status.Parents) != 0 {
		t.Errorf("status.parents = %+v, want none (v1 has no placeholder parent)", got.Status.Parents)
	}

	// A parent's status round-trips through the status subresource, with its own defaults.
	got.Status.Parents = []v1.ParentStatus{{
		ParentRef:      v1.ParentReference{Name: "gw"},
		ControllerName: "example.com/gateway",
	}}
	if err := c.Status().Update(ctx(t), &got); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx(t), client.ObjectKeyFromObject(u), &got); err != nil {
		t.Fatal(err)
	}
	pr := got.Status.Parents[0].ParentRef
	if pr.Kind != "Gateway" || pr.Group == nil || *pr.Group != "gateway.networking.k8s.io" {
		t.Errorf("parentRef defaults: %+v", pr)
	}
}

func TestInferencePoolAccepts(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	for name, manifest := range map[string]string{
		"without endpointPickerRef (optional since v1.6.0)": edit(t, poolV1,
			"  endpointPickerRef:\n    name: vllm-epp\n    port:\n      number: 9002\n", ""),
		"8 ports, h2c, FailOpen": edit(t, poolV1,
			"targetPorts:\n  - number: 8000", portsYAML(8000, 8001, 8002, 8003, 8004, 8005, 8006, 65535),
			"endpointPickerRef:", "appProtocol: kubernetes.io/h2c\n  endpointPickerRef:\n    failureMode: FailOpen"),
		"kind other than Service needs no port": edit(t, poolV1,
			"    port:\n      number: 9002\n", "    kind: Backend\n    group: example.com\n"),
		"64 labels": edit(t, poolV1, "matchLabels:\n      app: vllm", labelsYAML(64)),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := create(t, c, manifest); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestInferencePoolRejects(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	const portRequired = "port is required when kind is 'Service' or unspecified (defaults to 'Service')"
	for _, tc := range []struct {
		name     string
		manifest string
		want     []string
	}{
		{"duplicate port", edit(t, poolV1, "targetPorts:\n  - number: 8000", portsYAML(8000, 80, 8000)),
			[]string{"spec.targetPorts", "port number must be unique"}},
		{"Service without port, kind unset", edit(t, poolV1, "    port:\n      number: 9002\n", ""),
			[]string{"spec.endpointPickerRef", portRequired}},
		{"Service without port, kind explicit", edit(t, poolV1, "    port:\n      number: 9002\n", "    kind: Service\n"),
			[]string{"spec.endpointPickerRef", portRequired}},
		{"no targetPorts", edit(t, poolV1, "targetPorts:\n  - number: 8000", portsYAML()),
			[]string{"spec.targetPorts", "should have at least 1 items"}},
		{"9 targetPorts", edit(t, poolV1, "targetPorts:\n  - number: 8000", portsYAML(1, 2, 3, 4, 5, 6, 7, 8, 9)),
			[]string{"spec.targetPorts", "must have at most 8 items"}},
		{"port 0", edit(t, poolV1, "- number: 8000", "- number: 0"),
			[]string{"spec.targetPorts[0].number", "should be greater than or equal to 1"}},
		{"port 65536", edit(t, poolV1, "- number: 8000", "- number: 65536"),
			[]string{"spec.targetPorts[0].number", "should be less than or equal to 65535"}},
		{"65 labels", edit(t, poolV1, "matchLabels:\n      app: vllm", labelsYAML(65)),
			[]string{"spec.selector.matchLabels", "must have at most 64 items"}},
		{"no labels", edit(t, poolV1, "matchLabels:\n      app: vllm", labelsYAML(0)),
			[]string{"spec.selector.matchLabels", "should have at least 1 properties"}},
		{"bad label value", edit(t, poolV1, "app: vllm", "app: -vllm"),
			[]string{"spec.selector.matchLabels.app", "should match"}},
		{"bad appProtocol", edit(t, poolV1, "endpointPickerRef:", "appProtocol: grpc\n  endpointPickerRef:"),
			[]string{"spec.appProtocol", `Unsupported value: "grpc"`, `"http"`, `"kubernetes.io/h2c"`}},
		{"bad failureMode", edit(t, poolV1, "    name: vllm-epp\n", "    name: vllm-epp\n    failureMode: Open\n"),
			[]string{"spec.endpointPickerRef.failureMode", `Unsupported value: "Open"`, `"FailOpen"`, `"FailClose"`}},
		{"no selector", edit(t, poolV1, "  selector:\n    matchLabels:\n      app: vllm\n", ""),
			[]string{"spec.selector", "Required value"}},
		{"no name in endpointPickerRef", edit(t, poolV1, "    name: vllm-epp\n", ""),
			[]string{"spec.endpointPickerRef.name", "Required value"}},
		{"no spec", "apiVersion: inference.networking.k8s.io/v1\nkind: InferencePool\n",
			[]string{"spec", "Required value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mustReject(t, c, tc.manifest, tc.want...)
		})
	}
}

// TestUnknownFieldStrict: kubectl asks for strict field validation, so the alpha field name in a v1
// pool fails there instead of being pruned silently (what a client that does not ask gets).
func TestUnknownFieldStrict(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	u := object(t, edit(t, poolV1, "endpointPickerRef:", "extensionRef:"))
	err := c.Create(ctx(t), u, client.FieldValidation("Strict"))
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "spec.extensionRef"`) {
		t.Errorf("err = %v, want 400 naming unknown field \"spec.extensionRef\"", err)
	}
}

const objectiveYAML = `
apiVersion: %s
kind: InferenceObjective
spec:
  priority: -5
  poolRef:
    name: vllm
`

func TestInferenceObjective(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	for _, gv := range []string{xv1alpha2.GroupVersion.String(), llmdv1alpha2.GroupVersion.String()} {
		manifest := fmt.Sprintf(objectiveYAML, gv)
		t.Run(gv, func(t *testing.T) {
			t.Parallel()
			t.Run("defaults", func(t *testing.T) {
				u, err := create(t, c, manifest)
				if err != nil {
					t.Fatal(err)
				}
				// Both groups share a schema; read through each package's own type.
				var group, kind, name string
				var priority *int
				if gv == xv1alpha2.GroupVersion.String() {
					var o xv1alpha2.InferenceObjective
					err = c.Get(ctx(t), client.ObjectKeyFromObject(u), &o)
					group, kind, name, priority = string(o.Spec.PoolRef.Group), string(o.Spec.PoolRef.Kind), string(o.Spec.PoolRef.Name), o.Spec.Priority
				} else {
					var o llmdv1alpha2.InferenceObjective
					err = c.Get(ctx(t), client.ObjectKeyFromObject(u), &o)
					group, kind, name, priority = string(o.Spec.PoolRef.Group), string(o.Spec.PoolRef.Kind), string(o.Spec.PoolRef.Name), o.Spec.Priority
				}
				if err != nil {
					t.Fatal(err)
				}
				if group != "inference.networking.k8s.io" || kind != "InferencePool" || name != "vllm" {
					t.Errorf("poolRef = %s/%s %s, want inference.networking.k8s.io/InferencePool vllm", group, kind, name)
				}
				if priority == nil || *priority != -5 {
					t.Errorf("priority = %v, want -5 (negative allowed)", priority)
				}
			})
			t.Run("status default", func(t *testing.T) {
				u, err := create(t, c, manifest)
				if err != nil {
					t.Fatal(err)
				}
				// The conditions default applies once a status exists.
				u.Object["status"] = map[string]any{}
				if err := c.Status().Update(ctx(t), u); err != nil {
					t.Fatal(err)
				}
				conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
				if len(conds) != 1 || fmt.Sprint(conds[0]) != "map[lastTransitionTime:1970-01-01T00:00:00Z message:Waiting for controller reason:Pending status:Unknown type:Ready]" {
					t.Errorf("status.conditions = %v, want the Ready/Unknown/Pending default", conds)
				}
			})
			t.Run("no poolRef", func(t *testing.T) {
				mustReject(t, c, edit(t, manifest, "  poolRef:\n    name: vllm\n", ""), "spec.poolRef", "Required value")
			})
			t.Run("no poolRef name", func(t *testing.T) {
				mustReject(t, c, edit(t, manifest, "    name: vllm\n", "    kind: InferencePool\n"), "spec.poolRef.name", "Required value")
			})
			t.Run("bad poolRef kind", func(t *testing.T) {
				mustReject(t, c, edit(t, manifest, "    name: vllm\n", "    name: vllm\n    kind: Inference/Pool\n"), "spec.poolRef.kind", "should match")
			})
		})
	}
}

const alphaPoolYAML = `
apiVersion: inference.networking.x-k8s.io/v1alpha2
kind: InferencePool
spec:
  targetPortNumber: 8000
  selector:
    app: vllm
  extensionRef:
    name: vllm-epp
`

func TestAlphaInferencePool(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	t.Run("defaults, and converts to a v1 pool the server accepts", func(t *testing.T) {
		u, err := create(t, c, alphaPoolYAML)
		if err != nil {
			t.Fatal(err)
		}
		var alpha xv1alpha2.InferencePool
		if err := c.Get(ctx(t), client.ObjectKeyFromObject(u), &alpha); err != nil {
			t.Fatal(err)
		}
		ext := alpha.Spec.ExtensionRef
		if ext.Kind == nil || *ext.Kind != "Service" || ext.Group == nil || *ext.Group != "" ||
			ext.FailureMode == nil || *ext.FailureMode != xv1alpha2.FailClose {
			t.Errorf("extensionRef defaults: %+v", ext)
		}
		parents := alpha.Status.Parents
		if len(parents) != 1 || parents[0].GatewayRef.Kind == nil || *parents[0].GatewayRef.Kind != "Status" ||
			parents[0].GatewayRef.Name != "default" || len(parents[0].Conditions) != 1 ||
			parents[0].Conditions[0].Reason != "Pending" {
			t.Errorf("status.parent = %+v, want the placeholder parent", parents)
		}

		pool, notes := convert.PoolFromAlpha(&alpha)
		if len(notes) != 1 {
			t.Errorf("notes = %q, want one about the filled-in port", notes)
		}
		pool.Status = v1.InferencePoolStatus{}
		if err := c.Create(ctx(t), pool); err != nil {
			t.Fatalf("the v1 pool converted from the alpha one was rejected: %v", err)
		}
		if pool.Spec.EndpointPickerRef.Port.Number != convert.DefaultEndpointPickerPort {
			t.Errorf("endpointPickerRef = %+v", pool.Spec.EndpointPickerRef)
		}
	})
	for _, tc := range []struct{ name, manifest, want string }{
		{"no extensionRef", edit(t, alphaPoolYAML, "  extensionRef:\n    name: vllm-epp\n", ""), "spec.extensionRef"},
		{"no targetPortNumber", edit(t, alphaPoolYAML, "  targetPortNumber: 8000\n", ""), "spec.targetPortNumber"},
		{"no selector", edit(t, alphaPoolYAML, "  selector:\n    app: vllm\n", ""), "spec.selector"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mustReject(t, c, tc.manifest, tc.want, "Required value")
		})
	}
	t.Run("bad failureMode", func(t *testing.T) {
		t.Parallel()
		mustReject(t, c, edit(t, alphaPoolYAML, "    name: vllm-epp\n", "    name: vllm-epp\n    failureMode: Open\n"),
			"spec.extensionRef.failureMode", `Unsupported value: "Open"`)
	})
}

// TestCRDMetadata checks what the installed CRDs tell kubectl and the conformance suite: the bundle
// version, the approval annotation, short names and printer columns.
func TestCRDMetadata(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	want := map[string]struct {
		approved  string
		shortName string
		columns   string
	}{
		"inferencepools.inference.networking.k8s.io": {
			"https://github.com/kubernetes-sigs/gateway-api-inference-extension/pull/1173", "infpool", ""},
		"inferencepools.inference.networking.x-k8s.io": {"unapproved, experimental-only", "xinfpool", ""},
		"inferenceobjectives.inference.networking.x-k8s.io": {"", "",
			"Inference Pool=.spec.poolRef.name Priority=.spec.priority Age=.metadata.creationTimestamp"},
		"inferenceobjectives.llm-d.ai": {"", "",
			"Inference Pool=.spec.poolRef.name Priority=.spec.priority Age=.metadata.creationTimestamp"},
	}
	var list apiextensionsv1.CustomResourceDefinitionList
	if err := c.List(ctx(t), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != len(want) {
		t.Errorf("%d CRDs installed, want %d", len(list.Items), len(want))
	}
	for _, crd := range list.Items {
		w, ok := want[crd.Name]
		if !ok {
			t.Errorf("unexpected CRD %s", crd.Name)
			continue
		}
		if got := crd.Annotations[api.BundleVersionAnnotation]; got != api.BundleVersion {
			t.Errorf("%s: %s = %q, want %q", crd.Name, api.BundleVersionAnnotation, got, api.BundleVersion)
		}
		if got := crd.Annotations["api-approved.kubernetes.io"]; got != w.approved {
			t.Errorf("%s: api-approved.kubernetes.io = %q, want %q", crd.Name, got, w.approved)
		}
		if got := strings.Join(crd.Spec.Names.ShortNames, ","); got != w.shortName {
			t.Errorf("%s: shortNames = %q, want %q", crd.Name, got, w.shortName)
		}
		if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Subresources == nil || crd.Spec.Versions[0].Subresources.Status == nil {
			t.Errorf("%s: want one version with the status subresource", crd.Name)
			continue
		}
		var cols []string
		for _, col := range crd.Spec.Versions[0].AdditionalPrinterColumns {
			cols = append(cols, col.Name+"="+col.JSONPath)
		}
		if got := strings.Join(cols, " "); got != w.columns {
			t.Errorf("%s: printer columns = %q, want %q", crd.Name, got, w.columns)
		}
	}

	// kubectl finds the short name through discovery.
	dc, err := discovery.NewDiscoveryClientForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	res, err := dc.ServerResourcesForGroupVersion(v1.GroupVersion.String())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range res.APIResources {
		if r.Name == "inferencepools" {
			found = strings.Join(r.ShortNames, ",") == "infpool"
		}
	}
	if !found {
		t.Errorf("discovery of %s: no inferencepools with short name infpool in %+v", v1.GroupVersion, res.APIResources)
	}
}
