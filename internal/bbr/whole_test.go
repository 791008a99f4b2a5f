package bbr

import (
	"strings"
	"testing"
)

// DecideBody answers as a session does: the scanner's errors mapped to the client's codes, the
// body limit, then the policy.
func TestDecideBody(t *testing.T) {
	p, err := NewPolicy(Policy{ModelHeaders: []string{HeaderInferenceModel}, MaxModelLength: 256})
	if err != nil {
		t.Fatal(err)
	}
	for body, code := range map[string]string{
		`{"model":"a","model":"b"}`: CodeDuplicateModel,
		`{"model":1}`:               CodeModelNotString,
		`[]`:                        CodeNotObject,
		`{"model":"a"`:              CodeInvalidJSON,
		`{"messages":[],"model":"` + strings.Repeat("x", 40) + `"}`: CodeBodyTooLarge,
	} {
		_, rej := p.DecideBody([]byte(body), 32)
		if rej == nil || rej.Code != code {
			t.Errorf("%s: %+v, want %s", body, rej, code)
		}
	}
	d, rej := p.DecideBody([]byte(`{"messages":[{"model":"x"}],"model":"llama"}`), 1<<20)
	if rej != nil || d.Model != "llama" || len(d.Set) != 1 || d.Set[0].Value != "llama" || d.Outcome != OutcomeRouted {
		t.Errorf("%+v %+v", d, rej)
	}
}
