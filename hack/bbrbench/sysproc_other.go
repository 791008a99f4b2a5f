//go:build !linux

package main

import "syscall"

// childProcAttr: only Linux can tie a child's life to its parent's; the
// benchmark reads /proc and is meant for Linux anyway.
func childProcAttr() *syscall.SysProcAttr { return nil }
