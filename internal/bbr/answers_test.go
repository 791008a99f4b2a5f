package bbr

import (
	"strings"
	"testing"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/igw-dev/igw/internal/envoysim"
)

// mutationOf renders the header mutation of a headers answer as
// "set k=v; remove k; clear", or "" when it has none.
func mutationOf(r *extprocv3.ProcessingResponse) string {
	c := r.GetRequestHeaders().GetResponse()
	var parts []string
	for _, o := range c.GetHeaderMutation().GetSetHeaders() {
		parts = append(parts, "set "+o.GetHeader().GetKey()+"="+string(o.GetHeader().GetRawValue()))
	}
	for _, k := range c.GetHeaderMutation().GetRemoveHeaders() {
		parts = append(parts, "remove "+k)
	}
	if c.GetClearRouteCache() {
		parts = append(parts, "clear")
	}
	return strings.Join(parts, "; ")
}

// A session and its answer are reused from a pool: no request may see the
// headers of the one before it.
func TestPooledAnswersCarryNothingOver(t *testing.T) {
	s0, _ := decidedSession(t)
	h := s0.h
	var got []string
	record := func(r *extprocv3.ProcessingResponse) error {
		if r.GetRequestHeaders() != nil {
			got = append(got, mutationOf(r))
		}
		return nil
	}
	requests := []struct {
		headers [][2]string
		body    string
		want    string
	}{
		{[][2]string{{"content-type", "application/json"}, {HeaderModelName, "spoof"}}, `{"model":"first-model-with-a-long-name"}`,
			"set x-gateway-inference-model=first-model-with-a-long-name; set x-gateway-model-name=first-model-with-a-long-name; clear"},
		{[][2]string{{"content-type", "application/json"}}, `{"prompt":"no model"}`, ""},
		{[][2]string{{"content-type", "application/json"}, {HeaderModelName, "spoof"}}, `{"prompt":"no model"}`,
			"remove " + HeaderModelName + "; clear"},
		{[][2]string{{"content-type", "application/json"}}, `{"model":"m2"}`,
			"set x-gateway-inference-model=m2; set x-gateway-model-name=m2; clear"},
	}
	for i, r := range requests {
		s := h.newSession(sendFunc(record))
		msgs := []*extprocv3.ProcessingRequest{
			{ProtocolConfig: &extprocv3.ProtocolConfiguration{RequestBodyMode: envoysim.FullDuplexStreamed},
				Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{Headers: headerMap(r.headers)}}},
			{Request: &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{Body: []byte(r.body), EndOfStream: true}}},
		}
		for _, m := range msgs {
			if err := s.handle(m); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		s.finish(nil)
		h.sessions.Put(s)
		if len(got) != i+1 || got[i] != r.want {
			t.Fatalf("request %d: headers answers so far %q, want the last to be %q", i, got, r.want)
		}
	}
}
