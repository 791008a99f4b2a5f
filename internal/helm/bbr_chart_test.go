package helm

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/lint/support"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/bbr"
	"github.com/igw-dev/igw/internal/ocitest"
)

// Tests of charts/bbr: rendered client-side for every provider and option, checked field by
// field; bad values rejected by the schema; and a real install through the OCI registry.

const bbrNS = "igw"

type object = map[string]any

func renderBBR(t *testing.T, values Values) (*Result, map[string]object) {
	t.Helper()
	res, err := Render(ctx(t), Settings{}, bbrNS, InstallOptions{ReleaseName: "bbr", Chart: ChartRef{Chart: bbrChartDir}, Values: values})
	if err != nil {
		t.Fatal(err)
	}
	return res, objectsByKind(t, res.Manifest)
}

// objectsByKind maps "Kind/namespace/name" to the object.
func objectsByKind(t *testing.T, manifest string) map[string]object {
	t.Helper()
	out := map[string]object{}
	for _, doc := range docSep.Split(manifest, -1) {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, doc)
		}
		if o == nil {
			continue
		}
		ns, _ := dig(o, "metadata", "namespace").(string)
		key := fmt.Sprintf("%s/%s/%s", o["kind"], ns, dig(o, "metadata", "name"))
		if _, dup := out[key]; dup {
			t.Fatalf("two objects %s", key)
		}
		out[key] = o
	}
	return out
}

