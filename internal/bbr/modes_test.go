package bbr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/envoysim"
)

type modeCase struct {
	name  string
	mode  envoysim.Mode
	early bool
}

// routingModes are the modes in which bbr can route on the body.
var routingModes = []modeCase{
	{"FULL_DUPLEX_STREAMED", envoysim.FullDuplexStreamed, false},
	{"BUFFERED", envoysim.Buffered, false},
	{"BUFFERED_PARTIAL", envoysim.BufferedPartial, false},
	{"STREAMED+early-body", envoysim.Streamed, true},
}

func chatBody(model string, promptBytes int, modelFirst bool) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	if modelFirst && model != "" {
		fmt.Fprintf(&b, `"model":%q,`, model)
	}
	b.WriteString(`"messages":[{"role":"user","content":"`)
	words := []string{"tell ", "me ", "a ", "\\\"story\\\" ", "about ", "caf\\u00e9s\\n"}
	for i := 0; b.Len() < promptBytes; i++ {
		b.WriteString(words[i%len(words)])
	}
	b.WriteString(`"}],"stream":true`)
	if !modelFirst && model != "" {
		fmt.Fprintf(&b, `,"model":%q`, model)
	}
	b.WriteString("}")
	return b.Bytes()
}

func chunkings(bodyLen int) map[string][]int {
	rnd := rand.New(rand.NewPCG(1, uint64(bodyLen)))
	random := make([]int, 64)
	for i := range random {
		random[i] = 1 + rnd.IntN(9000)
	}
	c := map[string][]int{"whole": nil, "random": random, "16KiB": {16 << 10}}
	if bodyLen <= 4<<10 {
		c["1-byte"] = []int{1}
	}
	return c
}

func wantRouted(t *testing.T, res *envoysim.Result, body []byte, model string) {
	t.Helper()
	if res.Immediate != nil {
		t.Fatalf("rejected with %d: %s", res.Immediate.GetStatus().GetCode(), res.Immediate.GetBody())
	}
	for _, h := range []string{HeaderInferenceModel, HeaderModelName} {
		if v, _ := res.Headers.Get(h); v != model {
			t.Fatalf("header %s = %q, want %q (headers %v)", h, v, model, res.Headers)
		}
	}
	if !res.ClearRouteCache {
		t.Fatal("clear_route_cache not set although the route headers changed")
	}
	if !bytes.Equal(res.Body, body) {
		t.Fatalf("body forwarded upstream differs: got %d bytes, want %d", len(res.Body), len(body))
	}
	for _, a := range res.Answers {
		for _, h := range a.GetRequestHeaders().GetResponse().GetHeaderMutation().GetSetHeaders() {
			if h.GetHeader().GetKey() == "content-length" {
				t.Fatal("content-length changed although the body is unchanged")
			}
		}
	}
}

// TestRoutesInEveryMode is the core promise: in every mode that can route on
// the body, with and without protocol_config, in any chunking, the model
// headers are set and the body reaches upstream byte for byte.
func TestRoutesInEveryMode(t *testing.T) {
	bodies := map[string][]byte{
		"small model first": chatBody("llama-3.1-8b-instruct-v1", 200, true),
		"small model last":  chatBody("llama-3.1-8b-instruct-v1", 200, false),
		"200KiB model last": chatBody("m/large", 200<<10, false),
		"1MiB model first":  chatBody("m/huge", 1<<20-64, true),
	}
	for _, mc := range routingModes {
		t.Run(mc.name, func(t *testing.T) {
			bbr := startBBR(t, func(o *Options) {
				o.RequestBodyMode = strings.TrimSuffix(mc.name, "+early-body")
				o.MaxBodyBytes = 2 << 20
			})
			for bname, body := range bodies {
				model := modelOf(body)
				for cname, sizes := range chunkings(len(body)) {
					for _, noCfg := range []bool{false, true} {
						if noCfg && mc.early {
							continue // early body is only announced in protocol_config
						}
						name := fmt.Sprintf("%s/%s/protocol_config=%v", bname, cname, !noCfg)
						t.Run(name, func(t *testing.T) {
							res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: body, Chunks: sizes,
								Mode: mc.mode, EarlyBody: mc.early, NoProtocolConfig: noCfg, BufferLimit: 4 << 20})
							wantRouted(t, res, body, model)
						})
					}
				}
			}
		})
	}
}

