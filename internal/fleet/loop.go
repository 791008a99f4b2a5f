package fleet

import (
	"context"
	"sync"
	"time"
)

// control is the interval and pause a Source's loop obeys; the screen changes them from another
// goroutine.
type control struct {
	mu       sync.Mutex
	interval time.Duration
	paused   bool
	wake     chan struct{}
	once     sync.Once
}

func newControl(interval time.Duration) *control {
	return &control{interval: interval, wake: make(chan struct{}, 1)}
}

func (c *control) SetInterval(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.interval = d
	c.mu.Unlock()
	c.poke()
}

func (c *control) SetPaused(p bool) {
	c.mu.Lock()
	c.paused = p
	c.mu.Unlock()
	c.poke()
}

func (c *control) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *control) state() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.interval, c.paused
}

// run calls refresh every interval (start to start; at once again when one took longer) until
// ctx ends, and sends each snapshot on the channel it returns, closed at the end. The channel
// holds one snapshot: a reader that falls behind gets the newest, never a queue of old ones,
// and never holds a refresh up.
func (c *control) run(ctx context.Context, refresh func(context.Context) Snapshot) <-chan Snapshot {
	out := make(chan Snapshot, 1)
	go func() {
		defer close(out)
		var last time.Time
		for {
			interval, paused := c.state()
			if !paused {
				last = time.Now()
				s := refresh(ctx)
				if ctx.Err() != nil {
					return
				}
				s.Interval = Duration(interval)
				select {
				case out <- s:
				default:
					select {
					case <-out:
					default:
					}
					out <- s
				}
			}
			if !c.wait(ctx, last) {
				return
			}
		}
	}()
	return out
}

// wait returns when the next refresh is due (interval after the last one began, so unpausing or
// shortening the interval may make it due at once), or false when ctx ends.
func (c *control) wait(ctx context.Context, last time.Time) bool {
	for {
		interval, paused := c.state()
		var due <-chan time.Time
		if !paused {
			d := time.Until(last.Add(interval))
			if d <= 0 {
				return true
			}
			due = time.After(d)
		}
		select {
		case <-ctx.Done():
			return false
		case <-c.wake:
		case <-due:
			return true
		}
	}
}

// runWatched is Run for the sources that read pools and pods through w: a Source runs once (a
// second Run gets a closed channel), the watches start with it, and the first refresh waits
// for the first lists only briefly, since a forbidden one never ends and its error is shown.
func (c *control) runWatched(ctx context.Context, w *watcher, refresh func(context.Context) Snapshot) <-chan Snapshot {
	started := false
	c.once.Do(func() { started = true })
	if !started {
		ch := make(chan Snapshot)
		close(ch)
		return ch
	}
	w.start(ctx)
	first := true
	return c.run(ctx, func(ctx context.Context) Snapshot {
		if first {
			w.synced(ctx, 5*time.Second)
			first = false
		}
		return refresh(ctx)
	})
}
