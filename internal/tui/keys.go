package tui

import "charm.land/bubbles/v2/key"

// keyMap holds every key of the screen, as k9s and btop users expect them; the help screen and
// the short help line are generated from it, so what is shown is what works.
type keyMap struct {
	Up, Down, Top, Bottom key.Binding
	Filter, Sort, Reverse key.Binding
	Detail, Back, Pool    key.Binding
	Pause, Slower, Faster key.Binding
	Help, Quit            key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Up:      key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:    key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Top:     key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "first pod")),
		Bottom:  key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "last pod")),
		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort column")),
		Reverse: key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
		Detail:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "pod detail")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back, clear filter")),
		Pool:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "next pool")),
		Pause:   key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "pause")),
		Slower:  key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "longer interval")),
		Faster:  key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "shorter interval")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp is the line at the bottom of the screen: the keys a first-time user needs.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Quit, k.Detail, k.Filter, k.Sort, k.Pool, k.Pause}
}

// FullHelp is the help screen, one column per kind of key.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom},
		{k.Filter, k.Sort, k.Reverse, k.Pool},
		{k.Detail, k.Back, k.Pause, k.Slower, k.Faster},
		{k.Help, k.Quit},
	}
}
