package version

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sversion "k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"

	"github.com/igw-dev/igw/api"
	"github.com/igw-dev/igw/internal/install"
	"github.com/igw-dev/igw/internal/inventory"
	"github.com/igw-dev/igw/internal/kube"
	"github.com/igw-dev/igw/internal/pool"
	"github.com/igw-dev/igw/internal/version"
)

// inferenceCRDs are the inference extension's CRDs, as config/crd holds them: the v1
// InferencePool, the legacy one, and InferenceObjective as upstream and llm-d ship it.
var inferenceCRDs = []string{
	pool.PoolCRD,
	"inferencepools.inference.networking.x-k8s.io",
	"inferenceobjectives.inference.networking.x-k8s.io",
	"inferenceobjectives.llm-d.ai",
}

// gatewayAPICRDs are the Gateway API CRDs the inference extension routes through.
var gatewayAPICRDs = []string{
	"gateways.gateway.networking.k8s.io",
	"httproutes.gateway.networking.k8s.io",
}

// bbrSelector finds the Deployments of bbr's chart: the labels it sets whatever the release is
// called or nameOverride says.
const bbrSelector = "app.kubernetes.io/component=body-based-router,app.kubernetes.io/part-of=igw"

// bbrContainer is the container of bbr in the chart's Deployment.
const bbrContainer = "bbr"

// report is `igwctl version --client=false`: kubectl version's clientVersion and serverVersion,
// and beside them the CRD bundles and bbr.
type report struct {
	ClientVersion version.Info      `json:"clientVersion"`
	ServerVersion *k8sversion.Info  `json:"serverVersion,omitempty"`
	Server        string            `json:"server,omitempty"`
	CRDs          []crdVersion      `json:"crds,omitempty"`
	BBR           *bbrInstallations `json:"bbr,omitempty"`
}

// crdVersion is one CRD's release as its annotations record it.
type crdVersion struct {
	Name      string `json:"name"`
	Installed bool   `json:"installed"`
	// BundleVersion is the release that installed it: the inference extension's or Gateway API's
	// bundle-version annotation.
	BundleVersion string `json:"bundleVersion,omitempty"`
	// Channel is Gateway API's channel (standard, experimental); empty for the inference CRDs.
	Channel string `json:"channel,omitempty"`
	// Error says why the CRD could not be read (RBAC), when it could not.
	Error string `json:"error,omitempty"`
}

// bbrInstallations are the bbr Deployments in the scope looked at.
type bbrInstallations struct {
	// Scope is "namespace NAME" or "all namespaces".
	Scope       string          `json:"scope"`
	Deployments []bbrDeployment `json:"deployments"`
	// Error says why the Deployments could not be listed (RBAC), when they could not.
	Error string `json:"error,omitempty"`
}

type bbrDeployment struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Image is the bbr container's image as the Deployment names it, digest included when pinned.
	Image string `json:"image"`
	// Version is the chart's app.kubernetes.io/version label.
	Version       string `json:"version,omitempty"`
	Replicas      int32  `json:"replicas"`
	ReadyReplicas int32  `json:"readyReplicas"`
}

// readServer reads what the cluster runs. Its error means the cluster could not be read at all;
// what RBAC forbids is recorded in the report instead.
func readServer(ctx context.Context, o *Options) (*report, error) {
	if o.Kube == nil {
		return nil, errors.New("no cluster to read")
	}
	if err := kube.Ping(ctx, o.Kube); err != nil {
		return nil, err
	}
	cfg, err := o.Kube.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	dc, err := o.Kube.Discovery()
	if err != nil {
		return nil, err
	}
	sv, err := dc.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("reading the API server's version at %s: %w", cfg.Host, err)
	}
	rep := &report{ServerVersion: sv, Server: cfg.Host}
	if rep.CRDs, err = readCRDs(ctx, o.Kube); err != nil {
		return nil, err
	}
	scope, err := inventory.ScopeOf(o.Kube, o.AllNamespaces, o.Namespace)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	rep.BBR = readBBR(ctx, cs, scope)
	return rep, nil
}

