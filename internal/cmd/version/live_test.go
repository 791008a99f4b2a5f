package version

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/testbed"
)

var bed *testbed.Env

func TestMain(m *testing.M) {
	testbed.Main(m, &bed, testbed.WithCRDPaths("../../../config/crd", "../../../config/gateway-api/standard"))
}

const bbrImage = "ghcr.io/igw-dev/bbr:0.2.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func clientset(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// installBBR creates namespace ns and in it a Deployment labelled as bbr's chart labels it, with
// ready of its two replicas ready.
func installBBR(t *testing.T, ns string, ready int32) {
	t.Helper()
	ctx, cs := ctxT(t), clientset(t, bed.Config)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{
		"helm.sh/chart": "bbr-0.2.0", "app.kubernetes.io/name": "bbr", "app.kubernetes.io/instance": "bbr",
		"app.kubernetes.io/version": "0.2.0", "app.kubernetes.io/component": "body-based-router",
		"app.kubernetes.io/part-of": "igw", "app.kubernetes.io/managed-by": "Helm",
	}
	selector := map[string]string{"app.kubernetes.io/name": "bbr", "app.kubernetes.io/instance": "bbr"}
	two := int32(2)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "bbr", Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &two,
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "bbr", Image: bbrImage}}},
			},
		},
	}
	d, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Status.Replicas, d.Status.ReadyReplicas = 2, ready
	if _, err := cs.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func runLive(t *testing.T, cfg *rest.Config, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	stdout, stderr, code, err := cmdtest.RunAsRoot(t, NewCmd, nil, cfg, args...)
	if err != nil {
		t.Logf("error: %v", err)
	}
	return stdout, stderr, code
}

func TestServerText(t *testing.T) {
	installBBR(t, "text", 1)
	stdout, stderr, code := runLive(t, bed.Config, "--client=false", "-n", "text")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	cmdtest.Contains(t, "version --client=false", stdout,
		"Client:  igwctl ", "Server:  Kubernetes "+testbed.K8sVersion, "at https://127.0.0.1:",
		"CRDs:\n",
		"  inferencepools.inference.networking.k8s.io         "+api.BundleVersion+"\n",
		"  inferenceobjectives.inference.networking.x-k8s.io  "+api.BundleVersion+"\n",
		"  gateways.gateway.networking.k8s.io                 v1.6.3 standard\n",
		"bbr (namespace text):\n  text/bbr  "+bbrImage+"  version 0.2.0  ready 1/2\n")

	stdout, _, code = runLive(t, bed.Config, "--client=false", "-n", "empty")
	if code != 0 || !strings.HasSuffix(stdout, "bbr: not installed in namespace empty\n") {
		t.Errorf("empty namespace: exit %d\n%s", code, stdout)
	}
}

