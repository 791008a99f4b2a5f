package cgroup

import (
	"path/filepath"
	"strings"
	"testing"
)

// Each tree in testdata is a file system root as a container would see it.
func TestMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		tree string
		want Limit
	}{
		{"v2", Limit{268435456, "/sys/fs/cgroup/memory.max"}},
		{"v2-unlimited", Limit{}},
		// No cgroup namespace: the pod's limit sits two levels above the container's "max", and
		// the smaller of the two ancestors wins.
		{"v2-host-view", Limit{536870912, "/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/pod1/memory.max"}},
		// A hybrid host: the v1 memory controller governs, whatever the unified tree says; the
		// container's own cgroup is bind-mounted at the mount point, its host path absent.
		{"v1", Limit{134217728, "/sys/fs/cgroup/memory/memory.limit_in_bytes"}},
		{"v1-unlimited", Limit{}},
	} {
		t.Run(tc.tree, func(t *testing.T) {
			got, err := MemoryLimit(filepath.Join("testdata", tc.tree))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("MemoryLimit = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestNoCgroupFilesIsNoLimit(t *testing.T) {
	got, err := MemoryLimit(t.TempDir())
	if err != nil || got != (Limit{}) {
		t.Fatalf("MemoryLimit of an empty tree = %+v, %v; want no limit and no error", got, err)
	}
}

func TestGarbledLimitIsAnError(t *testing.T) {
	_, err := MemoryLimit(filepath.Join("testdata", "garbled"))
	if err == nil || !strings.Contains(err.Error(), "/sys/fs/cgroup/memory.max") || !strings.Contains(err.Error(), `"256M"`) {
		t.Fatalf("error %v; want one naming the file and its content", err)
	}
}

func TestControllerPath(t *testing.T) {
	const hybrid = "12:memory:/a/b\n4:cpu,cpuacct:/c\n0::/d\n"
	for _, tc := range []struct {
		controller, want string
		ok               bool
	}{{"memory", "/a/b", true}, {"cpuacct", "/c", true}, {"", "/d", true}, {"pids", "", false}} {
		got, ok := controllerPath(hybrid, tc.controller)
		if got != tc.want || ok != tc.ok {
			t.Errorf("controllerPath(%q) = %q, %v; want %q, %v", tc.controller, got, ok, tc.want, tc.ok)
		}
	}
}
