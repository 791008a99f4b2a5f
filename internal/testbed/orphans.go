//go:build unix

package testbed

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// reapOrphans stops the servers of Envs whose test process died without Stop (a panicking test, a
// -timeout, kill -9). envtest puts the servers in their own process group, so they outlive it and
// would each hold ~350 MB until reboot. A directory whose recorded owner is gone belongs to no one.
func reapOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not written yet by a Start in progress, or not ours
		}
		owner, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || alive(owner) {
			continue
		}
		// SIGKILL is enough: their data is throwaway, and a graceful stop would only take longer.
		for _, pid := range processesMentioning(dir + string(filepath.Separator)) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if wd, err := os.ReadFile(filepath.Join(dir, webhookDirFile)); err == nil && isEnvtestWebhookDir(string(wd)) {
			_ = os.RemoveAll(string(wd))
		}
		_ = os.RemoveAll(dir)
	}
}

// isEnvtestWebhookDir guards the RemoveAll above against a path that is not what envtest creates.
func isEnvtestWebhookDir(path string) bool {
	return filepath.Dir(path) == filepath.Clean(os.TempDir()) &&
		strings.HasPrefix(filepath.Base(path), "envtest-serving-certs-")
}

func kill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processesMentioning reads /proc, so it finds nothing (and orphans stay) where there is none.
func processesMentioning(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}