func TestServerJSON(t *testing.T) {
	installBBR(t, "json", 2)
	for _, args := range [][]string{{"-n", "json"}, {"-A"}} {
		stdout, stderr, code := runLive(t, bed.Config, append([]string{"--client=false", "-o", "json"}, args...)...)
		if code != 0 || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q\n%s", args, code, stderr, stdout)
		}
		var got struct {
			ClientVersion map[string]string `json:"clientVersion"`
			ServerVersion map[string]string `json:"serverVersion"`
			CRDs          []crdVersion      `json:"crds"`
			BBR           bbrInstallations  `json:"bbr"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stdout)
		}
		if got.ClientVersion["version"] == "" || got.ClientVersion["goVersion"] == "" || got.ClientVersion["platform"] == "" ||
			got.ServerVersion["gitVersion"] != testbed.K8sVersion {
			t.Errorf("%v: versions %v %v", args, got.ClientVersion, got.ServerVersion)
		}
		crds := map[string]crdVersion{}
		for _, c := range got.CRDs {
			crds[c.Name] = c
		}
		if c := crds["inferencepools.inference.networking.k8s.io"]; !c.Installed || c.BundleVersion != api.BundleVersion || c.Channel != "" {
			t.Errorf("%v: InferencePool CRD %+v", args, c)
		}
		if c := crds["httproutes.gateway.networking.k8s.io"]; !c.Installed || c.BundleVersion != "v1.6.3" || c.Channel != "standard" {
			t.Errorf("%v: HTTPRoute CRD %+v", args, c)
		}
		want := bbrDeployment{Namespace: "json", Name: "bbr", Image: bbrImage, Version: "0.2.0", Replicas: 2, ReadyReplicas: 2}
		var found bool
		for _, d := range got.BBR.Deployments {
			found = found || d == want
		}
		if !found || got.BBR.Error != "" {
			t.Errorf("%v: bbr %+v, want %+v among them", args, got.BBR, want)
		}
	}
}

// A user who may list Deployments in one namespace but read no CRD still gets the rest, and is
// told which permission is missing.
func TestServerForbidden(t *testing.T) {
	installBBR(t, "rbac", 1)
	ctx, cs := ctxT(t), clientset(t, bed.Config)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "list-deployments", Namespace: "rbac"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"list"}}}}
	if _, err := cs.RbacV1().Roles("rbac").Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "viewer", Namespace: "rbac"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "viewer"}}}
	if _, err := cs.RbacV1().RoleBindings("rbac").Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	viewer := rest.CopyConfig(bed.Config)
	viewer.Impersonate = rest.ImpersonationConfig{UserName: "viewer", Groups: []string{"system:authenticated"}}

	stdout, stderr, code := runLive(t, viewer, "--client=false", "-n", "rbac")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	cmdtest.Contains(t, "forbidden CRDs", stdout,
		`inferencepools.inference.networking.k8s.io         unknown (forbidden: RBAC needs "get" on customresourcedefinitions.apiextensions.k8s.io)`,
		"rbac/bbr  "+bbrImage)

	stdout, _, code = runLive(t, viewer, "--client=false", "-A")
	if code != 0 || !strings.Contains(stdout, `bbr: cannot list Deployments in all namespaces: forbidden: RBAC needs "list" on deployments.apps in all namespaces`) {
		t.Errorf("-A: exit %d\n%s", code, stdout)
	}
	stdout, _, _ = runLive(t, viewer, "--client=false", "-n", "other")
	cmdtest.Contains(t, "-n other", stdout, `bbr: cannot list Deployments in namespace other: forbidden: RBAC needs "list" on deployments.apps in namespace other`)
}

// runWithKubeconfig runs the command as igwctl's root builds it, with clients from kubectl's
// flags, so --kubeconfig is read for real.
func runWithKubeconfig(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	io, out, errOut := cmdtest.Streams()
	flags := kube.NewConfigFlags()
	cmd := NewCmd(cmdutil.NewFactory(io, flags), nil)
	flags.AddFlags(cmd.PersistentFlags())
	err = cmdtest.Execute(cmd, io, args...)
	return out.String(), errOut.String(), err
}

// Without a cluster, --client=false prints the client and then fails with exit status 3 and an
// error that names the problem.
func TestServerUnreachable(t *testing.T) {
	closed := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(closed, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: closed, context: {cluster: c, user: u}}]
current-context: closed
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kubeconfig, format, stdout, err string
	}{
		{"/nonexistent", "text", "Client:  igwctl ", "/nonexistent"},
		{"/nonexistent", "json", `"clientVersion": {`, "check --kubeconfig"},
		{closed, "text", "Client:  igwctl ", `cannot reach the Kubernetes API server at https://127.0.0.1:1 (context "closed"`},
	} {
		stdout, _, err := runWithKubeconfig(t, "--client=false", "--kubeconfig", tc.kubeconfig, "-o", tc.format)
		if cmdutil.ExitCode(err) != exitCannot || err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(stdout, tc.stdout) {
			t.Errorf("%s -o %s: exit %d, %v; stdout\n%s", tc.kubeconfig, tc.format, cmdutil.ExitCode(err), err, stdout)
		}
		if strings.Contains(stdout, "serverVersion") || strings.Contains(stdout, "Server:") {
			t.Errorf("%s: a server part without a server:\n%s", tc.kubeconfig, stdout)
		}
	}
	// The default, --client, never touches the cluster.
	if stdout, _, err := runWithKubeconfig(t, "--kubeconfig", "/nonexistent"); err != nil || !strings.HasPrefix(stdout, "igwctl ") {
		t.Errorf("--client: %v\n%s", err, stdout)
	}
}

// The CRD names version reads are those config/crd holds.
func TestInferenceCRDNames(t *testing.T) {
	files, err := filepath.Glob("../../../config/crd/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	var want []string
	for _, f := range files {
		group, plural, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".yaml"), "_")
		want = append(want, plural+"."+group)
	}
	got := map[string]bool{}
	for _, n := range inferenceCRDs {
		got[n] = true
	}
	for _, n := range want {
		if !got[n] {
			t.Errorf("config/crd has %s, which version does not read", n)
		}
	}
	if len(want) != len(inferenceCRDs) {
		t.Errorf("version reads %v, config/crd holds %v", inferenceCRDs, want)
	}
}
