package scan

import (
	"math/rand/v2"
	"testing"
)

// skipStringRef is the scalar definition skipString must match: stop at a
// quote, a control character, or a backslash that does not start a complete
// escape; pass complete escapes.
func skipStringRef(p []byte, i int) int {
	for i < len(p) {
		switch b := p[i]; {
		case b == '"' || b < 0x20:
			return i
		case b == '\\':
			switch {
			case i+1 < len(p) && shortEscape[p[i+1]]:
				i += 2
			case i+6 <= len(p) && p[i+1] == 'u' && isHex[p[i+2]] && isHex[p[i+3]] && isHex[p[i+4]] && isHex[p[i+5]]:
				i += 6
			default:
				return i
			}
		default:
			i++
		}
	}
	return i
}

// TestSkipStringMatchesScalar drives the word and vector loops over long
// random strings full of escapes, where short fuzz inputs never reach.
func TestSkipStringMatchesScalar(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 11))
	alphabet := []byte("abcdefghij klmnop0123456789ABCDEF\\\\\\\\\"nrtbfu/\x01\x1f\x7f\xc3\xa9")
	for n := 0; n < 20000; n++ {
		size := 1 + rnd.IntN(300)
		p := make([]byte, size)
		density := 1 + rnd.IntN(60) // one special-ish byte every density bytes
		for i := range p {
			if rnd.IntN(density) == 0 {
				p[i] = alphabet[rnd.IntN(len(alphabet))]
			} else {
				p[i] = 'a' + byte(rnd.IntN(26))
			}
		}
		for _, start := range []int{0, rnd.IntN(size)} {
			if got, want := skipString(p, start), skipStringRef(p, start); got != want {
				t.Fatalf("skipString(%q, %d) = %d, want %d", p, start, got, want)
			}
		}
	}
}

func FuzzSkipString(f *testing.F) {
	f.Add([]byte(`aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"`), 0)
	f.Fuzz(func(t *testing.T, p []byte, start int) {
		if start < 0 || start > len(p) {
			return
		}
		if got, want := skipString(p, start), skipStringRef(p, start); got != want {
			t.Fatalf("skipString(%q, %d) = %d, want %d", p, start, got, want)
		}
	})
}
