package install

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/testbed"
)

// One control plane for the package. CRDs are cluster-wide, so the tests that use it do not run
// in parallel, and each starts from an empty cluster (reset).
var bed *testbed.Env

func TestMain(m *testing.M) { testbed.Main(m, &bed) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func apiext(t *testing.T) apiextensionsclient.Interface {
	t.Helper()
	c, err := apiextensionsclient.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dyn(t *testing.T) dynamic.Interface {
	t.Helper()
	c, err := dynamic.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// reset deletes every CRD (and so every custom object) and waits until they are gone, the way
// uninstall --force does.
func reset(t *testing.T) {
	t.Helper()
	ctx := testCtx(t)
	list, err := apiext(t).ApiextensionsV1().CustomResourceDefinitions().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var crds []CRD
	for _, crd := range list.Items {
		crds = append(crds, CRD{Name: crd.Name})
	}
	u := &Uninstaller{Client: apiext(t), Dynamic: dyn(t), Force: true, PollInterval: 50 * time.Millisecond}
	if _, err := u.Uninstall(ctx, crds); err != nil {
		t.Fatalf("reset: %v", err)
	}
}

func installer(t *testing.T, progress *bytes.Buffer) *Installer {
	return &Installer{Client: apiext(t), Progress: progress, PollInterval: 100 * time.Millisecond}
}

func load(t *testing.T, sel Selection) []CRD {
	t.Helper()
	crds, _, err := LoadEmbedded(sel)
	if err != nil {
		t.Fatal(err)
	}
	return crds
}

func mustInstall(t *testing.T, in *Installer, crds []CRD) *Result {
	t.Helper()
	res, err := in.Install(testCtx(t), crds)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	return res
}

// actions summarises a result as "name=action" pairs, or the single action when all agree.
func actions(res *Result) string {
	var parts []string
	all := map[Action]bool{}
	for _, c := range res.CRDs {
		parts = append(parts, c.Name+"="+string(c.Action))
		all[c.Action] = true
	}
	if len(all) == 1 {
		return "all " + string(res.CRDs[0].Action)
	}
	return strings.Join(parts, " ")
}

func getCRD(t *testing.T, name string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	crd, err := apiext(t).ApiextensionsV1().CustomResourceDefinitions().Get(testCtx(t), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return crd
}

// installedNames lists the CRDs in the cluster.
func installedNames(t *testing.T) map[string]bool {
	t.Helper()
	list, err := apiext(t).ApiextensionsV1().CustomResourceDefinitions().List(testCtx(t), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, crd := range list.Items {
		out[crd.Name] = true
	}
	return out
}

// applyAs server-side applies a manifest as another field manager (kubectl, a provider), the way
// those tools install CRDs.
func applyAs(t *testing.T, manager string, c CRD, edit func(*unstructured.Unstructured)) {
	t.Helper()
	obj := c.Object.DeepCopy()
	if edit != nil {
		edit(obj)
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	force := true
	_, err = apiext(t).ApiextensionsV1().CustomResourceDefinitions().Patch(testCtx(t), c.Name, types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: manager, Force: &force})
	if err != nil {
		t.Fatal(err)
	}
}

var poolGVR = schema.GroupVersionResource{Group: "inference.networking.k8s.io", Version: "v1", Resource: "inferencepools"}

// createPool creates an InferencePool with the given target ports.
func createPool(t *testing.T, ns, name string, ports ...int) error {
	t.Helper()
	var portList []string
	for _, p := range ports {
		portList = append(portList, "{number: "+strconv.Itoa(p)+"}")
	}
	manifest := `
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: ` + name + `, namespace: ` + ns + `}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [` + strings.Join(portList, ", ") + `]
  endpointPickerRef: {name: epp, port: {number: 9002}}
`
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	// The first write to a just-established CRD can race its schema being served; retry briefly.
	var err error
	for range 50 {
		_, err = dyn(t).Resource(poolGVR).Namespace(ns).Create(testCtx(t), u, metav1.CreateOptions{})
		if !apierrors.IsNotFound(err) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func ensureNamespace(t *testing.T, ns string) {
	t.Helper()
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	if _, err := dyn(t).Resource(gvr).Create(testCtx(t), u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
