// Package tui is the screen of `igwctl top`: a bubbletea model that shows the fleet.Snapshots a
// Source sends, one pool at a time, with a pods table, a pod's detail and a help screen. It
// reads snapshots and talks to the Source only to pause it and change its interval, so a live
// cluster, Prometheus and a replayed recording look the same.
package tui

import (
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/igw-dev/igw/internal/fleet"
)

// Options are what the screen is given.
type Options struct {
	// Snapshots are the Source's snapshots, from Source.Run; the screen shows the newest.
	Snapshots <-chan fleet.Snapshot
	// Source receives pause and interval changes; nil in tests that only send snapshots.
	Source fleet.Source
	// Interval is the refresh interval the Source started with.
	Interval time.Duration
	// Replay says the Source plays a recording: its pace cannot change, and its end is normal.
	Replay bool
	// Now is the clock ages are measured with; nil is time.Now. Tests fix it.
	Now func() time.Time
	// Width and Height are the screen's size until the terminal says otherwise.
	Width, Height int
}

// screen is what the model shows.
type screen int

const (
	poolScreen screen = iota
	detailScreen
	helpScreen
)

// intervals are the steps + and - move through; 100ms is the floor `igwctl top` accepts.
var intervals = []time.Duration{
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
	5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
}

// Model is the screen's state. It is a value, as bubbletea models are: Update returns the next
// one.
type Model struct {
	opts  Options
	keys  keyMap
	help  help.Model
	st    styles
	now   func() time.Time
	w, h  int
	snap  *fleet.Snapshot
	got   time.Time // when snap arrived
	ended bool

	screen screen
	// back is the screen help returns to.
	back screen
	// pool is the key (namespace/name) of the pool shown; the first pool when not found.
	pool string
	// cursor is the selected row of the table, offset the first row drawn; selected is the
	// selected pod's name, which the selection follows across refreshes and re-sorts.
	cursor, offset int
	selected       string

	sort      int
	reverse   bool
	filter    string
	filtering bool

	paused   bool
	interval time.Duration
	// note is a short message for the status line (what a key did), until noteUntil.
	note      string
	noteUntil time.Time
}

// New returns the screen's model.
func New(o Options) Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Width == 0 {
		o.Width, o.Height = 80, 24
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	m := Model{opts: o, keys: newKeyMap(), help: help.New(), st: newStyles(), now: o.Now, w: o.Width, h: o.Height, interval: o.Interval}
	m.help.Styles.ShortKey = m.st.key
	m.help.Styles.FullKey = m.st.key
	m.help.Styles.ShortDesc = m.st.faint
	m.help.Styles.FullDesc = m.st.faint
	m.help.Styles.ShortSeparator = m.st.faint
	m.help.Styles.FullSeparator = m.st.faint
	m.help.Styles.Ellipsis = m.st.faint
	return m
}

type (
	snapshotMsg struct{ fleet.Snapshot }
	// endedMsg says the Source closed its channel: a replay played its last snapshot, or the
	// live source stopped.
	endedMsg struct{}
	tickMsg  time.Time
)

// tick redraws once a second, so ages move while a Source is paused or slow.
func tick() tea.Cmd { return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) }) }

// next waits for the Source's next snapshot.
func (m Model) next() tea.Cmd {
	ch := m.opts.Snapshots
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return endedMsg{}
		}
		return snapshotMsg{s}
	}
}

// Init starts reading snapshots and the clock.
func (m Model) Init() tea.Cmd { return tea.Batch(m.next(), tick()) }

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.follow()
	case snapshotMsg:
		// A paused screen stays as it was; the Source is paused too, so at most the refresh
		// that was in flight is dropped.
		if !m.paused {
			s := msg.Snapshot
			m.snap, m.got = &s, m.now()
			m.follow()
		}
		return m, m.next()
	case endedMsg:
		m.ended = true
	case tickMsg:
		if !m.noteUntil.IsZero() && m.now().After(m.noteUntil) {
			m.note, m.noteUntil = "", time.Time{}
		}
		return m, tick()
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

// say shows a note in the status line for a few seconds.
func (m *Model) say(note string) {
	m.note, m.noteUntil = note, m.now().Add(3*time.Second)
}

// currentPool is the pool shown, nil before the first snapshot or when none is in scope.
func (m Model) currentPool() *fleet.Pool {
	if m.snap == nil || len(m.snap.Pools) == 0 {
		return nil
	}
	for i := range m.snap.Pools {
		if poolKey(m.snap.Pools[i]) == m.pool {
			return &m.snap.Pools[i]
		}
	}
	return &m.snap.Pools[0]
}

func poolKey(p fleet.Pool) string { return p.Namespace + "/" + p.Name }

// rows are the current pool's pods the filter lets through, in the table's order.
func (m Model) rows() []fleet.Pod {
	p := m.currentPool()
	if p == nil {
		return nil
	}
	match := matcher(m.filter)
	var out []fleet.Pod
	for _, pod := range p.Pods {
		if match(pod) {
			out = append(out, pod)
		}
	}
	sortPods(out, sortKeys[m.sort], m.reverse)
	return out
}

// follow puts the cursor back on the selected pod after the rows changed (a refresh, a sort,
// a filter), or keeps it in range when that pod is gone, and scrolls it into view.
func (m *Model) follow() {
	rows := m.rows()
	found := false
	for i, p := range rows {
		if p.Name == m.selected {
			m.cursor, found = i, true
			break
		}
	}
	if !found {
		m.cursor = max(0, min(m.cursor, len(rows)-1))
		if len(rows) > 0 {
			m.selected = rows[m.cursor].Name
		}
	}
	n := m.tableRows()
	switch {
	case m.cursor < m.offset:
		m.offset = m.cursor
	case m.cursor >= m.offset+n:
		m.offset = m.cursor - n + 1
	}
	m.offset = max(0, min(m.offset, len(rows)-n))
}

// move puts the cursor on row i.
func (m *Model) move(i int) {
	rows := m.rows()
	if len(rows) == 0 {
		return
	}
	m.cursor = max(0, min(i, len(rows)-1))
	m.selected = rows[m.cursor].Name
	m.follow()
}

// setInterval moves the refresh interval by step intervals.
func (m *Model) setInterval(step int) {
	if m.opts.Replay {
		m.say("a replay plays at its recorded pace")
		return
	}
	i := 0
	for i < len(intervals)-1 && intervals[i] < m.interval {
		i++
	}
	i = max(0, min(i+step, len(intervals)-1))
	m.interval = intervals[i]
	if m.opts.Source != nil {
		m.opts.Source.SetInterval(m.interval)
	}
	m.say("interval " + m.interval.String() + " from the next refresh")
}

func (m *Model) setPaused(p bool) {
	m.paused = p
	if m.opts.Source != nil {
		m.opts.Source.SetPaused(p)
	}
}

// nextPool shows the pool after the current one.
func (m *Model) nextPool() {
	if m.snap == nil || len(m.snap.Pools) < 2 {
		return
	}
	cur := m.currentPool()
	for i, p := range m.snap.Pools {
		if poolKey(p) == poolKey(*cur) {
			m.pool = poolKey(m.snap.Pools[(i+1)%len(m.snap.Pools)])
			break
		}
	}
	m.cursor, m.offset, m.selected = 0, 0, ""
	m.follow()
}
