package chaos

import "syscall"

// childAttr makes the kernel kill a serve child when the harness dies,
// so that a soak stopped hard leaves no service running behind it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
