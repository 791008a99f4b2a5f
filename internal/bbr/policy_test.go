package bbr

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/igw-dev/igw/internal/envoysim"
)

// TestNewPolicyNormalisesCopies: header names are trimmed and lowercased
// once, into the policy's own slices; the caller's are left alone.
func TestNewPolicyNormalisesCopies(t *testing.T) {
	models := []string{" X-Model ", "x-other"}
	rules := []Rule{{Field: "user", Header: " X-User "}}
	p, err := NewPolicy(Policy{ModelHeaders: models, BaseModelHeader: " X-Base ", Rules: rules, MaxModelLength: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(models, []string{" X-Model ", "x-other"}) || rules[0].Header != " X-User " {
		t.Fatalf("NewPolicy changed the caller's slices: %q, %q", models, rules[0].Header)
	}
	if !slices.Equal(p.ModelHeaders, []string{"x-model", "x-other"}) || p.BaseModelHeader != "x-base" || p.Rules[0].Header != "x-user" {
		t.Fatalf("normalised names: %q, %q, %q", p.ModelHeaders, p.BaseModelHeader, p.Rules[0].Header)
	}
	if want := []string{"x-model", "x-other", "x-base", "x-user"}; !slices.Equal(p.Owned(), want) {
		t.Fatalf("owned %q, want %q", p.Owned(), want)
	}
	for _, bad := range []Policy{
		{ModelHeaders: []string{"x-a", " X-A"}, MaxModelLength: 1},
		{ModelHeaders: []string{"x-a"}, BaseModelHeader: "   ", MaxModelLength: 1},
	} {
		if _, err := NewPolicy(bad); err == nil {
			t.Errorf("NewPolicy(%+v) accepted", bad)
		}
	}
}

// TestPaddedBaseModelHeaderIsOneHeader: a base-model header given with
// spaces and capitals is set under the name it is stripped under, so a
// client cannot smuggle its own value past bbr.
func TestPaddedBaseModelHeaderIsOneHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "adapters.yaml")
	writeFile(t, path, "- baseModel: llama\n  adapters: [sql-lora]\n")
	bbr := startBBR(t, func(o *Options) { o.AdaptersFile, o.BaseModelHeader = path, " X-Base " })
	res := bbr.run(t, envoysim.Request{Headers: jsonHeaders([2]string{"x-base", "forged"}),
		Body: []byte(`{"model":"sql-lora"}`), Mode: envoysim.FullDuplexStreamed})
	if got := res.Headers["x-base"]; !slices.Equal(got, []string{"llama"}) {
		t.Fatalf("x-base = %q, want exactly [llama]; headers %v", got, res.Headers)
	}
	if _, ok := res.Headers[" x-base "]; ok {
		t.Fatal("the header was set under its untrimmed name")
	}
}
