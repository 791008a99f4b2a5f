// Package cgroup reads the memory limit the kernel enforces on this process, so a server can size
// its buffers to the container it runs in instead of to the node.
package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// unlimited is where a cgroup v1 limit stops meaning anything: the kernel reports "no limit" as the
// largest page-aligned int64 (9223372036854771712), and no machine has an exabyte of memory.
const unlimited = 1 << 60

// Limit is the memory limit found, and where.
type Limit struct {
	Bytes int64  // 0: no limit
	File  string // the file that set Bytes, relative to the root given to MemoryLimit
}

// MemoryLimit returns the smallest memory limit over this process's cgroup and its ancestors, as
// seen from the file system at root ("/" in production, a fake tree in tests). It reads cgroup v1's
// memory.limit_in_bytes when the memory controller is a v1 one, else cgroup v2's memory.max.
//
// A container with its own cgroup namespace sees its cgroup as "/" and its limit at the mount
// point; one without sees the host's path in /proc/self/cgroup but usually only its own cgroup
// bind-mounted at the mount point. Both are covered by walking from the process's path, where it
// exists, up to the mount point. No cgroup files at all (not Linux, or no cgroup mount) is no
// limit, not an error.
func MemoryLimit(root string) (Limit, error) {
	raw, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if errors.Is(err, fs.ErrNotExist) {
		return Limit{}, nil
	}
	if err != nil {
		return Limit{}, err
	}
	mount, file, cgPath := "sys/fs/cgroup", "memory.max", ""
	if p, ok := controllerPath(string(raw), "memory"); ok {
		mount, file, cgPath = "sys/fs/cgroup/memory", "memory.limit_in_bytes", p
	} else if p, ok := controllerPath(string(raw), ""); ok {
		cgPath = p
	}
	return smallestLimit(root, mount, file, cgPath)
}

// controllerPath finds the cgroup path of a v1 controller ("memory"), or of the v2 hierarchy
// (controller ""), in /proc/self/cgroup lines "ID:CONTROLLERS:PATH".
func controllerPath(procCgroup, controller string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(procCgroup))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if controller == "" && parts[0] == "0" && parts[1] == "" {
			return parts[2], true
		}
		for _, c := range strings.Split(parts[1], ",") {
			if controller != "" && c == controller {
				return parts[2], true
			}
		}
	}
	return "", false
}

// smallestLimit reads file in the directory of cgPath under mount and in every ancestor up to the
// mount point, and keeps the smallest limit.
func smallestLimit(root, mount, file, cgPath string) (Limit, error) {
	best := Limit{}
	dir := path.Clean("/" + cgPath)
	for {
		rel := path.Join(mount, dir, file)
		n, err := readLimit(filepath.Join(root, rel))
		if err != nil {
			return Limit{}, fmt.Errorf("reading the memory limit in /%s: %w", rel, err)
		}
		if n > 0 && (best.Bytes == 0 || n < best.Bytes) {
			best = Limit{Bytes: n, File: "/" + rel}
		}
		if dir == "/" {
			return best, nil
		}
		dir = path.Dir(dir)
	}
}

// readLimit returns 0 for a missing file and for "no limit".
func readLimit(file string) (int64, error) {
	raw, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(raw))
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("unexpected content %q", s)
	}
	if n >= unlimited {
		return 0, nil
	}
	return int64(n), nil
}
