package simulate

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/cmdutil/cmdtest"
	"github.com/igw-dev/igw/internal/goldenfile"
	"github.com/igw-dev/igw/internal/sdkbody"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const dir = "../../../../testdata/route/simulate/"

// want is a prediction: the status, the route and rule ("" for none) and each pool's exact
// probability; lose names routes that must appear among the losers with a reason containing
// the text.
type want struct {
	status  int
	route   string
	split   map[string]string
	code    string
	strip   []string
	lose    map[string]string
	base    string
	outcome string
}

func TestSimulate(t *testing.T) {
	sdk := filepath.Join(t.TempDir(), "sdk.json")
	if err := os.WriteFile(sdk, sdkbody.VisionChat("llama", 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	canary := []string{"-f", dir + "gateway.yaml", "-f", dir + "canary.yaml"}
	prec := []string{"-f", dir + "gateway.yaml", "-f", dir + "precedence.yaml"}
	for _, tc := range []struct {
		name  string
		files []string
		args  []string
		want  want
	}{
		{"canary split", canary, []string{"--model", "llama"},
			want{status: 200, route: "default/llama 0", split: map[string]string{"llama-v1": "9/10", "llama-v2": "1/10"},
				lose: map[string]string{"default/catch-all": "matches more headers (1 against 0)"}}},
		{"OpenAI SDK body, model after messages", canary, []string{"--body", sdk},
			want{status: 200, route: "default/llama 0", split: map[string]string{"llama-v1": "9/10", "llama-v2": "1/10"}}},
		{"adapter through the base model mapping", canary, []string{"--model", "food-review-1"},
			want{status: 200, route: "default/llama-adapters 0", base: "meta-llama/Llama-3.1-8B-Instruct",
				split: map[string]string{"llama-lora-a": "1/3", "llama-lora-b": "2/3"},
				lose:  map[string]string{"default/llama": `is "food-review-1", not "llama"`}}},
		{"adapters file instead of ConfigMaps", canary, []string{"--model", "sql-lora-2", "--adapters", dir + "adapters.yaml"},
			want{status: 200, route: "default/llama-adapters 0", base: "meta-llama/Llama-3.1-8B-Instruct",
				split: map[string]string{"llama-lora-a": "1/3", "llama-lora-b": "2/3"}}},
		{"base model itself", canary, []string{"--model", "meta-llama/Llama-3.1-8B-Instruct"},
			want{status: 200, route: "default/llama-adapters 0", base: "meta-llama/Llama-3.1-8B-Instruct"}},
		{"unknown model falls to the catch-all", canary, []string{"--model", "gpt-oss"},
			want{status: 200, route: "default/catch-all 0", split: map[string]string{"general": "1"}}},
		{"spoofed client header stripped", canary, []string{"--body", `{"model":"qwen"}`, "-H", "X-Gateway-Inference-Model: llama"},
			want{status: 200, route: "default/catch-all 0", strip: []string{"x-gateway-inference-model"}}},
		{"spoofed header, body without model", canary, []string{"--body", `{"messages":[]}`, "-H", "x-gateway-base-model-name: meta-llama/Llama-3.1-8B-Instruct"},
			want{status: 200, route: "default/catch-all 0", strip: []string{"x-gateway-base-model-name"}, outcome: "no_model"}},
		{"duplicate model rejected", canary, []string{"--body", `{"model":"llama","messages":[],"m\u006fdel":"qwen"}`},
			want{status: 400, code: "duplicate_model", outcome: "rejected"}},
		{"model not a string", canary, []string{"--body", `{"model":7}`}, want{status: 400, code: "model_not_string"}},
		{"body not an object", canary, []string{"--body", `["llama"]`}, want{status: 400, code: "body_not_object"}},
		{"truncated body", canary, []string{"--body", `{"model":"llama"`}, want{status: 400, code: "invalid_json"}},
		{"model with a newline", canary, []string{"--model", "llama\n"}, want{status: 400, code: "model_invalid_characters"}},
		{"tie: the older route wins", prec, []string{"--model", "qwen"},
			want{status: 200, route: "default/qwen-old 0", split: map[string]string{"qwen-old": "1"},
				lose: map[string]string{"default/qwen-new": "default/qwen-old is older (created 2025-01-15T00:00:00Z, against 2025-02-01T00:00:00Z)"}}},
		{"tie at the same time: namespace/name order", prec, []string{"--model", "mistral"},
			want{status: 200, route: "team-a/mistral 0", split: map[string]string{"mistral-a": "1"},
				lose: map[string]string{"team-b/mistral": "team-a/mistral sorts before team-b/mistral", "default/mistral-completions": "method POST is not GET"}}},
		{"exact path beats the tie", prec, []string{"--model", "mistral", "--path", "/v1/completions"},
			want{status: 200, route: "default/mistral-completions 0",
				lose: map[string]string{"team-a/mistral": "path match (Exact /v1/completions) ranks above PathPrefix /"}}},
		{"method beats none", prec, []string{"--model", "mistral", "--method", "GET"},
			want{status: 200, route: "default/mistral-completions 1", split: map[string]string{"mistral-get": "1"},
				lose: map[string]string{"team-a/mistral": "also matches the method (GET)"}}},
		{"exact hostname beats a wildcard", prec, []string{"--model", "phi", "--host", "llm.example.com", "--path", "/v1/chat/completions?variant=b"},
			want{status: 200, route: "default/phi-exact-host 0", lose: map[string]string{"default/phi-wildcard-host": "more specific hostname (llm.example.com over *.example.com)"}}},
		{"query parameter beats none, weights 1:2:0", prec, []string{"--model", "phi", "--path", "/v1/chat/completions?variant=b"},
			want{status: 200, route: "default/phi-wildcard-host 0", split: map[string]string{"phi-a": "1/3", "phi-b": "2/3", "phi-c": "0"},
				lose: map[string]string{"default/phi-exact-host": "matches more query parameters (1 against 0)"}}},
		{"no hostname matches: 404", prec, []string{"--model", "phi", "--host", "llm.example.org"},
			want{status: 404, lose: map[string]string{"default/phi-wildcard-host": "host llm.example.org is none of its hostnames (*.example.com)"}}},
		{"every weight 0: 500", prec, []string{"--model", "zero"}, want{status: 500, route: "default/zero 0", split: map[string]string{"zero": "0"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"--gateway", "inference-gateway", "-o", "json"}, tc.files...), tc.args...)
			stdout, stderr, err := cmdtest.Run(t, NewCmd, nil, "default", args...)
			if (err != nil) != (tc.want.status != 200) || stderr != "" || (err != nil && cmdutil.ExitCode(err) != 1) {
				t.Fatalf("err %v (exit %d), stderr %q", err, cmdutil.ExitCode(err), stderr)
			}
			var r Result
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("%v: %s", err, stdout)
			}
			check(t, &r, tc.want)
		})
	}
}

