// Package cputime reads how much CPU this process, and the whole machine,
// have used, for the benchmarks that report CPU per operation beside time
// per operation.
package cputime

import (
	"syscall"
	"time"
)

// Self is the CPU time, user and system, this process has used; zero if
// the system does not say.
func Self() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
