//go:build !linux

package chaos

import "syscall"

// childAttr has nothing to add outside Linux: there is no parent-death
// signal, and the harness kills its children when it ends.
func childAttr() *syscall.SysProcAttr { return nil }
