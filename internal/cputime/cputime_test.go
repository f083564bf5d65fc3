package cputime

import (
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
