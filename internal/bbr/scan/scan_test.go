package scan

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// hardCases pin the expected result independently of the oracle; each is
// also checked against encoding/json and seeds the fuzzer.
var hardCases = []struct {
	name  string
	body  string
	model string    // expected decoded model when ok and kind is string
	kind  Kind      // expected kind of model (KindNone: absent)
	err   ErrorCode // 0: accepted
}{
	{"simple", `{"model":"llama"}`, "llama", KindString, 0},
	{"whitespace everywhere", " \t\r\n{ \"model\" \n:\t\"m\" , \"x\" : 1 } \n", "m", KindString, 0},
	{"model last", `{"prompt":"hi","max_tokens":10,"model":"last"}`, "last", KindString, 0},
	{"no model", `{"prompt":"x"}`, "", KindNone, 0},
	{"empty object", `{}`, "", KindNone, 0},
	{"nested model ignored", `{"messages":[{"model":"evil","role":"user"}],"model":"good"}`, "good", KindString, 0},
	{"nested object model ignored", `{"metadata":{"model":"evil"},"tools":[{"function":{"model":"x"}}]}`, "", KindNone, 0},
	{"model inside string ignored", `{"prompt":"\"model\":\"evil\"","model":"good"}`, "good", KindString, 0},
	{"unicode escape key", `{"mod\u0065l":"esc-key"}`, "esc-key", KindString, 0},
	{"escaped value", `{"model":"\u0041\/b\\c\"d\te"}`, "A/b\\c\"d\te", KindString, 0},
	{"surrogate pair", `{"model":"\ud83d\ude00"}`, "\U0001F600", KindString, 0},
	{"lone high surrogate", `{"model":"a\ud83db"}`, "a\uFFFDb", KindString, 0},
	{"lone low surrogate", `{"model":"\ude00"}`, "\uFFFD", KindString, 0},
	{"high then escape", `{"model":"\ud83d\n"}`, "\uFFFD\n", KindString, 0},
	{"two highs then low", `{"model":"\ud83d\ud83d\ude00"}`, "\uFFFD\U0001F600", KindString, 0},
	{"invalid utf8 replaced", "{\"model\":\"a\xffb\xe2\x82\"}", "a\uFFFDb\uFFFD\uFFFD", KindString, 0},
	{"raw utf8 kept", `{"model":"модель-日本"}`, "модель-日本", KindString, 0},
	{"number model", `{"model":12345678}`, "12345678", KindNumber, 0},
	{"float model", `{"model":-0.5e+10}`, "-0.5e+10", KindNumber, 0},
	{"null model", `{"model":null}`, "null", KindNull, 0},
	{"bool model", `{"model":true}`, "true", KindBool, 0},
	{"object model", `{"model":{"name":"x"}}`, "", KindObject, 0},
	{"array model", `{"model":["a","b"]}`, "", KindArray, 0},
	{"empty model", `{"model":""}`, "", KindString, 0},
	{"model case differs", `{"Model":"x"}`, "", KindNone, 0},
	{"duplicate model", `{"model":"a","model":"b"}`, "", 0, ErrDuplicate},
	{"duplicate via escape", `{"model":"a","m\u006fdel":"b"}`, "", 0, ErrDuplicate},
	{"duplicate after nested", `{"model":"a","x":{"model":"n"},"model":"b"}`, "", 0, ErrDuplicate},
	{"not json", `not json`, "", 0, ErrSyntax},
	{"text like true", `trust me`, "", 0, ErrSyntax},
	{"false body", ` false`, "", 0, ErrNotObject},
	{"null cut short", `nul`, "", 0, ErrTruncated},
	{"html", `<html>`, "", 0, ErrSyntax},
	{"empty body", ``, "", 0, ErrTruncated},
	{"only spaces", "  \n", "", 0, ErrTruncated},
	{"truncated", `{"model":"abc`, "", 0, ErrTruncated},
	{"truncated after value", `{"model":"abc",`, "", 0, ErrTruncated},
	{"array body", `[1,2]`, "", 0, ErrNotObject},
	{"null body", `null`, "", 0, ErrNotObject},
	{"string body", `"model"`, "", 0, ErrNotObject},
	{"trailing garbage", `{"model":"a"} x`, "", 0, ErrSyntax},
	{"two objects", `{"model":"a"}{"model":"b"}`, "", 0, ErrSyntax},
	{"trailing comma", `{"model":"a",}`, "", 0, ErrSyntax},
	{"leading zero", `{"n":01}`, "", 0, ErrSyntax},
	{"bad escape", `{"model":"\x"}`, "", 0, ErrSyntax},
	{"bad hex", `{"model":"\u12G4"}`, "", 0, ErrSyntax},
	{"raw newline in string", "{\"model\":\"a\nb\"}", "", 0, ErrSyntax},
	{"raw nul in string", "{\"model\":\"a\x00b\"}", "", 0, ErrSyntax},
	{"single quotes", `{'model':'a'}`, "", 0, ErrSyntax},
	{"NaN", `{"model":"a","t":NaN}`, "", 0, ErrSyntax},
	{"bare key", `{model:"a"}`, "", 0, ErrSyntax},
	{"missing colon", `{"model" "a"}`, "", 0, ErrSyntax},
	{"literal typo", `{"stream":tru}`, "", 0, ErrSyntax},
	{"minus alone", `{"n":-}`, "", 0, ErrSyntax},
	{"dot no digit", `{"n":1.}`, "", 0, ErrSyntax},
	{"exp no digit", `{"n":1e}`, "", 0, ErrSyntax},
	{"numbers ok", `{"n":[0,-0,1.5,2e10,3E-2,4e+1,-0.0e0],"model":"m"}`, "m", KindString, 0},
	{"mismatched close", `{"a":[1}`, "", 0, ErrSyntax},
	{"close too many", `{"a":1}}`, "", 0, ErrSyntax},
	{"empty containers", `{"a":[],"b":{},"c":[[]],"model":"m"}`, "m", KindString, 0},
	{"del char allowed", "{\"model\":\"a\x7fb\"}", "a\x7fb", KindString, 0},
}

