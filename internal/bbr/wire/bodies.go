package wire

import (
	"sync"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
)

// bodyTiers are the capacities of pooled body buffers. Envoy slices bodies
// into 16 KiB pieces; the other tiers catch what a gateway or a test cuts
// differently. Bodies above the largest tier (BUFFERED mode sends the whole
// body in one message) are allocated for the one request and left to the
// collector.
var bodyTiers = [...]int{4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20}

// BodyPool recycles the buffers that body chunks are decoded into.
//
// Every chunk used to be a fresh allocation that became garbage once sent
// on. Chunks held until the model arrives make that garbage arrive in bulk:
// with Go's default pacing, a process holding its whole budget of live
// chunks grew to twice the budget before collecting, and a soft memory
// limit near the budget made the collector run without pause instead. Put
// back on a free list, a chunk's buffer carries the next chunk, so the heap
// stays at what is actually held.
//
// The free lists are not sync.Pools on purpose: a sync.Pool empties at
// every collection, and refilling it is the allocation this avoids. What
// they keep is bounded by what was in use at once (for held chunks, the
// held-bytes budget), and Trim gives back what a while of traffic did not
// need.
type BodyPool struct {
	tiers [len(bodyTiers)]freeList
}

// freeList is a stack of spare buffers of one tier. low is the fewest it
// held since the last trim: that many were never needed.
type freeList struct {
	mu   sync.Mutex
	bufs []*[]byte
	low  int
}

// get returns a buffer of length n. Its bytes are not cleared: the decoder
// overwrites all n, and nothing reads past them.
func (p *BodyPool) get(n int) *[]byte {
	for i, size := range bodyTiers {
		if n <= size {
			if b := p.tiers[i].pop(); b != nil {
				*b = (*b)[:n]
				return b
			}
			b := make([]byte, n, size)
			return &b
		}
	}
	b := make([]byte, n)
	return &b
}

func (p *BodyPool) put(b *[]byte) {
	for i, size := range bodyTiers {
		if cap(*b) == size {
			p.tiers[i].push(b)
			return
		}
	}
}

func (f *freeList) pop() *[]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.bufs)
	if n == 0 {
		f.low = 0
		return nil
	}
	b := f.bufs[n-1]
	f.bufs[n-1] = nil
	f.bufs = f.bufs[:n-1]
	f.low = min(f.low, n-1)
	return b
}

func (f *freeList) push(b *[]byte) {
	f.mu.Lock()
	f.bufs = append(f.bufs, b)
	f.mu.Unlock()
}

// Trim drops the spare buffers no request needed since the last Trim, so
// a burst's buffers go back to the collector once traffic calms down.
// Called every few seconds; between calls the lists only grow as far as
// traffic needs.
func (p *BodyPool) Trim() {
	for i := range p.tiers {
		f := &p.tiers[i]
		f.mu.Lock()
		if f.low > 0 {
			keep := len(f.bufs) - f.low
			clear(f.bufs[keep:])
			f.bufs = f.bufs[:keep:keep] // the next push moves the list to a smaller array
		}
		f.low = len(f.bufs)
		f.mu.Unlock()
	}
}

// FreeBytes is the capacity of the spare buffers, which the process holds
// on top of the body bytes in use.
func (p *BodyPool) FreeBytes() int64 {
	var n int64
	for i := range p.tiers {
		f := &p.tiers[i]
		f.mu.Lock()
		n += int64(len(f.bufs)) * int64(bodyTiers[i])
		f.mu.Unlock()
	}
	return n
}

// Request is what the codec reads a ProcessingRequest into for a server
// that wants its body bytes in a pooled buffer. The body belongs to the
// Request until someone takes it; Release gives back what was not taken.
// A server reads every message into the same Request, releasing in between.
type Request struct {
	Msg  extprocv3.ProcessingRequest
	body Body
}

// Body is a pooled buffer that holds a body chunk. Its holder releases it
// once the bytes have been sent on (grpc copies an answer while sending it)
// and nothing refers to them any more; a Body never released is only a
// buffer left to the collector.
type Body struct {
	pool *BodyPool
	buf  *[]byte
}

// TakeBody hands the body buffer to the caller, who must release it.
func (r *Request) TakeBody() Body {
	b := r.body
	r.body = Body{}
	return b
}

// Release gives back the body buffer unless it was taken; the body bytes in
// Msg must not be used afterwards.
func (r *Request) Release() { r.TakeBody().Release() }

// Release puts the buffer back in its pool. Releasing a zero Body does
// nothing.
func (b Body) Release() {
	if b.buf != nil {
		b.pool.put(b.buf)
	}
}
