package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// benchBody builds an OpenAI-style chat body of about size bytes with the
// model first or last.
func benchBody(size int, modelFirst bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{`)
	if modelFirst {
		b.WriteString(`"model":"meta-llama/Llama-3.1-8B-Instruct",`)
	}
	b.WriteString(`"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"`)
	line := "Summarise the following text, keeping \\\"quotes\\\" and caf\\u00e9 accents. "
	for b.Len() < size-120 {
		b.WriteString(line)
	}
	b.WriteString(`"}],"max_tokens":128,"temperature":0.2,"stream":true`)
	if !modelFirst {
		b.WriteString(`,"model":"meta-llama/Llama-3.1-8B-Instruct"`)
	}
	b.WriteString(`}`)
	return b.Bytes()
}

func BenchmarkScan(b *testing.B) {
	for _, size := range []int{1 << 10, 100 << 10, 1 << 20, 10 << 20} {
		for _, first := range []bool{true, false} {
			body := benchBody(size, first)
			pos := "last"
			if first {
				pos = "first"
			}
			b.Run(fmt.Sprintf("%dKiB/model-%s", size>>10, pos), func(b *testing.B) {
				s := New([]string{"model"}, 256)
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					s.Reset()
					for off := 0; off < len(body); off += 16 << 10 {
						if err := s.Write(body[off:min(off+16<<10, len(body))]); err != nil {
							b.Fatal(err)
						}
					}
					if err := s.Finish(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// prose is chat text as clients send it: lines and quoted words, so the
// JSON has a \n or \" every few dozen bytes.
const prose = "Please review the following incident summary and suggest what the on-call engineer should do next.\n" +
	"The gateway started returning 503s at 02:14 UTC, shortly after the \"canary\" deployment of the router.\n" +
	"Latency on the model servers stayed flat, so the problem is probably in front of them.\n"

// BenchmarkProse is a 10 MiB prompt of prose, the common case for large
// bodies, scanned in 16 KiB chunks as Envoy delivers them.
func BenchmarkProse(b *testing.B) {
	unit, _ := json.Marshal(prose)
	unit = unit[1 : len(unit)-1]
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"`)
	for len(body) < 10<<20 {
		body = append(body, unit...)
	}
	body = append(body, `"}]}`...)
	s := New([]string{"model"}, 256)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s.Reset()
		for off := 0; off < len(body); off += 16 << 10 {
			if err := s.Write(body[off:min(off+16<<10, len(body))]); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Finish(); err != nil {
			b.Fatal(err)
		}
	}
}
