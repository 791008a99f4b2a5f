//go:build !unix

package testbed

import "errors"

// Without kill(2) and /proc there is no safe way to find and stop orphaned servers.
func reapOrphans() {}

func processesMentioning(string) []int { return nil }

func kill(int) error { return errors.New("not supported on this system") }
