package top

import (
	"fmt"

	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/internal/fleet"
)

// newLive and newPrometheus build the cluster sources of internal/fleet; they are the one
// place the command names them.
func newLive(cfg *rest.Config, o fleet.Options) (fleet.Source, error) { return fleet.NewLive(cfg, o) }

// newPrometheus waits for fleet's Prometheus source; until it exists --prometheus says so
// instead of silently scraping the pods.
func newPrometheus(url string, _ *rest.Config, _ fleet.Options) (fleet.Source, error) {
	return nil, fmt.Errorf("--prometheus %s: reading Prometheus is not built yet; leave --prometheus out to scrape the pods", url)
}
