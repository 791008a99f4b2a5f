package bbr

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/igw-dev/igw/internal/bbr/wire"
	"github.com/igw-dev/igw/internal/cgroup"
)

// heldBudget bounds the body bytes all streams hold at once while they wait
// for the model. Every streamed chunk before a decision is taken from it
// and given back when the chunk is sent on or its stream ends, so Held is
// exact, not an estimate: it returns to zero whenever no request waits.
type heldBudget struct {
	limit int64
	held  atomic.Int64
}

func newHeldBudget(limit int64) *heldBudget { return &heldBudget{limit: limit} }

// take reserves n bytes, or reports that holding them would pass the limit.
// A compare-and-swap rather than add-then-undo, so two requests racing for
// the last bytes never shed each other when one of them fits.
func (b *heldBudget) take(n int) bool {
	for {
		cur := b.held.Load()
		if cur+int64(n) > b.limit {
			return false
		}
		if b.held.CompareAndSwap(cur, cur+int64(n)) {
			return true
		}
	}
}

func (b *heldBudget) give(n int) {
	if n != 0 {
		b.held.Add(-int64(n))
	}
}

// Held is the number of body bytes held now, across all streams.
func (b *heldBudget) Held() int64 { return b.held.Load() }

// Limit is the budget.
func (b *heldBudget) Limit() int64 { return b.limit }

// bodyTrimInterval is how often spare body buffers that a whole interval
// of traffic did not need are given back.
const bodyTrimInterval = 10 * time.Second

func trimBodies(ctx context.Context, pool *wire.BodyPool) {
	t := time.NewTicker(bodyTrimInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pool.Trim()
		}
	}
}

// noLimitBudget is the default budget without a container memory limit.
const noLimitBudget = 1 << 30

// goHeadroom is what the Go heap may use beyond the held-bytes budget
// before the collector works harder to stay under it: the idle process's
// heap, spare body buffers, and gRPC's buffers for the streams in flight
// (measured: about 15 MiB live for 64 streams of 10 MiB bodies), with room
// left so that a full budget does not make the collector run back to back.
const goHeadroom = 64 << 20

// memoryPlan is how bbr sizes itself to its container: the held-bytes
// budget and the Go runtime's soft memory limit, with the reason for each,
// logged at start.
type memoryPlan struct {
	heldBytes  int64
	heldSource string // why this budget
	goLimit    int64  // 0: leave the runtime's limit alone
	container  cgroup.Limit
	cgroupErr  error // the limit could not be read, but the budget did not need it
}

// planMemory derives the budget from the container's memory limit (half of
// it) unless --max-held-bytes is set, and refuses a budget smaller than
// --max-body-bytes the operator asked for: such a request could never be
// held whole and would be shed on every retry.
//
// It also proposes a soft limit for the Go heap, which the command sets
// unless GOMEMLIMIT is: the budget plus goHeadroom, and at most nine tenths
// of the container's limit. Go's default pacing lets the heap grow to twice
// what is live before collecting; with the budget held, that is twice the
// budget, and with half the container held, the whole container. The soft
// limit makes the collector run before that instead.
func (o *Options) planMemory(root string) (memoryPlan, error) {
	lim, err := cgroup.MemoryLimit(root)
	if err != nil && o.MaxHeldBytes == 0 {
		return memoryPlan{}, fmt.Errorf("--max-held-bytes: cannot derive a default from the container's memory limit (%v); set --max-held-bytes", err)
	}
	p := memoryPlan{container: lim, cgroupErr: err}
	switch {
	case o.MaxHeldBytes > 0:
		p.heldBytes, p.heldSource = int64(o.MaxHeldBytes), "--max-held-bytes"
		if int64(o.MaxHeldBytes) < int64(o.MaxBodyBytes) {
			return memoryPlan{}, fmt.Errorf("--max-held-bytes %s is below --max-body-bytes %s: a request with its model that late could never be held; raise --max-held-bytes or lower --max-body-bytes",
				o.MaxHeldBytes.String(), o.MaxBodyBytes.String())
		}
	case lim.Bytes > 0:
		p.heldBytes, p.heldSource = lim.Bytes/2, "half the container memory limit in "+lim.File
	default:
		p.heldBytes, p.heldSource = noLimitBudget, "no container memory limit found"
	}
	p.goLimit = p.heldBytes + goHeadroom
	if lim.Bytes > 0 {
		p.goLimit = min(p.goLimit, lim.Bytes/10*9)
	}
	return p, nil
}

// apply lowers the per-request limit to a derived budget below
// --max-body-bytes: a request is never allowed to need more than the whole
// budget.
func (p memoryPlan) apply(o *Options, log *slog.Logger) {
	if p.cgroupErr != nil {
		log.Warn("cannot read the container's memory limit; the Go heap gets no soft limit", "err", p.cgroupErr)
	}
	if p.heldBytes < int64(o.MaxBodyBytes) {
		log.Warn("the held-bytes budget is below --max-body-bytes; requests must complete the model within the budget",
			"max_body_bytes", int64(o.MaxBodyBytes), "max_held_bytes", p.heldBytes)
		o.MaxBodyBytes = ByteSize(p.heldBytes)
	}
	if p.goLimit < p.heldBytes+goHeadroom/2 {
		log.Warn("the held-bytes budget leaves little of the container's memory limit for the rest of bbr; "+
			"lower --max-held-bytes or raise the limit", "max_held_bytes", p.heldBytes, "container_limit", p.container.Bytes)
	}
	log.Info("memory budget", "max_held_bytes", p.heldBytes, "from", p.heldSource,
		"container_limit", p.container.Bytes, "go_memory_limit", p.goLimit, "max_body_bytes", int64(o.MaxBodyBytes))
}
