package diagnose_test

import (
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/providers"
)

// diagnose names the providers and their guides' GatewayClasses itself (it cannot import
// internal/providers); they must agree with the catalogue.
func TestProvidersAgree(t *testing.T) {
	for _, p := range providers.All() {
		if p.Managed {
			if !strings.HasPrefix(p.GatewayClass, diagnose.GKEClassPrefix) || providers.GKEClassPrefix != diagnose.GKEClassPrefix {
				t.Errorf("%s: class %s, prefix %s vs %s", p.Name, p.GatewayClass, providers.GKEClassPrefix, diagnose.GKEClassPrefix)
			}
			continue
		}
		if got := diagnose.GuideClasses[p.GatewayClass]; string(got) != string(p.Name) {
			t.Errorf("class %s: diagnose says %q, the catalogue %q", p.GatewayClass, got, p.Name)
		}
	}
}