// readCRDs reads the bundle-version annotations of the inference and Gateway API CRDs.
func readCRDs(ctx context.Context, f kube.Factory) ([]crdVersion, error) {
	client, err := f.APIExtensions()
	if err != nil {
		return nil, err
	}
	var out []crdVersion
	for _, name := range append(append([]string{}, inferenceCRDs...), gatewayAPICRDs...) {
		c := crdVersion{Name: name}
		crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case apierrors.IsForbidden(err):
			c.Error = `forbidden: RBAC needs "get" on customresourcedefinitions.apiextensions.k8s.io`
		case err != nil:
			c.Error = err.Error()
		default:
			c.Installed = true
			ann := crd.GetAnnotations()
			if strings.HasSuffix(name, ".gateway.networking.k8s.io") {
				c.BundleVersion, c.Channel = ann[install.GatewayAPIBundleVersionAnnotation], ann[install.GatewayAPIChannelAnnotation]
			} else {
				c.BundleVersion = ann[api.BundleVersionAnnotation]
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// readBBR lists the bbr Deployments of scope.
func readBBR(ctx context.Context, cs kubernetes.Interface, scope inventory.Scope) *bbrInstallations {
	ns, where := scope.Namespace, "namespace "+scope.Namespace
	if scope.All {
		ns, where = metav1.NamespaceAll, "all namespaces"
	}
	b := &bbrInstallations{Scope: where, Deployments: []bbrDeployment{}}
	list, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{LabelSelector: bbrSelector})
	switch {
	case apierrors.IsForbidden(err) && scope.All:
		b.Error = `forbidden: RBAC needs "list" on deployments.apps in all namespaces (a ClusterRole); name one with -n`
		return b
	case apierrors.IsForbidden(err):
		b.Error = fmt.Sprintf(`forbidden: RBAC needs "list" on deployments.apps in namespace %s`, scope.Namespace)
		return b
	case err != nil:
		b.Error = err.Error()
		return b
	}
	for i := range list.Items {
		b.Deployments = append(b.Deployments, bbrOf(&list.Items[i]))
	}
	sort.Slice(b.Deployments, func(i, j int) bool {
		x, y := b.Deployments[i], b.Deployments[j]
		return x.Namespace < y.Namespace || x.Namespace == y.Namespace && x.Name < y.Name
	})
	return b
}

func bbrOf(d *appsv1.Deployment) bbrDeployment {
	out := bbrDeployment{Namespace: d.Namespace, Name: d.Name, Version: d.Labels["app.kubernetes.io/version"],
		Replicas: 1, ReadyReplicas: d.Status.ReadyReplicas}
	if d.Spec.Replicas != nil {
		out.Replicas = *d.Spec.Replicas
	}
	cs := d.Spec.Template.Spec.Containers
	for _, c := range cs {
		if c.Name == bbrContainer {
			out.Image = c.Image
		}
	}
	if out.Image == "" && len(cs) > 0 {
		out.Image = cs[0].Image
	}
	return out
}

func (r *report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Client:\tigwctl %s\n", clientLine(r.ClientVersion))
	if r.ServerVersion == nil {
		return tw.Flush()
	}
	fmt.Fprintf(tw, "Server:\tKubernetes %s (%s) at %s\n", r.ServerVersion.GitVersion, r.ServerVersion.Platform, r.Server)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(tw, "CRDs:")
	for _, c := range r.CRDs {
		fmt.Fprintf(tw, "  %s\t%s\n", c.Name, c.state())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch b := r.BBR; {
	case b == nil:
	case b.Error != "":
		fmt.Fprintf(tw, "bbr: cannot list Deployments in %s: %s\n", b.Scope, b.Error)
	case len(b.Deployments) == 0:
		fmt.Fprintf(tw, "bbr: not installed in %s\n", b.Scope)
	default:
		fmt.Fprintf(tw, "bbr (%s):\n", b.Scope)
		for _, d := range b.Deployments {
			fmt.Fprintf(tw, "  %s/%s\t%s\tversion %s\tready %d/%d\n", d.Namespace, d.Name, d.Image, or(d.Version, "unknown"), d.ReadyReplicas, d.Replicas)
		}
	}
	return tw.Flush()
}

func (c crdVersion) state() string {
	switch {
	case c.Error != "":
		return "unknown (" + c.Error + ")"
	case !c.Installed:
		return "not installed"
	case c.Channel != "":
		return or(c.BundleVersion, "(no bundle version)") + " " + c.Channel
	}
	return or(c.BundleVersion, "(no bundle version)")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