func TestHardCases(t *testing.T) {
	for _, c := range hardCases {
		t.Run(c.name, func(t *testing.T) {
			for _, sizes := range [][]int{nil, {1}, {3}} {
				_, s := scanChunks([]byte(c.body), []string{"model"}, sizes)
				err := s.Err()
				if err == nil {
					err = s.Finish()
				}
				if c.err != 0 {
					var se *Error
					if !errors.As(err, &se) || se.Code != c.err {
						t.Fatalf("chunks %v: want error code %d, got %v", sizes, c.err, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("chunks %v: unexpected error %v", sizes, err)
				}
				f := s.Field(0)
				if f.Kind != c.kind || (c.kind != KindNone && !f.Done) {
					t.Fatalf("chunks %v: kind %v done %v, want %v", sizes, f.Kind, f.Done, c.kind)
				}
				if c.kind == KindString && string(f.Value) != c.model {
					t.Fatalf("chunks %v: model %q, want %q", sizes, f.Value, c.model)
				}
			}
			checkAgainstOracle(t, []byte(c.body))
		})
	}
}

func TestDepthLimitMatchesEncodingJSON(t *testing.T) {
	for _, depth := range []int{MaxDepth - 1, MaxDepth, MaxDepth + 1} {
		body := `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
		checkAgainstOracle(t, []byte(body))
	}
}

// TestModelDoneBeforeBodyEnds shows the early decision: the model is known
// the moment its closing quote arrives, with the rest of the body unseen.
func TestModelDoneBeforeBodyEnds(t *testing.T) {
	s := New([]string{"model"}, 256)
	head := `{"model":"first","messages":[`
	if err := s.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	f := s.Field(0)
	if !f.Done || string(f.Value) != "first" || f.End != int64(len(`{"model":"first"`)) {
		t.Fatalf("model not decided early: %+v", f)
	}
	if s.AllDone() != true {
		t.Fatal("AllDone false with the only field done")
	}
}

func TestValueTooLong(t *testing.T) {
	s := New([]string{"model"}, 8)
	body := `{"model":"` + strings.Repeat("x", 9) + `"}`
	if err := s.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if f := s.Field(0); !f.TooLong || !f.Done {
		t.Fatalf("want TooLong and Done, got %+v", f)
	}
	s.Reset()
	if err := s.Write([]byte(`{"model":"12345678"}`)); err != nil {
		t.Fatal(err)
	}
	if f := s.Field(0); f.TooLong || string(f.Value) != "12345678" {
		t.Fatalf("exactly at the limit must pass: %+v", f)
	}
}

// TestHugeBodyModelLast is the worst case for an early decision: the model
// comes after 10 MiB of prompt, and must still be exact.
func TestHugeBodyModelLast(t *testing.T) {
	prompt := bytes.Repeat([]byte("lorem ipsum \\\"quoted\\\" \\u00e9 "), 10<<20/30)
	body := append(append([]byte(`{"prompt":"`), prompt...), `","model":"tail-model"}`...)
	want := oracle(body, []string{"model"})
	got, _ := scanChunks(body, []string{"model"}, []int{16 << 10, 1, 65536})
	if !got.equal(want) || got.vals["model"] != "tail-model" {
		t.Fatalf("got %v want %v", got, want)
	}
}

func TestResetReuses(t *testing.T) {
	s := New([]string{"model"}, 64)
	_ = s.Write([]byte(`{"model":"a","model":"b"}`))
	if s.Err() == nil {
		t.Fatal("want duplicate error")
	}
	s.Reset()
	if err := s.Write([]byte(`{"model":"c"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(); err != nil || string(s.Field(0).Value) != "c" {
		t.Fatalf("after reset: %v %q", err, s.Field(0).Value)
	}
}

func TestSkipPlain(t *testing.T) {
	for n := 0; n < 40; n++ {
		for _, stop := range []byte{'"', '\\', 0, 0x1f} {
			p := append(bytes.Repeat([]byte("a"), n), stop, 'z')
			if got := skipPlain(p, 0); got != n {
				t.Fatalf("n=%d stop=%#x: got %d", n, stop, got)
			}
		}
		p := bytes.Repeat([]byte("é~ "), n)
		if got := skipPlain(p, 0); got != len(p) {
			t.Fatalf("plain run of %d stopped at %d", len(p), got)
		}
	}
}
