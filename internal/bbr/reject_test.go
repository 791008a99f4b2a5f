package bbr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/igw-dev/igw/internal/envoysim"
)

// wantRejected checks the ImmediateResponse: status, OpenAI error JSON,
// content type.
func wantRejected(t *testing.T, res *envoysim.Result, status int, code, param string) {
	t.Helper()
	im := res.Immediate
	if im == nil {
		t.Fatalf("want %d %s, got no immediate response (headers %v)", status, code, res.Headers)
	}
	if int(im.GetStatus().GetCode()) != status {
		t.Fatalf("status %d, want %d (%s)", im.GetStatus().GetCode(), status, im.GetBody())
	}
	var e openAIError
	if err := json.Unmarshal(im.GetBody(), &e); err != nil {
		t.Fatalf("error body is not JSON: %q", im.GetBody())
	}
	if e.Error.Code != code || e.Error.Type != "invalid_request_error" || e.Error.Message == "" {
		t.Fatalf("error body %s, want code %s", im.GetBody(), code)
	}
	if (param == "") != (e.Error.Param == nil) || (param != "" && *e.Error.Param != param) {
		t.Fatalf("param %v, want %q", e.Error.Param, param)
	}
	ct := im.GetHeaders().GetSetHeaders()
	if len(ct) != 1 || ct[0].GetHeader().GetKey() != "content-type" || string(ct[0].GetHeader().GetRawValue()) != "application/json" {
		t.Fatalf("immediate response headers %v, want content-type: application/json", ct)
	}
}

func TestBadBodiesAreRejected(t *testing.T) {
	long := strings.Repeat("m", 257)
	cases := []struct {
		name, body string
		status     int
		code       string
		param      string
	}{
		{"not json", `not json`, 400, CodeInvalidJSON, ""},
		{"null body", `null`, 400, CodeNotObject, ""},
		{"html", `<html></html>`, 400, CodeInvalidJSON, ""},
		{"truncated", `{"model":"a","messages":[`, 400, CodeInvalidJSON, ""},
		{"empty", ``, 400, CodeInvalidJSON, ""},
		{"array", `[{"model":"a"}]`, 400, CodeNotObject, ""},
		{"trailing garbage", `{"model":"a"} {}`, 400, CodeInvalidJSON, ""},
		{"number model", `{"model":12345678}`, 400, CodeModelNotString, "model"},
		{"null model", `{"model":null}`, 400, CodeModelNotString, "model"},
		{"object model", `{"model":{"name":"a"}}`, 400, CodeModelNotString, "model"},
		{"empty model", `{"model":""}`, 400, CodeModelEmpty, "model"},
		{"newline in model", `{"model":"a\nb"}`, 400, CodeModelInvalid, "model"},
		{"CR in model", `{"model":"a\r\nx-evil: 1"}`, 400, CodeModelInvalid, "model"},
		{"NUL in model", `{"model":"a\u0000"}`, 400, CodeModelInvalid, "model"},
		{"padded model", `{"model":" a"}`, 400, CodeModelInvalid, "model"},
		{"long model", `{"model":"` + long + `"}`, 400, CodeModelTooLong, "model"},
		{"duplicate model", `{"model":"a","prompt":"x","model":"b"}`, 400, CodeDuplicateModel, "model"},
		{"duplicate escaped", `{"model":"a","\u006dodel":"b"}`, 400, CodeDuplicateModel, "model"},
	}
	bbr := startBBR(t, nil)
	for _, mc := range routingModes {
		for _, c := range cases {
			t.Run(mc.name+"/"+c.name, func(t *testing.T) {
				res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: []byte(c.body), Chunks: []int{5},
					Mode: mc.mode, EarlyBody: mc.early})
				wantRejected(t, res, c.status, c.code, c.param)
			})
		}
	}
}

