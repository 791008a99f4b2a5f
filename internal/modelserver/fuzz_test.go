package modelserver

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// ParseNames keeps exactly what a live view reads: whenever the whole page parses, the filtered
// parse succeeds too and every engine's reading of it is the same, and nothing panics on any
// input.
func FuzzParseNames(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	names := AllNames()
	f.Fuzz(func(t *testing.T, page []byte) {
		filtered, ferr := ParseNames(page, names, nil)
		full, err := Parse(bytes.NewReader(page))
		for _, e := range Engines() {
			p := ProtocolOf(e)
			if ferr == nil {
				Read(filtered, p)
				Detect(filtered)
			}
			if err != nil {
				continue
			}
			if ferr != nil {
				t.Fatalf("the page parses whole but not filtered: %v", ferr)
			}
			if a, b := fmt.Sprint(reading(Read(full, p))), fmt.Sprint(reading(Read(filtered, p))); a != b {
				t.Fatalf("%s reads differently filtered:\n%s\n%s", e, a, b)
			}
		}
		if err == nil {
			if a, _ := Detect(full); !reflect.DeepEqual(a, must(Detect(filtered))) {
				t.Fatalf("detected %s whole, %s filtered", a, must(Detect(filtered)))
			}
		}
	})
}

func must(e Engine, _ bool) Engine { return e }

// reading is r with its pointers followed, for comparison.
func reading(r Reading) []any {
	return []any{val(r.Waiting), val(r.Running), val(r.KVCache), r.KVCacheMetric, r.LoRA != nil && true, lora(r.LoRA), r.CacheConfig, r.Counters, r.Missing}
}

func lora(l *LoRAInfo) any {
	if l == nil {
		return nil
	}
	return *l
}
