package cputime

import (
	"strings"
	"testing"
	"time"
)

// TestSelfCountsSpinning spins until Self has counted 100 ms of CPU. On
// a loaded machine spinning may get less CPU than wall time, so the
// bound is generous; a Self that counts nothing never gets there.
func TestSelfCountsSpinning(t *testing.T) {
	before := Self()
	x := 0
	for deadline := time.Now().Add(20 * time.Second); Self()-before < 100*time.Millisecond; x++ {
		if time.Now().After(deadline) {
			t.Fatalf("%v of CPU counted for 20 s of spinning (%d loops)", Self()-before, x)
		}
	}
}

// TestMachineCountsSpinning spins until the machine's busy time has
// grown by 100 ms: this process's spinning is part of it. A Machine that
// counts nothing (or only idle time) never gets there.
func TestMachineCountsSpinning(t *testing.T) {
	before, ok := Machine()
	if !ok {
		t.Skip("no /proc/stat on this system")
	}
	start := time.Now()
	for x := 0; ; x++ {
		now, ok := Machine()
		if !ok {
			t.Fatal("/proc/stat could be read once, then not")
		}
		if now.BusySince(before, time.Since(start)) >= 100*time.Millisecond {
			return
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("%v busy counted over 20 s of spinning (%d loops)", now.BusySince(before, time.Since(start)), x)
		}
	}
}

func TestParseStat(t *testing.T) {
	const stat = `cpu  100 10 50 800 20 5 15 30 7 0
cpu0 50 5 25 400 10 3 7 15 3 0
cpu1 50 5 25 400 10 2 8 15 4 0
intr 12345
ctxt 999
`
	s, err := parseStat(strings.NewReader(stat))
	if err != nil {
		t.Fatal(err)
	}
	// busy: user+nice+system+irq+softirq = 180; total adds idle, iowait and steal.
	if s.busy != 180 || s.total != 180+800+20+30 || s.cpus != 2 {
		t.Errorf("parsed %+v, want busy 180, total 1030, 2 CPUs", s)
	}
	// Half the ticks busy over one second of two CPUs is one CPU-second.
	later := MachineSample{busy: s.busy + 100, total: s.total + 200, cpus: 2}
	if got := later.BusySince(s, time.Second); got != time.Second {
		t.Errorf("BusySince = %v, want 1s", got)
	}
	if got := s.BusySince(later, time.Second); got != 0 {
		t.Errorf("BusySince backwards = %v, want 0", got)
	}
	// Four ticks per CPU are too few to tell.
	short := MachineSample{busy: s.busy + 8, total: s.total + 8, cpus: 2}
	if got := short.BusySince(s, 40*time.Millisecond); got != 0 {
		t.Errorf("BusySince over 4 ticks per CPU = %v, want 0", got)
	}
	for _, bad := range []string{"", "intr 1\n", "cpu 1 2 3\ncpu0 1 2 3\n", "cpu 1 2 x 4 5 6 7 8\ncpu0 1\n", "cpu 1 2 3 4 5 6 7 8\n"} {
		if _, err := parseStat(strings.NewReader(bad)); err == nil {
			t.Errorf("parseStat(%q) = nil error, want one", bad)
		}
	}
}
