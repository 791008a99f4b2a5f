package standin

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// Load reads the objects in paths (files or directories, recursively) as kubectl apply -f would
// leave them: an object given twice counts as the later file has it, and namespaced objects
// without a namespace go into "default".
func Load(paths ...string) ([]*unstructured.Unstructured, error) {
	objs, err := manifest.Load(manifest.Options{Paths: paths, Recursive: true})
	if err != nil {
		return nil, err
	}
	return diagnose.FromManifests(objs, "").Objects, nil
}
