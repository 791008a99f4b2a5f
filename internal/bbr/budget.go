package bbr

import (
	"fmt"
	"log/slog"
	"sync/atomic"

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

// noLimitBudget is the default budget without a container memory limit.
const noLimitBudget = 1 << 30

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
// It also proposes a soft limit for the Go heap at nine tenths of the
// container's limit, which the command sets unless GOMEMLIMIT is. Held
// chunks become garbage once sent on, and Go's default pacing lets the heap
// grow to twice what is live before collecting; with half the container
// held, that is the whole container. The soft limit makes the collector run
// earlier instead.
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
	if lim.Bytes > 0 {
		p.goLimit = lim.Bytes / 10 * 9
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
	log.Info("memory budget", "max_held_bytes", p.heldBytes, "from", p.heldSource,
		"container_limit", p.container.Bytes, "max_body_bytes", int64(o.MaxBodyBytes))
}
