package top

import (
	"k8s.io/client-go/rest"

	"github.com/igw-dev/igw/internal/fleet"
)

// newLive and newPrometheus build the cluster sources of internal/fleet; they are the one
// place the command names them.
func newLive(cfg *rest.Config, o fleet.Options) (fleet.Source, error) { return fleet.NewLive(cfg, o) }

func newPrometheus(url string, cfg *rest.Config, o fleet.Options) (fleet.Source, error) {
	return fleet.NewPrometheus(url, cfg, o)
}
