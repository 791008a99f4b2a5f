package version

import "testing"

func TestRelease(t *testing.T) {
	for v, want := range map[string]bool{
		"v1.2.3": true, "1.2.3": true, "v0.2.0-rc.1": true, "v1.0.0+meta": true,
		"dev": false, "": false, "v1.2.3-dirty": false, "v1.2.3-4-gabcdef0": false,
		"1e0e0cd": false, "v1.2": false, "v1.2.3-4-gabcdef0-dirty": false, "0.1.1-snapshot-1e0e0cd": false,
	} {
		if got := (Info{Version: v}).Release(); got != want {
			t.Errorf("Release(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestBBRImageOnlyForReleases(t *testing.T) {
	defer func(v, d string) { version, bbrDigest = v, d }(version, bbrDigest)
	version, bbrDigest = "v1.4.0", "sha256:abc"
	repo, tag, digest, ok := BBRImage()
	if !ok || repo != BBRRepository || tag != "1.4.0" || digest != "sha256:abc" {
		t.Fatalf("release: %q %q %q %v", repo, tag, digest, ok)
	}
	version = "v1.4.0-3-g1234567"
	if _, _, _, ok := BBRImage(); ok {
		t.Fatal("a build past a tag must not claim the release's image")
	}
}
