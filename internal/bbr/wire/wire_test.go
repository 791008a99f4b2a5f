package wire

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/proto"
)

// typedMutation is the answer AppendMutation must encode, built the way
// any ext_proc server would build it.
func typedMutation(a Answer, set []Header, remove []string, clearRoute bool) *extprocv3.ProcessingResponse {
	common := &extprocv3.CommonResponse{ClearRouteCache: clearRoute}
	if len(set)+len(remove) > 0 {
		m := &extprocv3.HeaderMutation{RemoveHeaders: remove}
		for _, h := range set {
			m.SetHeaders = append(m.SetHeaders, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: h.Key, RawValue: []byte(h.Value)},
				AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
			})
		}
		common.HeaderMutation = m
	}
	switch a {
	case RequestBody:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{
			RequestBody: &extprocv3.BodyResponse{Response: common}}}
	case ResponseBody:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{
			ResponseBody: &extprocv3.BodyResponse{Response: common}}}
	}
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestHeaders{
		RequestHeaders: &extprocv3.HeadersResponse{Response: common}}}
}

func typedStreamed(a Answer, data []byte, eos bool) *extprocv3.ProcessingResponse {
	body := &extprocv3.BodyResponse{Response: &extprocv3.CommonResponse{BodyMutation: &extprocv3.BodyMutation{
		Mutation: &extprocv3.BodyMutation_StreamedResponse{StreamedResponse: &extprocv3.StreamedBodyResponse{Body: data, EndOfStream: eos}}}}}
	if a == ResponseBody {
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{ResponseBody: body}}
	}
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{RequestBody: body}}
}

// sameAsProtobuf checks got against protobuf's own encoding of want: the
// same bytes, and the same message when parsed back.
func sameAsProtobuf(t *testing.T, got []byte, want *extprocv3.ProcessingResponse) {
	t.Helper()
	wantBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	back := &extprocv3.ProcessingResponse{}
	if err := proto.Unmarshal(got, back); err != nil {
		t.Fatalf("protobuf cannot parse the frame: %v\n% x", err, got)
	}
	if !proto.Equal(back, want) {
		t.Fatalf("frame parses as\n%v\nwant\n%v", back, want)
	}
	if !bytes.Equal(got, wantBytes) {
		t.Fatalf("frame bytes differ from protobuf's:\n got % x\nwant % x", got, wantBytes)
	}
}

func TestMutationMatchesProtobuf(t *testing.T) {
	long := strings.Repeat("m", 300) // lengths past one varint byte
	cases := []struct {
		set    []Header
		remove []string
		clear  bool
	}{
		{nil, nil, false},
		{nil, nil, true},
		{[]Header{{"x-gateway-inference-model", "llama"}, {"x-gateway-model-name", "llama"}}, nil, true},
		{[]Header{{"x-gateway-inference-model", long}}, []string{"x-gateway-base-model-name"}, true},
		{nil, []string{"x-gateway-model-name", ""}, true},
		{[]Header{{"x-empty", ""}, {"", "v"}}, nil, false},
	}
	for _, c := range cases {
		for _, a := range []Answer{RequestHeaders, RequestBody} {
			var f Frame
			f.Mutation(a, c.set, c.remove, c.clear)
			if len(f.Data)+len(f.Tail) != 0 {
				t.Fatalf("a mutation frame carries data or a tail")
			}
			sameAsProtobuf(t, f.Bytes(), typedMutation(a, c.set, c.remove, c.clear))
		}
	}
}

func TestStreamedMatchesProtobuf(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16 << 10, 1 << 21} {
		data := bytes.Repeat([]byte{'a'}, n)
		for _, eos := range []bool{false, true} {
			for _, a := range []Answer{RequestBody, ResponseBody} {
				var f Frame
				f.Streamed(a, data, eos)
				sameAsProtobuf(t, f.Bytes(), typedStreamed(a, data, eos))
				if n > 0 && &f.Data[0] != &data[0] {
					t.Fatal("the frame copied the chunk; it should point at it")
				}
			}
		}
	}
}

// A reused Frame must not keep anything of the message before it.
func TestFrameReuse(t *testing.T) {
	var f Frame
	f.Streamed(RequestBody, []byte("first chunk"), true)
	f.Mutation(RequestHeaders, []Header{{"k", "v"}}, nil, true)
	sameAsProtobuf(t, f.Bytes(), typedMutation(RequestHeaders, []Header{{"k", "v"}}, nil, true))
	f.Streamed(RequestBody, []byte("x"), false)
	sameAsProtobuf(t, f.Bytes(), typedStreamed(RequestBody, []byte("x"), false))
}

func FuzzMutation(f *testing.F) {
	f.Add("x-gateway-inference-model", "llama-3.1-8b", "x-gateway-model-name", true, uint8(0))
	f.Add("", "", "", false, uint8(1))
	f.Add("k", strings.Repeat("v", 200), "", true, uint8(2))
	f.Fuzz(func(t *testing.T, key, value, remove string, clearRoute bool, n uint8) {
		set := []Header{{key, value}, {value, key}}[:n%3]
		var rm []string
		if n%2 == 1 {
			rm = []string{remove}
		}
		var fr Frame
		a := Answer(n % 2) // RequestHeaders or RequestBody
		fr.Mutation(a, set, rm, clearRoute)
		want := typedMutation(a, set, rm, clearRoute)
		// Strings that are not UTF-8 make protobuf refuse to marshal the
		// key; the frame must still parse back as what was asked.
		back := &extprocv3.ProcessingResponse{}
		if err := (proto.UnmarshalOptions{}).Unmarshal(fr.Bytes(), back); err != nil {
			if !validUTF8(key, value, remove) {
				return
			}
			t.Fatalf("frame does not parse: %v", err)
		}
		if !proto.Equal(back, want) {
			t.Fatalf("frame parses as %v, want %v", back, want)
		}
	})
}

func FuzzStreamed(f *testing.F) {
	f.Add([]byte(`{"model":"m"}`), true, false)
	f.Add([]byte{}, false, true)
	f.Fuzz(func(t *testing.T, data []byte, eos, response bool) {
		a := RequestBody
		if response {
			a = ResponseBody
		}
		var fr Frame
		fr.Streamed(a, data, eos)
		sameAsProtobuf(t, fr.Bytes(), typedStreamed(a, data, eos))
	})
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
