package config

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/api"
)

func TestFiles(t *testing.T) {
	for _, set := range Sets() {
		t.Run(string(set), func(t *testing.T) {
			files, err := Files(set)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) == 0 {
				t.Fatal("no files")
			}
			crds := 0
			for _, f := range files {
				if !strings.HasSuffix(f.Name, ".yaml") || len(f.Data) == 0 {
					t.Errorf("%s: empty or not YAML", f.Name)
				}
				for _, doc := range strings.Split(string(f.Data), "\n---\n") {
					var obj struct {
						Kind     string `json:"kind"`
						Metadata struct {
							Name        string            `json:"name"`
							Annotations map[string]string `json:"annotations"`
						} `json:"metadata"`
					}
					if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
						t.Fatalf("%s: %v", f.Name, err)
					}
					if obj.Kind != "CustomResourceDefinition" {
						continue
					}
					crds++
					if strings.HasPrefix(string(set), "gateway-api") {
						if got := obj.Metadata.Annotations["gateway.networking.k8s.io/bundle-version"]; got != GatewayAPIVersion() {
							t.Errorf("%s: gateway-api bundle-version %q, want %q", obj.Metadata.Name, got, GatewayAPIVersion())
						}
						if got, want := obj.Metadata.Annotations["gateway.networking.k8s.io/channel"], strings.TrimPrefix(string(set), "gateway-api-"); got != want {
							t.Errorf("%s: channel %q, want %q", obj.Metadata.Name, got, want)
						}
					} else if got := obj.Metadata.Annotations[api.BundleVersionAnnotation]; got != api.BundleVersion {
						t.Errorf("%s: %s = %q, want %q", obj.Metadata.Name, api.BundleVersionAnnotation, got, api.BundleVersion)
					}
				}
			}
			if crds == 0 {
				t.Error("no CRD in the set")
			}
		})
	}
	if _, err := Files("nope"); err == nil || !strings.Contains(err.Error(), "inference-v1") {
		t.Errorf("unknown set: err = %v, want one listing the known sets", err)
	}
}

func TestSetsContents(t *testing.T) {
	names := func(set Set) string {
		files, err := Files(set)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, f := range files {
			s = append(s, f.Name)
		}
		return strings.Join(s, " ")
	}
	if got := names(InferenceV1); got != "crd/inference.networking.k8s.io_inferencepools.yaml" {
		t.Errorf("inference-v1 = %s", got)
	}
	std, exp := names(GatewayAPIStandard), names(GatewayAPIExperimental)
	for _, want := range []string{"gateways.yaml", "httproutes.yaml", "referencegrants.yaml"} {
		if !strings.Contains(std, want) || !strings.Contains(exp, want) {
			t.Errorf("a gateway-api set lacks %s", want)
		}
	}
	if strings.Contains(std, "x-k8s.io") || !strings.Contains(exp, "gateway.networking.x-k8s.io_") {
		t.Errorf("experimental-only CRDs in the wrong set:\nstandard: %s\nexperimental: %s", std, exp)
	}
	if v := GatewayAPIVersion(); !strings.HasPrefix(v, "v1.") {
		t.Errorf("GatewayAPIVersion = %q", v)
	}
}
