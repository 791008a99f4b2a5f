package command

import "runtime/debug"

// defaultGCPercent is bbr's GOGC unless the environment sets one. bbr starts
// with about 2 MB of live heap (protobuf descriptors, client-go, Prometheus)
// against Go's minimum heap goal of 4 MB x GOGC/100, so at GOGC=100 it
// collects after every ~2 MB of garbage and marks that heap each time; small
// requests then spend more on the collector than on bbr's own work. 200
// doubles the floor to 8 MB: on 1 KiB requests it cuts bbr's instructions per
// request by 17% (callgrind, see the README's Performance section), and the
// heap goal stays at three times the live heap.
const defaultGCPercent = 200

// tuneGC applies defaultGCPercent when GOGC is not set, so an operator's
// GOGC (or GOGC=off with GOMEMLIMIT) always wins.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