func modelOf(body []byte) string {
	i := bytes.LastIndex(body, []byte(`"model":"`))
	rest := body[i+len(`"model":"`):]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

// TestStreamedModeCannotRoute documents STREAMED without early body: Envoy
// forwards the headers with their answer, so bbr strips spoofed headers,
// sends no ignored mutations and passes the body through.
func TestStreamedModeCannotRoute(t *testing.T) {
	bbr := startBBR(t, nil)
	body := chatBody("m", 300, true)
	res := bbr.run(t, envoysim.Request{Headers: jsonHeaders([2]string{HeaderModelName, "spoof"}), Body: body,
		Chunks: []int{7}, Mode: envoysim.Streamed})
	if res.Immediate != nil || !bytes.Equal(res.Body, body) {
		t.Fatalf("want pass-through, got immediate=%v body=%d bytes", res.Immediate, len(res.Body))
	}
	if v, ok := res.Headers.Get(HeaderModelName); ok {
		t.Fatalf("spoofed header reached the route: %q", v)
	}
	if res.IgnoredMutations != 0 {
		t.Fatalf("bbr sent %d header mutations Envoy ignores", res.IgnoredMutations)
	}
	// The outcome is counted when the server's side of the stream ends,
	// which may come just after the last answer reached the client.
	eventually(t, "the unroutable request counted", func() bool {
		return strings.HasSuffix(bbr.metric(t, `bbr_requests_total{outcome="unroutable_mode"}`), " 1")
	})
}

// TestTrailersEndTheBody: a body that ends with trailers instead of
// end_of_stream must be decided and returned, not hang (upstream's bug).
func TestTrailersEndTheBody(t *testing.T) {
	body := chatBody("trailer-model", 3000, false)
	for _, mc := range routingModes {
		t.Run(mc.name, func(t *testing.T) {
			bbr := startBBR(t, nil)
			res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: body, Chunks: []int{1000},
				Trailers: [][2]string{{"x-checksum", "abc"}}, Mode: mc.mode, EarlyBody: mc.early})
			wantRouted(t, res, body, "trailer-model")
		})
	}
}

// TestNoBodyPassesUntouched: a GET has no body; bbr answers the headers at
// once with no mutation.
func TestNoBodyPassesUntouched(t *testing.T) {
	bbr := startBBR(t, nil)
	for _, mc := range append(routingModes, modeCase{"STREAMED", envoysim.Streamed, false}) {
		res := bbr.run(t, envoysim.Request{Headers: [][2]string{{":method", "GET"}, {":path", "/v1/models"}}, Mode: mc.mode})
		if len(res.Answers) != 1 || res.ClearRouteCache || res.Answers[0].GetRequestHeaders().GetResponse().GetHeaderMutation() != nil {
			t.Fatalf("%s: GET was not passed untouched: %v", mc.name, res.Answers)
		}
	}
}

// TestOwnedHeadersAreStripped: a client cannot pick a backend the body does
// not name, with or without a model, with or without a body.
func TestOwnedHeadersAreStripped(t *testing.T) {
	bbr := startBBR(t, nil)
	spoof := [][2]string{{HeaderInferenceModel, "evil"}, {"X-Gateway-Model-Name", "evil"}, {HeaderBaseModelName, "evil"}}
	cases := map[string]struct {
		body  []byte
		model string
	}{
		"with model":    {chatBody("good", 100, true), "good"},
		"without model": {[]byte(`{"prompt":"hi"}`), ""},
		"no body":       {nil, ""},
	}
	for name, c := range cases {
		for _, mc := range routingModes {
			t.Run(name+"/"+mc.name, func(t *testing.T) {
				res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(spoof...), Body: c.body, Mode: mc.mode, EarlyBody: mc.early})
				for _, h := range []string{HeaderInferenceModel, HeaderModelName, HeaderBaseModelName} {
					v, ok := res.Headers.Get(h)
					if (c.model == "" || h == HeaderBaseModelName) && ok {
						t.Fatalf("%s survived: %q", h, v)
					}
					if c.model != "" && h != HeaderBaseModelName && v != c.model {
						t.Fatalf("%s = %q, want %q", h, v, c.model)
					}
				}
			})
		}
	}
}

// TestResponsesAreNotBuffered: each response chunk (an SSE event) is
// answered before the next is sent; a server that buffered would time out.
func TestResponsesAreNotBuffered(t *testing.T) {
	bbr := startBBR(t, nil)
	events := [][]byte{[]byte("data: {\"a\":1}\n\n"), []byte("data: {\"b\":2}\n\n"), []byte("data: [DONE]\n\n")}
	for _, mc := range routingModes {
		res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: chatBody("m", 100, true), Mode: mc.mode,
			EarlyBody: mc.early, Response: &envoysim.Response{Headers: [][2]string{{":status", "200"}}, Chunks: events}})
		if res.ResponseChunks != 3 || string(res.ResponseBody) != string(bytes.Join(events, nil)) {
			t.Fatalf("%s: response altered: %d chunks, %q", mc.name, res.ResponseChunks, res.ResponseBody)
		}
	}
}

// TestSampleRequests routes the sample body of every OpenAI endpoint in
// testdata/requests, checking the model against encoding/json's reading.
func TestSampleRequests(t *testing.T) {
	files, err := filepath.Glob("../../testdata/requests/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("sample requests missing: %v %v", files, err)
	}
	bbr := startBBR(t, nil)
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var top struct{ Model string }
		if err := json.Unmarshal(body, &top); err != nil || top.Model == "" {
			t.Fatalf("%s: %v", f, err)
		}
		path := "/v1/" + strings.ReplaceAll(strings.TrimSuffix(filepath.Base(f), ".json"), "-", "/")
		for _, mc := range routingModes {
			hs := [][2]string{{":method", "POST"}, {":path", path}, {"content-type", "application/json"}}
			res := bbr.run(t, envoysim.Request{Headers: hs, Body: body, Chunks: []int{13}, Mode: mc.mode, EarlyBody: mc.early})
			wantRouted(t, res, body, top.Model)
		}
	}
}
