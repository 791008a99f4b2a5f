package fleet

// ring keeps the last n values; its memory is fixed at creation, so a long run stays flat.
type ring struct {
	buf   []float64
	next  int
	count int
}

func newRing(n int) *ring { return &ring{buf: make([]float64, n)} }

func (r *ring) push(v float64) {
	if len(r.buf) == 0 {
		return
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	r.count = min(r.count+1, len(r.buf))
}

// values copies the ring oldest first: a Snapshot owns its slices, so a later push never
// changes what a reader holds.
func (r *ring) values() []float64 {
	if r.count == 0 {
		return nil
	}
	out := make([]float64, r.count)
	start := (r.next - r.count + len(r.buf)) % len(r.buf)
	n := copy(out, r.buf[start:min(start+r.count, len(r.buf))])
	copy(out[n:], r.buf[:r.count-n])
	return out
}
