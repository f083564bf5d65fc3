package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startChild starts bin serve as a child process on db, in live mode
// against the emulator at portoneURL, and returns its base URL and a
// function that stops it. The child's own memory is then measurable
// apart from the bench driver's and the emulator's (see childPeakRSSMiB).
func (e *env) startChild(ctx context.Context, bin string, spec ServiceSpec) (string, func() error, error) {
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "PAYRESULT_ADDR=127.0.0.1:0", "PAYRESULT_DB="+spec.DB,
		"PAYRESULT_API_KEY="+spec.APIKey, "PORTONE_API_URL="+spec.PortOneURL,
		"PORTONE_API_KEY="+spec.PortOneKey, "PORTONE_API_SECRET="+spec.PortOneSecret)
	if spec.PortOneV2Secret != "" {
		cmd.Env = append(cmd.Env, "PORTONE_V2_API_URL="+spec.PortOneURL, "PORTONE_V2_API_SECRET="+spec.PortOneV2Secret,
			"PORTONE_V2_STORE_ID="+spec.PortOneV2StoreID, "PORTONE_V2_WEBHOOK_SECRET="+spec.PortOneV2WebhookSecret)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		return cmd.Wait()
	}
	addr, err := announced(out)
	if err == nil {
		rctx, cancel := context.WithTimeout(ctx, startupTimeout)
		err = pollReady(rctx, addr+"/readyz")
		cancel()
	}
	if err != nil {
		_ = stop()
		return "", nil, fmt.Errorf("serve child: %w", err)
	}
	e.childPID = cmd.Process.Pid
	return addr, stop, nil
}

// childCPU is the CPU time the serve child has used, zero when the
// service runs in process or the child's stat cannot be read. Linux
// counts it in ticks of 1/100 s (USER_HZ), so only a phase's total is
// meaningful, not a single request's.
func (e *env) childCPU() time.Duration {
	if e.childPID == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.childPID))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// fields are counted after its closing one. utime and stime are
	// fields 14 and 15.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const userHZ = 100
	return time.Duration(utime+stime) * time.Second / userHZ
}

// childPeakRSSMiB is the serve child's peak resident set (VmHWM), zero
// when the service runs in process.
func (e *env) childPeakRSSMiB() float64 {
	if e.childPID == 0 {
		return 0
	}
	return vmHWM(fmt.Sprintf("/proc/%d/status", e.childPID))
}

// vmHWM reads VmHWM in MiB from a /proc status file; zero where there is
// no such file.
func vmHWM(path string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
