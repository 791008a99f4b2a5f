package conformance

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	conf "github.com/igw-dev/igw/internal/conformance"
)

// --dry-run=client prints the base and touches nothing; --dry-run=server has the API server
// check what it can and creates nothing either.
func TestDryRun(t *testing.T) {
	stdout, _, code, err := cmdtest.RunAsRoot(t, NewCmd, nil, bed.Config, "--gateway-class", className, "--dry-run=client")
	if code != 0 {
		t.Fatalf("client: exit %d: %v", code, err)
	}
	docs := strings.Count(stdout, "---\n")
	if want := len(conf.Base(className, conf.Images{})); docs != want {
		t.Errorf("client: %d documents, want the %d of the base", docs, want)
	}
	cmdtest.Contains(t, "stdout", stdout, "kind: Namespace", "name: "+conf.InfraNamespace, "gatewayClassName: "+className, "kind: InferencePool")

	// What a dry run leaves: the primary Gateway as it was (absent, or left by an earlier run).
	gws := schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	dyn := dynamic.NewForConfigOrDie(bed.Config)
	state := func() string {
		u, err := dyn.Resource(gws).Namespace(conf.InfraNamespace).Get(context.Background(), conf.PrimaryGateway, metav1.GetOptions{})
		if err != nil {
			return "absent"
		}
		return u.GetResourceVersion()
	}
	before := state()
	stdout, _, code, err = cmdtest.RunAsRoot(t, NewCmd, nil, bed.Config, "--gateway-class", className, "--dry-run=server")
	if code != 0 {
		t.Fatalf("server: exit %d: %v\n%s", code, err, stdout)
	}
	cmdtest.Contains(t, "stdout", stdout, "Namespace "+conf.InfraNamespace+": would apply")
	if !strings.Contains(stdout, "Gateway "+conf.InfraNamespace+"/"+conf.PrimaryGateway+": ") {
		t.Errorf("server: no line for the primary Gateway:\n%s", stdout)
	}
	if after := state(); after != before {
		t.Errorf("a dry run changed the primary Gateway: %s, then %s", before, after)
	}
}