func keys(objs map[string]object) []string {
	var ks []string
	for k := range objs {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// dig walks maps by key and lists by index.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func need(t *testing.T, objs map[string]object, key string) object {
	t.Helper()
	o, ok := objs[key]
	if !ok {
		t.Fatalf("no %s among %v", key, keys(objs))
	}
	return o
}

func wantField(t *testing.T, o object, want any, path ...any) {
	t.Helper()
	if got := dig(o, path...); !reflect.DeepEqual(got, want) {
		t.Errorf("%s %v: %v = %#v, want %#v", o["kind"], dig(o, "metadata", "name"), path, got, want)
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func container(t *testing.T, objs map[string]object) object {
	t.Helper()
	return dig(need(t, objs, "Deployment/"+bbrNS+"/bbr"), "spec", "template", "spec", "containers", 0).(object)
}

// parseArgs feeds the container's args to bbr's own flag set, so every flag the chart renders
// must exist in bbr.
func parseArgs(t *testing.T, args []string) *bbr.Options {
	t.Helper()
	opts := bbr.DefaultOptions()
	fs := pflag.NewFlagSet("bbr", pflag.ContinueOnError)
	opts.AddFlags(fs)
	expanded := make([]string, len(args))
	for i, a := range args {
		expanded[i] = strings.ReplaceAll(a, "$(NAMESPACE)", bbrNS)
	}
	if err := fs.Parse(expanded); err != nil {
		t.Fatalf("bbr rejects the chart's args %q: %v", args, err)
	}
	if fs.NArg() != 0 {
		t.Fatalf("stray args %v", fs.Args())
	}
	return opts
}

func TestBBRChartDefaults(t *testing.T) {
	res, objs := renderBBR(t, Values{})
	want := []string{
		"Deployment/igw/bbr", "Role/igw/bbr-configmaps", "RoleBinding/igw/bbr-configmaps", "Service/igw/bbr", "ServiceAccount/igw/bbr",
	}
	if got := keys(objs); !slices.Equal(got, want) {
		t.Fatalf("objects %v, want %v", got, want)
	}
	c := container(t, objs)
	args := strs(c["args"])
	if want := []string{"--grpc-port=9004", "--grpc-health-port=9005", "--metrics-port=9090", "--secure-serving=true",
		"--configmaps=auto", "--namespace=$(NAMESPACE)", "--log-format=json", "--log-level=info"}; !slices.Equal(args, want) {
		t.Fatalf("args %q, want %q", args, want)
	}
	opts := parseArgs(t, args)
	if !opts.SecureServing || opts.Namespace != bbrNS || opts.GRPCPort != 9004 || opts.ConfigMaps != "auto" {
		t.Fatalf("bbr options %+v", opts)
	}
	wantField(t, c, "ghcr.io/igw-dev/bbr:0.1.0", "image")
	wantField(t, c, "NAMESPACE", "env", 0, "name")
	wantField(t, c, "metadata.namespace", "env", 0, "valueFrom", "fieldRef", "fieldPath")
	wantField(t, c, float64(9005), "readinessProbe", "grpc", "port")
	wantField(t, c, "/healthz", "livenessProbe", "httpGet", "path")
	wantField(t, c, "http-metrics", "livenessProbe", "httpGet", "port")
	wantField(t, c, true, "securityContext", "readOnlyRootFilesystem")
	wantField(t, c, true, "securityContext", "runAsNonRoot")
	wantField(t, c, false, "securityContext", "allowPrivilegeEscalation")
	wantField(t, c, []any{"ALL"}, "securityContext", "capabilities", "drop")
	wantField(t, c, "64Mi", "resources", "requests", "memory")
	for i, p := range []struct {
		name string
		port float64
	}{{"grpc", 9004}, {"grpc-health", 9005}, {"http-metrics", 9090}} {
		wantField(t, c, p.name, "ports", i, "name")
		wantField(t, c, p.port, "ports", i, "containerPort")
	}
	d := need(t, objs, "Deployment/igw/bbr")
	wantField(t, d, "bbr", "spec", "template", "spec", "serviceAccountName")
	wantField(t, d, true, "spec", "template", "spec", "securityContext", "runAsNonRoot")

	svc := need(t, objs, "Service/igw/bbr")
	wantField(t, svc, "ClusterIP", "spec", "type")
	wantField(t, svc, "grpc", "spec", "ports", 0, "name")
	wantField(t, svc, float64(9004), "spec", "ports", 0, "port")
	wantField(t, svc, "HTTP2", "spec", "ports", 0, "appProtocol")
	wantField(t, svc, float64(9090), "spec", "ports", 2, "port")

	role := need(t, objs, "Role/igw/bbr-configmaps")
	wantField(t, role, []any{"configmaps"}, "rules", 0, "resources")
	wantField(t, role, []any{"get", "list", "watch"}, "rules", 0, "verbs")
	wantField(t, need(t, objs, "RoleBinding/igw/bbr-configmaps"), "bbr", "subjects", 0, "name")

	if !strings.Contains(res.Notes, "Gateway glue: none") || !strings.Contains(res.Notes, "bbr.igw.svc.cluster.local:9004") {
		t.Fatalf("NOTES:\n%s", res.Notes)
	}
}

// image.digest pins the image: repository:tag@digest, the tag defaulting to the appVersion as
// without a digest, or repository@digest when the tag is set empty.
func TestBBRChartImageDigest(t *testing.T) {
	digest := "sha256:" + strings.Repeat("0f", 32)
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{[]string{"image.tag=1.2.3"}, "ghcr.io/igw-dev/bbr:1.2.3"},
		{[]string{"image.digest=" + digest}, "ghcr.io/igw-dev/bbr@" + digest},
		{[]string{"image.digest=" + digest, "image.tag=1.2.3"}, "ghcr.io/igw-dev/bbr:1.2.3@" + digest},
		{[]string{"image.digest=" + digest, "image.tag=1.2.3", "image.repository=localhost:5000/bbr"}, "localhost:5000/bbr:1.2.3@" + digest},
	} {
		_, objs := renderBBR(t, Values{Set: tc.set})
		wantField(t, container(t, objs), tc.want, "image")
	}
}

func TestBBRChartOptions(t *testing.T) {
	flagsFile := writeFile(t, "flags.yaml", "flags:\n  max-model-length: 1048576\n  rules-file: /etc/bbr/rules.yaml\n")
	_, objs := renderBBR(t, Values{
		Files: []string{flagsFile},
		Set: []string{
			"secureServing=false", "modelHeaders={x-model,x-llm}", "maxBodyBytes=4Mi", "maxHeldBytes=96Mi", "requireModel=true", "strict=true",
			"logLevel=debug", "drainTimeout=20s", "shutdownDelay=5s", "replicas=3", "image.tag=dev",
		},
		SetString: []string{"baseModelHeader="},
	})
	c := container(t, objs)
	opts := parseArgs(t, strs(c["args"]))
	if opts.SecureServing || !slices.Equal(opts.ModelHeaders, []string{"x-model", "x-llm"}) || opts.MaxBodyBytes != 4<<20 || opts.MaxHeldBytes != 96<<20 ||
		!opts.RequireModel || !opts.Strict || opts.BaseModelHeader != "" || opts.MaxModelLength != 1048576 ||
		opts.RulesFile != "/etc/bbr/rules.yaml" || opts.LogLevel != "debug" || opts.DrainTimeout != 20*time.Second || opts.ShutdownDelay != 5*time.Second {
		t.Fatalf("bbr options from %q: %+v", strs(c["args"]), opts)
	}
	wantField(t, c, "ghcr.io/igw-dev/bbr:dev", "image")
	wantField(t, need(t, objs, "Deployment/igw/bbr"), float64(3), "spec", "replicas")
	wantField(t, need(t, objs, "Service/igw/bbr"), "kubernetes.io/h2c", "spec", "ports", 0, "appProtocol")

	t.Run("multiNamespace", func(t *testing.T) {
		_, objs := renderBBR(t, Values{Set: []string{"multiNamespace=true"}})
		want := []string{"ClusterRole//igw-bbr-configmaps", "ClusterRoleBinding//igw-bbr-configmaps", "Deployment/igw/bbr", "Service/igw/bbr", "ServiceAccount/igw/bbr"}
		if got := keys(objs); !slices.Equal(got, want) {
			t.Fatalf("objects %v, want %v", got, want)
		}
		c := container(t, objs)
		if args := strs(c["args"]); slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--namespace") }) {
			t.Fatalf("multiNamespace args %q still scope to a namespace", args)
		}
		if c["env"] != nil {
			t.Fatalf("multiNamespace sets env %v (bbr would scope to $NAMESPACE)", c["env"])
		}
		if opts := parseArgs(t, strs(c["args"])); opts.Namespace != "" {
			t.Fatalf("namespace %q", opts.Namespace)
		}
	})
	t.Run("no ConfigMap watch, no RBAC", func(t *testing.T) {
		_, objs := renderBBR(t, Values{Set: []string{"adapters.configMaps=false"}})
		if got, want := keys(objs), []string{"Deployment/igw/bbr", "Service/igw/bbr", "ServiceAccount/igw/bbr"}; !slices.Equal(got, want) {
			t.Fatalf("objects %v, want %v", got, want)
		}
		if opts := parseArgs(t, strs(container(t, objs)["args"])); opts.ConfigMaps != "false" {
			t.Fatalf("--configmaps %q", opts.ConfigMaps)
		}
	})
	t.Run("TLS from a Secret", func(t *testing.T) {
		_, objs := renderBBR(t, Values{Set: []string{"tls.secretName=bbr-tls"}})
		c := container(t, objs)
		opts := parseArgs(t, strs(c["args"]))
		if opts.CertFile != "/etc/bbr/tls/tls.crt" || opts.KeyFile != "/etc/bbr/tls/tls.key" {
			t.Fatalf("cert %q key %q", opts.CertFile, opts.KeyFile)
		}
		wantField(t, c, "/etc/bbr/tls", "volumeMounts", 0, "mountPath")
		wantField(t, need(t, objs, "Deployment/igw/bbr"), "bbr-tls", "spec", "template", "spec", "volumes", 0, "secret", "secretName")
	})
	t.Run("PodDisruptionBudget", func(t *testing.T) {
		_, objs := renderBBR(t, Values{Set: []string{"podDisruptionBudget.enabled=true", "podDisruptionBudget.maxUnavailable=1"}})
		pdb := need(t, objs, "PodDisruptionBudget/igw/bbr")
		wantField(t, pdb, float64(1), "spec", "maxUnavailable")
		wantField(t, pdb, nil, "spec", "minAvailable")
		wantField(t, pdb, "bbr", "spec", "selector", "matchLabels", "app.kubernetes.io/name")
	})
	t.Run("other release name", func(t *testing.T) {
		res, err := Render(ctx(t), Settings{}, bbrNS, InstallOptions{ReleaseName: "canary", Chart: ChartRef{Chart: bbrChartDir}})
		if err != nil {
			t.Fatal(err)
		}
		need(t, objectsByKind(t, res.Manifest), "Deployment/igw/canary-bbr")
	})
}

func TestBBRChartIstio(t *testing.T) {
	res, objs := renderBBR(t, Values{Set: []string{"provider.name=istio"}})
	ef := need(t, objs, "EnvoyFilter/igw/bbr")
	wantField(t, ef, "networking.istio.io/v1alpha3", "apiVersion")
	wantField(t, ef, []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "inference-gateway"}}, "spec", "targetRefs")
	patch := dig(ef, "spec", "configPatches", 0).(object)
	wantField(t, patch, "HTTP_FILTER", "applyTo")
	wantField(t, patch, "GATEWAY", "match", "context")
	wantField(t, patch, "envoy.filters.network.http_connection_manager", "match", "listener", "filterChain", "filter", "name")
	wantField(t, patch, nil, "match", "listener", "filterChain", "filter", "subFilter")
	wantField(t, patch, "INSERT_FIRST", "patch", "operation")
	tc := dig(patch, "patch", "value", "typed_config").(object)
	wantField(t, tc, "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor", "@type")
	wantField(t, tc, false, "failure_mode_allow")
	wantField(t, tc, false, "allow_mode_override")
	wantField(t, tc, map[string]any{
		"request_header_mode": "SEND", "request_body_mode": "FULL_DUPLEX_STREAMED", "request_trailer_mode": "SEND",
		"response_header_mode": "SKIP", "response_body_mode": "NONE", "response_trailer_mode": "SKIP",
	}, "processing_mode")
	wantField(t, tc, "outbound|9004||bbr.igw.svc.cluster.local", "grpc_service", "envoy_grpc", "cluster_name")

	dr := need(t, objs, "DestinationRule/igw/bbr")
	wantField(t, dr, "bbr.igw.svc.cluster.local", "spec", "host")
	wantField(t, dr, map[string]any{"mode": "SIMPLE", "insecureSkipVerify": true}, "spec", "trafficPolicy", "tls")
	if !strings.Contains(res.Notes, "EnvoyFilter bbr adds the ext_proc filter to Gateway igw/inference-gateway") {
		t.Fatalf("NOTES:\n%s", res.Notes)
	}

	t.Run("plaintext, gateway elsewhere, anchored", func(t *testing.T) {
		_, objs := renderBBR(t, Values{Set: []string{
			"provider.name=istio", "secureServing=false", "gateway.name=gw", "gateway.namespace=gateways", "ports.grpc=9100",
			"provider.istio.envoyFilter.operation=INSERT_AFTER", "provider.istio.envoyFilter.anchorSubFilter=envoy.filters.http.jwt_authn",
			"provider.istio.envoyFilter.messageTimeout=2s",
		}})
		if _, ok := objs["DestinationRule/igw/bbr"]; ok {
			t.Fatal("DestinationRule without TLS")
		}
		ef := need(t, objs, "EnvoyFilter/gateways/bbr")
		wantField(t, ef, "gw", "spec", "targetRefs", 0, "name")
		patch := dig(ef, "spec", "configPatches", 0)
		wantField(t, patch.(object), "INSERT_AFTER", "patch", "operation")
		wantField(t, patch.(object), "envoy.filters.http.jwt_authn", "match", "listener", "filterChain", "filter", "subFilter", "name")
		wantField(t, patch.(object), "outbound|9100||bbr.igw.svc.cluster.local", "patch", "value", "typed_config", "grpc_service", "envoy_grpc", "cluster_name")
		wantField(t, patch.(object), "2s", "patch", "value", "typed_config", "message_timeout")
	})
	t.Run("anchor required", func(t *testing.T) {
		_, err := Render(ctx(t), Settings{}, bbrNS, InstallOptions{ReleaseName: "bbr", Chart: ChartRef{Chart: bbrChartDir},
			Values: Values{Set: []string{"provider.name=istio", "provider.istio.envoyFilter.operation=INSERT_BEFORE"}}})
		if err == nil || !strings.Contains(err.Error(), "needs provider.istio.envoyFilter.anchorSubFilter") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestBBRChartGKE(t *testing.T) {
	res, objs := renderBBR(t, Values{Set: []string{"provider.name=gke"}})
	ext := need(t, objs, "GCPRoutingExtension/igw/bbr")
	wantField(t, ext, "networking.gke.io/v1", "apiVersion")
	wantField(t, ext, "inference-gateway", "spec", "targetRefs", 0, "name")
	wantField(t, ext, "Gateway", "spec", "targetRefs", 0, "kind")
	e := dig(ext, "spec", "extensionChains", 0, "extensions", 0).(object)
	wantField(t, e, []any{"RequestHeaders", "RequestBody", "RequestTrailers"}, "supportedEvents")
	wantField(t, e, "FullDuplexStreamed", "requestBodySendMode")
	wantField(t, e, nil, "responseBodySendMode")
	wantField(t, e, map[string]any{"group": "", "kind": "Service", "name": "bbr", "port": float64(9004)}, "backendRef")
	wantField(t, e, "1s", "timeout")
	wantField(t, e, "bbr.igw.svc.cluster.local", "authority")
	hc := need(t, objs, "HealthCheckPolicy/igw/bbr")
	wantField(t, hc, "GRPC", "spec", "default", "config", "type")
	wantField(t, hc, map[string]any{"portSpecification": "USE_FIXED_PORT", "port": float64(9005)}, "spec", "default", "config", "grpcHealthCheck")
	wantField(t, hc, map[string]any{"group": "", "kind": "Service", "name": "bbr"}, "spec", "targetRef")
	if !strings.Contains(res.Notes, "GCPRoutingExtension bbr on Gateway igw/inference-gateway") {
		t.Fatalf("NOTES:\n%s", res.Notes)
	}
}

func TestBBRChartAgentgateway(t *testing.T) {
	res, objs := renderBBR(t, Values{Set: []string{"provider.name=agentgateway", "gateway.namespace=agentgateway-system"}})
	pol := need(t, objs, "AgentgatewayPolicy/agentgateway-system/bbr")
	wantField(t, pol, "agentgateway.dev/v1alpha1", "apiVersion")
	wantField(t, pol, "inference-gateway", "spec", "targetRefs", 0, "name")
	wantField(t, pol, "PreRouting", "spec", "traffic", "phase")
	wantField(t, pol, map[string]any{"group": "", "kind": "Service", "name": "bbr", "namespace": "igw", "port": float64(9004)}, "spec", "traffic", "extProc", "backendRef")
	wantField(t, pol, "FullDuplexStreamed", "spec", "traffic", "extProc", "processingOptions", "requestBodyMode")
	wantField(t, pol, "Send", "spec", "traffic", "extProc", "processingOptions", "requestTrailerMode")
	wantField(t, pol, "None", "spec", "traffic", "extProc", "processingOptions", "responseBodyMode")
	tls := need(t, objs, "AgentgatewayPolicy/igw/bbr-tls")
	wantField(t, tls, map[string]any{"group": "", "kind": "Service", "name": "bbr"}, "spec", "targetRefs", 0)
	wantField(t, tls, "All", "spec", "backend", "tls", "insecureSkipVerify")
	if !strings.Contains(res.Notes, "PreRouting phase of Gateway agentgateway-system/inference-gateway") {
		t.Fatalf("NOTES:\n%s", res.Notes)
	}
	_, objs = renderBBR(t, Values{Set: []string{"provider.name=agentgateway", "secureServing=false", "provider.agentgateway.processingOptions=false"}})
	if _, ok := objs["AgentgatewayPolicy/igw/bbr-tls"]; ok {
		t.Fatal("TLS policy without TLS")
	}
	wantField(t, need(t, objs, "AgentgatewayPolicy/igw/bbr"), nil, "spec", "traffic", "extProc", "processingOptions")
	wantField(t, need(t, objs, "AgentgatewayPolicy/igw/bbr"), nil, "spec", "traffic", "extProc", "backendRef", "namespace")
}

func TestBBRChartNginx(t *testing.T) {
	res, objs := renderBBR(t, Values{Set: []string{"provider.name=nginx"}})
	want := []string{"Deployment/igw/bbr", "Role/igw/bbr-configmaps", "RoleBinding/igw/bbr-configmaps", "Service/igw/bbr", "ServiceAccount/igw/bbr"}
	if got := keys(objs); !slices.Equal(got, want) {
		t.Fatalf("objects %v, want only bbr's own %v", got, want)
	}
	if !strings.Contains(res.Notes, "NGINX Gateway Fabric has no way to call an ext_proc server before route matching") {
		t.Fatalf("NOTES:\n%s", res.Notes)
	}
}

func TestBBRChartSchema(t *testing.T) {
	for _, tc := range []struct {
		set       []string
		fragments []string
	}{
		{[]string{"provider.name=traefik"}, []string{"provider.name", "istio", "agentgateway"}},
		{[]string{"ports.grpc=70000"}, []string{"ports.grpc", "65,535"}},
		{[]string{"replica=2"}, []string{"replica", "top level"}},
		{[]string{"provider.istio.envoyFilter.operation=MERGE"}, []string{"provider.istio.envoyFilter.operation"}},
		{[]string{"maxBodyBytes=8MB"}, []string{"maxBodyBytes"}},
		{[]string{"maxHeldBytes=1GB"}, []string{"maxHeldBytes"}},
		{[]string{"image.pullPolicy=Sometimes"}, []string{"image.pullPolicy"}},
		{[]string{"image.digest=sha256:abc"}, []string{"image.digest"}},
		{[]string{"image.digest=" + strings.Repeat("ab", 32)}, []string{"image.digest"}},
		{[]string{"image.tag=1.0@sha256:" + strings.Repeat("ab", 32)}, []string{"image.tag"}},
		{[]string{"image.sha=x"}, []string{"image", "sha"}},
		{[]string{"logFormat=xml"}, []string{"logFormat", "json"}},
		{[]string{"modelHeaders={X Bad}"}, []string{"modelHeaders[0]"}},
	} {
		t.Run(strings.Join(tc.set, ","), func(t *testing.T) {
			_, err := Render(ctx(t), Settings{}, bbrNS, InstallOptions{ReleaseName: "bbr", Chart: ChartRef{Chart: bbrChartDir}, Values: Values{Set: tc.set}})
			wantError(t, err, ErrBadValues, tc.fragments...)
			t.Log(err)
		})
	}
	t.Run("tls without secureServing", func(t *testing.T) {
		_, err := Render(ctx(t), Settings{}, bbrNS, InstallOptions{ReleaseName: "bbr", Chart: ChartRef{Chart: bbrChartDir},
			Values: Values{Set: []string{"tls.secretName=x", "secureServing=false"}}})
		if err == nil || !strings.Contains(err.Error(), "tls.secretName is set but secureServing is false") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestBBRChartInstall publishes the chart to the OCI registry and installs it into the test bed:
// with Istio glue, then switched to Agentgateway glue (the EnvoyFilter goes away), then GKE glue,
// whose CRDs this cluster lacks.
func TestBBRChartInstall(t *testing.T) {
	reg := ocitest.Start(t)
	ref, version := reg.MustPushChart(t, bbrChartDir, "")
	if version != "0.1.0" {
		t.Fatalf("chart version %s", version)
	}
	ns := "igw-install"
	c := newClient(t, ns)
	res, err := c.Install(ctx(t), InstallOptions{
		ReleaseName: "bbr", Chart: ChartRef{Chart: ref, Version: "0.1.0", PlainHTTP: true},
		Values: Values{Set: []string{"provider.name=istio", "modelHeaders={x-gateway-inference-model}"}}, CreateNamespace: true,
		Wait: true, Timeout: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ready || len(res.NotReady) != 1 || !strings.HasPrefix(res.NotReady[0], "Deployment "+ns+"/bbr") {
		t.Fatalf("readiness: ready %v, not ready %q (no controllers run in the test bed)", res.Ready, res.NotReady)
	}
	t.Log(res.Summary())

	cs := clientset(t)
	bg := context.Background()
	d, err := cs.AppsV1().Deployments(ns).Get(bg, "bbr", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctr := d.Spec.Template.Spec.Containers[0]
	if opts := parseArgs(t, ctr.Args); !opts.SecureServing || !slices.Equal(opts.ModelHeaders, []string{"x-gateway-inference-model"}) {
		t.Fatalf("args %q", ctr.Args)
	}
	if ctr.ReadinessProbe == nil || ctr.ReadinessProbe.GRPC == nil || ctr.ReadinessProbe.GRPC.Port != 9005 {
		t.Fatalf("readiness probe %+v", ctr.ReadinessProbe)
	}
	if sc := ctr.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || len(sc.Capabilities.Drop) != 1 {
		t.Fatalf("security context %+v", sc)
	}
	svc, err := cs.CoreV1().Services(ns).Get(bg, "bbr", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := svc.Spec.Ports[0]; p.Port != 9004 || p.AppProtocol == nil || *p.AppProtocol != "HTTP2" {
		t.Fatalf("Service port %+v", p)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Get(bg, "bbr", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	role, err := cs.RbacV1().Roles(ns).Get(bg, "bbr-configmaps", metav1.GetOptions{})
	if err != nil || !slices.Equal(role.Rules[0].Verbs, []string{"get", "list", "watch"}) {
		t.Fatalf("Role: %+v, %v", role, err)
	}
	if rb, err := cs.RbacV1().RoleBindings(ns).Get(bg, "bbr-configmaps", metav1.GetOptions{}); err != nil || rb.Subjects[0].Name != "bbr" {
		t.Fatalf("RoleBinding: %+v, %v", rb, err)
	}
	dyn, err := dynamic.NewForConfig(bed.Config)
	if err != nil {
		t.Fatal(err)
	}
	envoyFilters := schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1alpha3", Resource: "envoyfilters"}
	ef, err := dyn.Resource(envoyFilters).Namespace(ns).Get(bg, "bbr", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dig(ef.Object, "spec", "configPatches", 0, "patch", "value", "typed_config", "grpc_service", "envoy_grpc", "cluster_name"); got != "outbound|9004||bbr.igw-install.svc.cluster.local" {
		t.Fatalf("EnvoyFilter cluster %v", got)
	}
	if _, err := dyn.Resource(schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"}).Namespace(ns).Get(bg, "bbr", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}

	// Switch the glue to Agentgateway.
	res, err = c.Install(ctx(t), InstallOptions{ReleaseName: "bbr", Chart: ChartRef{Chart: ref, PlainHTTP: true}, Values: Values{Set: []string{"provider.name=agentgateway"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "upgrade" || res.Revision != 2 {
		t.Fatalf("upgrade %+v", res)
	}
	_, err = dyn.Resource(envoyFilters).Namespace(ns).Get(bg, "bbr", metav1.GetOptions{})
	wantGone(t, err, "EnvoyFilter after switching to agentgateway")
	pol, err := dyn.Resource(schema.GroupVersionResource{Group: "agentgateway.dev", Version: "v1alpha1", Resource: "agentgatewaypolicies"}).Namespace(ns).Get(bg, "bbr", metav1.GetOptions{})
	if err != nil || dig(pol.Object, "spec", "traffic", "phase") != "PreRouting" {
		t.Fatalf("AgentgatewayPolicy: %v, %v", pol, err)
	}

	// GKE glue on a cluster without GKE's CRDs.
	_, err = c.Install(ctx(t), InstallOptions{ReleaseName: "bbr", Chart: ChartRef{Chart: ref, PlainHTTP: true}, Values: Values{Set: []string{"provider.name=gke"}}})
	wantError(t, err, ErrMissingAPI, "GCPRoutingExtension", "networking.gke.io/v1", "install the CRDs")
	t.Log(err)
	if st, err := c.Status(ctx(t), "bbr", ""); err != nil || st.Revision != 2 || st.Status != "deployed" {
		t.Fatalf("after the failed upgrade: %+v, %v", st, err)
	}

	if _, err := c.Uninstall(ctx(t), "bbr", UninstallOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = cs.AppsV1().Deployments(ns).Get(bg, "bbr", metav1.GetOptions{})
	wantGone(t, err, "Deployment after uninstall")
}

// TestChartsLint runs `helm lint --strict` over the bbr chart and the test charts.
func TestChartsLint(t *testing.T) {
	dirs := []string{bbrChartDir}
	for _, c := range []string{"istio/base", "istio/istiod", "agentgateway-crds", "agentgateway", "nginx-gateway-fabric"} {
		dirs = append(dirs, testChart(c))
	}
	for _, dir := range dirs {
		lint := action.NewLint()
		lint.Strict = true
		lint.Namespace = bbrNS
		res := lint.Run([]string{dir}, nil)
		for _, m := range res.Messages {
			if m.Severity > support.InfoSev {
				t.Errorf("%s: %s", dir, m)
			}
		}
		for _, err := range res.Errors {
			t.Errorf("%s: %v", dir, err)
		}
	}
}
