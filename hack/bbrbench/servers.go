package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startTimeout is generous because a server under valgrind starts slowly.
const startTimeout = 60 * time.Second

// server is one ext_proc server running as a child process. Each server is
// its own process so its RSS is its own and the load generator's garbage
// collector does not run inside it.
type server struct {
	name   string
	addr   string // gRPC address
	debug  string // base URL serving /debug/pprof
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has ended
	err    error         // Wait's result, valid once exited is closed
}

// buildBBR compiles ./cmd/bbr of the module the tool runs in, into dir.
func buildBBR(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bbr")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/bbr")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/bbr: %w", err)
	}
	return bin, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module; run from the igw repository")
	}
	return filepath.Dir(mod), nil
}

// freePort asks the kernel for an unused loopback port. Another process may
// take it before the child binds it; the child then fails to start and says
// so, which is rare enough not to retry.
func freePorts(n int) ([]int, error) {
	// Hold every listener until all ports are known, so the n are distinct.
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func start(name string, cmd *exec.Cmd) (*server, error) {
	cmd.SysProcAttr = childProcAttr()
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// runner starts a server's command line, directly or under a tool such as
// valgrind; nil runs it directly.
type runner func(args ...string) *exec.Cmd

func (r runner) command(args ...string) *exec.Cmd {
	if r == nil {
		return exec.Command(args[0], args[1:]...)
	}
	return r(args...)
}

// startBBR runs bbr in plaintext on loopback and waits until /readyz says
// it serves; extra flags come last, so they override.
func startBBR(bin string, run runner, extra ...string) (*server, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	args := append([]string{bin,
		"--secure-serving=false", "--bind-address=127.0.0.1",
		"--grpc-port=" + strconv.Itoa(ports[0]), "--grpc-health-port=" + strconv.Itoa(ports[1]),
		"--metrics-port=" + strconv.Itoa(ports[2]),
		"--configmaps=false", "--log-level=error", "--max-body-bytes=64Mi", "--enable-pprof"}, extra...)
	cmd := run.command(args...)
	s, err := start("bbr", cmd)
	if err != nil {
		return nil, err
	}
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	s.debug = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[2])
	if err := s.waitReady(ready); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *server) waitReady(url string) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited before it was ready: %v", s.name, s.err)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready at %s within %v", s.name, url, startTimeout)
}

// startEcho re-executes this binary as the echo server and waits for its
// ready line.
func startEcho(run runner) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	debug := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	cmd := run.command(self, "-serve-echo", "-addr", addr, "-debug-addr", debug)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s, err := start("echo", cmd)
	if err != nil {
		return nil, err
	}
	s.addr, s.debug = addr, "http://"+debug
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
	}()
	select {
	case l := <-line:
		if l == echoReady {
			return s, nil
		}
		s.stop()
		return nil, fmt.Errorf("echo server did not start (stdout %q): %v", l, s.waitErr())
	case <-time.After(startTimeout):
		s.stop()
		return nil, fmt.Errorf("echo server not ready within %v", startTimeout)
	}
}

func (s *server) waitErr() error {
	select {
	case <-s.exited:
		return s.err
	case <-time.After(time.Second):
		return nil
	}
}

// alive reports whether the process still runs; a server that crashed
// under load must not be mistaken for one that merely failed requests.
func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// memory reads the peak (VmHWM) and current (VmRSS) resident set in bytes.
func (s *server) memory() (peak, current int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, fmt.Errorf("%s memory: %w", s.name, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmHWM" && key != "VmRSS") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s memory: %s: %w", s.name, line, err)
		}
		if key == "VmHWM" {
			peak = kb << 10
		} else {
			current = kb << 10
		}
	}
	if peak == 0 {
		return 0, 0, fmt.Errorf("%s memory: no VmHWM in /proc/%d/status", s.name, s.cmd.Process.Pid)
	}
	return peak, current, nil
}

// stop sends SIGTERM (bbr drains; nothing is in flight by then) and kills
// the process if it does not end soon.
func (s *server) stop() {
	if !s.alive() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-s.exited:
	case <-ctx.Done():
		fmt.Fprintf(os.Stderr, "bbrbench: %s did not stop within 10s after SIGTERM; killing it\n", s.name)
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// cpuTime is the CPU the process has used so far, user + system and the
// system part alone, from /proc/<pid>/stat. Unlike req/s in a closed loop
// that shares two cores with the load generator, it does not depend on how
// the scheduler split the cores during the cell.
func (s *server) cpuTime() (total, sys time.Duration) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	// The command name (field 2) may hold spaces; fields after it are
	// counted from the closing parenthesis.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	return tick(utime + stime), tick(stime)
}

// ioCount is how many read- and write-like system calls a process made,
// from /proc/<pid>/io, and how often its live threads were switched out,
// from each thread's status: fewer, fuller writes and fewer sleeps are how a
// server saves kernel time and wake-ups per request, and how two servers
// with the same user code can still differ.
type ioCount struct{ reads, writes, switches int64 }

func (s *server) syscalls() ioCount {
	pid := s.cmd.Process.Pid
	io := procFields(fmt.Sprintf("/proc/%d/io", pid), "syscr", "syscw")
	c := ioCount{reads: io[0], writes: io[1]}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		sw := procFields(fmt.Sprintf("/proc/%d/task/%s/status", pid, t.Name()), "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")
		c.switches += sw[0] + sw[1]
	}
	return c
}

// procFields reads the "name: value" lines of a /proc file, one value per
// name, 0 for a name that is absent or a file that cannot be read.
func procFields(path string, names ...string) []int64 {
	vals := make([]int64, len(names))
	data, err := os.ReadFile(path)
	if err != nil {
		return vals
	}
	for line := range strings.Lines(string(data)) {
		k, v, _ := strings.Cut(line, ":")
		if i := slices.Index(names, k); i >= 0 {
			vals[i], _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return vals
}

// selfCPU is the benchmark process's own CPU, user + system: the load
// generator's (servers run in child processes, which it never waits for
// while measuring).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100
