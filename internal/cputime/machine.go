package cputime

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// MachineSample is what /proc/stat says of the whole machine's CPUs at
// one moment: how many clock ticks they have spent busy and in all, and
// how many CPUs there are. Two samples tell how much CPU every process
// on the machine used between them (a database server's too), which is
// what runs out when a load driver, a service and its database share the
// same cores.
type MachineSample struct {
	busy, total uint64
	cpus        int
}

// Machine samples /proc/stat; ok is false where it cannot be read.
func Machine() (s MachineSample, ok bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return MachineSample{}, false
	}
	defer f.Close()
	s, err = parseStat(f)
	return s, err == nil
}

// minTicksPerCPU is the least span BusySince measures: /proc/stat counts
// in ticks (10 ms on most systems), too coarse for a shorter one.
const minTicksPerCPU = 5

// BusySince is the CPU time the machine's CPUs spent busy (user, nice,
// system, irq and softirq) between earlier and s, wall apart; zero when
// the span is too short for /proc/stat's ticks to tell. The ticks' length
// is not needed: the busy share of all ticks, times the wall time of
// every CPU, is the busy time.
func (s MachineSample) BusySince(earlier MachineSample, wall time.Duration) time.Duration {
	if s.cpus == 0 || s.total < earlier.total+minTicksPerCPU*uint64(s.cpus) || s.busy < earlier.busy {
		return 0
	}
	total := s.total - earlier.total
	share := float64(s.busy-earlier.busy) / float64(total)
	return time.Duration(share * float64(wall) * float64(s.cpus))
}

// parseStat reads the aggregate "cpu" line of /proc/stat and counts the
// per-CPU "cpuN" lines.
func parseStat(r io.Reader) (MachineSample, error) {
	var s MachineSample
	var found bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0 || !strings.HasPrefix(fields[0], "cpu"):
		case fields[0] == "cpu":
			if len(fields) < 8 {
				return MachineSample{}, fmt.Errorf("/proc/stat: the cpu line has %d fields, want at least 8", len(fields)-1)
			}
			// user nice system idle iowait irq softirq [steal guest guest_nice]:
			// guest time is already in user time, and steal is time the
			// hypervisor gave to someone else.
			var v [8]uint64
			for i := range 8 {
				n, err := strconv.ParseUint(fields[i+1], 10, 64)
				if err != nil {
					return MachineSample{}, fmt.Errorf("/proc/stat: the cpu line's field %d: %w", i+1, err)
				}
				v[i] = n
			}
			s.busy = v[0] + v[1] + v[2] + v[5] + v[6]
			s.total = s.busy + v[3] + v[4] + v[7]
			found = true
		default:
			s.cpus++
		}
	}
	if err := sc.Err(); err != nil {
		return MachineSample{}, err
	}
	if !found || s.cpus == 0 {
		return MachineSample{}, errors.New("/proc/stat: no cpu lines")
	}
	return s, nil
}
