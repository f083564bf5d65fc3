package cputime

import (
	"testing"
	"time"
)

func TestSelfCountsSpinning(t *testing.T) {
	before := Self()
	x := 0
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; {
		x++
	}
	if used := Self() - before; used < 100*time.Millisecond {
		t.Errorf("%v of CPU counted for 200 ms of spinning (%d loops)", used, x)
	}
}
