package main

import "syscall"

// childProcAttr makes the kernel kill a server child when the benchmark
// dies, so an interrupted run leaves no listeners behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