func check(t *testing.T, r *Result, w want) {
	t.Helper()
	if r.Status != w.status {
		t.Errorf("status %d, want %d", r.Status, w.status)
	}
	got := ""
	if r.Route != nil {
		got = r.Route.Namespace + "/" + r.Route.Name + " " + string(rune('0'+r.Route.Rule))
	}
	if got != w.route {
		t.Errorf("route %q, want %q", got, w.route)
	}
	if w.split != nil {
		split := map[string]string{}
		for _, p := range r.Pools {
			split[p.Name] = p.Probability
			if p.Group != "inference.networking.k8s.io" || p.Kind != "InferencePool" {
				t.Errorf("backend %+v", p)
			}
		}
		if !mapsEqual(split, w.split) {
			t.Errorf("split %v, want %v", split, w.split)
		}
	}
	var body bytes.Buffer
	if r.BBR.Rejected != nil {
		_ = json.Compact(&body, r.BBR.Rejected.Body)
	}
	if w.code != "" && (r.BBR.Rejected == nil || r.BBR.Rejected.Code != w.code || r.BBR.Rejected.Status != w.status ||
		!strings.Contains(body.String(), `"code":"`+w.code+`"`)) {
		t.Errorf("rejection %+v, want %s", r.BBR.Rejected, w.code)
	}
	if strings.Join(r.BBR.Stripped, ",") != strings.Join(w.strip, ",") {
		t.Errorf("stripped %v, want %v", r.BBR.Stripped, w.strip)
	}
	if w.outcome != "" && r.BBR.Outcome != w.outcome {
		t.Errorf("outcome %q, want %q", r.BBR.Outcome, w.outcome)
	}
	if w.base != "" && strings.Join(r.Headers["x-gateway-base-model-name"], ",") != w.base {
		t.Errorf("base model header %v, want %s", r.Headers["x-gateway-base-model-name"], w.base)
	}
	for route, why := range w.lose {
		found := false
		for _, o := range r.Others {
			found = found || o.Namespace+"/"+o.Name == route && strings.Contains(o.Why, why)
		}
		if !found {
			t.Errorf("no loser %s with %q in %+v", route, why, r.Others)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The text a person reads, checked whole: the canary split, a spoofed header, a rejection.
func TestText(t *testing.T) {
	for name, args := range map[string][]string{
		"canary":   {"--model", "llama"},
		"spoofed":  {"--body", `{"model":"food-review-1"}`, "-H", "x-gateway-inference-model: llama"},
		"rejected": {"--body", `{"model":"llama","model":"qwen"}`},
	} {
		stdout, _, _ := cmdtest.Run(t, NewCmd, nil, "default", append([]string{"--gateway", "inference-gateway", "-f", dir + "gateway.yaml", "-f", dir + "canary.yaml"}, args...)...)
		golden(t, name, stdout)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, dir+name+".golden", got, *update)
}

// A prediction that cannot be made exits 3, apart from a request that would fail (1).
func TestCannot(t *testing.T) {
	_, _, err := cmdtest.Run(t, NewCmd, nil, "default", "--gateway", "g", "--model", "m", "-f", dir+"missing.yaml")
	if cmdutil.ExitCode(err) != 3 || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("unreadable file: %v (exit %d)", err, cmdutil.ExitCode(err))
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--model", "x"}, "--gateway is required"},
		{[]string{"--gateway", "g"}, "give the request as --body FILE|JSON or as --model MODEL"},
		{[]string{"--gateway", "g", "--model", "x", "--body", "{}"}, "one of the two"},
		{[]string{"--gateway", "g", "--model", "x", "-H", "nocolon"}, "write a header as 'name: value'"},
		{[]string{"--gateway", "g", "--model", "x", "--path", "v1"}, "must start with /"},
	} {
		if _, err := cmdtest.Parse(t, NewCmd, tc.args...); err == nil || !strings.Contains(err.Error(), tc.err) || cmdutil.ExitCode(err) != 3 {
			t.Errorf("%v: %v, want %q and exit 3", tc.args, err, tc.err)
		}
	}
	o, err := cmdtest.Parse(t, NewCmd, "--gateway", "ns/g", "--model", "m", "-H", "a: b", "-f", "x.yaml")
	if err != nil || o.Gateway != "ns/g" || o.Path != "/v1/chat/completions" || o.Method != "POST" || len(o.Headers) != 1 || len(o.Files) != 1 {
		t.Errorf("%+v %v", o, err)
	}
}