// TestDuplicateAfterDecision: the model is routed on at once, but a second
// top-level model at the end of a large body still stops the request before
// its last chunk reaches the model server.
func TestDuplicateAfterDecision(t *testing.T) {
	bbr := startBBR(t, nil)
	body := chatBody("first", 256<<10, true)
	body = append(body[:len(body)-1], `,"model":"second"}`...)
	res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: body, Chunks: []int{8 << 10},
		Mode: envoysim.FullDuplexStreamed})
	wantRejected(t, res, 400, CodeDuplicateModel, "model")
	if len(res.Body) >= len(body) {
		t.Fatalf("the whole body (%d bytes) reached upstream before the rejection", len(res.Body))
	}
	if v, _ := res.Headers.Get(HeaderModelName); v != "first" {
		t.Fatalf("routing decision should have been sent early, got %q", v)
	}
}

func TestRequireModel(t *testing.T) {
	body := []byte(`{"prompt":"no model here"}`)
	open := startBBR(t, nil)
	res := open.run(t, envoysim.Request{Headers: jsonHeaders(), Body: body, Mode: envoysim.FullDuplexStreamed})
	if res.Immediate != nil || !bytes.Equal(res.Body, body) {
		t.Fatal("without --require-model a body without model must pass")
	}
	if _, ok := res.Headers.Get(HeaderModelName); ok {
		t.Fatal("model header set without a model")
	}
	strict := startBBR(t, func(o *Options) { o.RequireModel = true })
	for _, mc := range routingModes {
		res := strict.run(t, envoysim.Request{Headers: jsonHeaders(), Body: body, Mode: mc.mode, EarlyBody: mc.early})
		wantRejected(t, res, 400, CodeModelRequired, "model")
	}
}

func TestMaxBodyBytes(t *testing.T) {
	bbr := startBBR(t, func(o *Options) { o.MaxBodyBytes = 4 << 10 })
	late := chatBody("late", 8<<10, false)
	early := chatBody("early", 64<<10, true)
	for _, mc := range routingModes {
		t.Run(mc.name, func(t *testing.T) {
			res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: late, Chunks: []int{1000}, Mode: mc.mode, EarlyBody: mc.early})
			wantRejected(t, res, 413, CodeBodyTooLarge, "")
			res = bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: early, Chunks: []int{1000}, Mode: mc.mode, EarlyBody: mc.early})
			wantRouted(t, res, early, "early")
		})
	}
}

// TestPartialBufferIsRefused: in BUFFERED_PARTIAL the rest of an oversized
// body bypasses bbr, and could carry a second model.
func TestPartialBufferIsRefused(t *testing.T) {
	bbr := startBBR(t, nil)
	body := chatBody("m", 64<<10, true)
	res := bbr.run(t, envoysim.Request{Headers: jsonHeaders(), Body: body, Mode: envoysim.BufferedPartial, BufferLimit: 16 << 10})
	wantRejected(t, res, 413, CodePartialBody, "")
}

func TestUnreadableBodies(t *testing.T) {
	body := chatBody("m", 100, true)
	cases := map[string][2]string{
		"gzip":      {"content-encoding", "gzip"},
		"multipart": {"content-type", "multipart/form-data; boundary=x"},
	}
	lenient := startBBR(t, nil)
	strict := startBBR(t, func(o *Options) { o.Strict = true })
	for name, h := range cases {
		for _, mc := range routingModes {
			t.Run(fmt.Sprintf("%s/%s", name, mc.name), func(t *testing.T) {
				hs := append([][2]string{{":method", "POST"}, h}, [2]string{HeaderModelName, "spoof"})
				res := lenient.run(t, envoysim.Request{Headers: hs, Body: body, Chunks: []int{10}, Mode: mc.mode, EarlyBody: mc.early})
				if res.Immediate != nil || !bytes.Equal(res.Body, body) {
					t.Fatalf("want pass-through, got %v", res.Immediate)
				}
				if v, ok := res.Headers.Get(HeaderModelName); ok {
					t.Fatalf("unread body still routed or spoofed: %q", v)
				}
				res = strict.run(t, envoysim.Request{Headers: hs, Body: body, Mode: mc.mode, EarlyBody: mc.early})
				wantRejected(t, res, 415, CodeUnsupportedEncoding, "")
			})
		}
	}
	if got := lenient.metric(t, `bbr_unscanned_bodies_total{reason="compressed"}`); !strings.HasSuffix(got, " 4") {
		t.Fatalf("compressed bodies not counted: %q", got)
	}
}
