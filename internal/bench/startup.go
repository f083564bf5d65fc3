package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// startupTimeout bounds one start of serve.
const startupTimeout = 10 * time.Second

// Startup is how long `payresult serve` took from being started to
// answering /readyz with 200, as a child process on a fresh SQLite file
// in sandbox mode.
type Startup struct {
	Runs  int     `json:"runs"`
	P50Ms float64 `json:"p50_ms"`
	MaxMs float64 `json:"max_ms"`
}

// measureStartup starts bin serve runs times and times each start.
func measureStartup(ctx context.Context, bin string, runs int) (*Startup, error) {
	dir, err := os.MkdirTemp("", "payresult-startup-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	times := make([]time.Duration, 0, runs)
	for i := range runs {
		d, err := startOnce(ctx, bin, filepath.Join(dir, fmt.Sprintf("start-%d.db", i)))
		if err != nil {
			return nil, fmt.Errorf("start-up run %d: %w", i+1, err)
		}
		times = append(times, d)
	}
	slices.Sort(times)
	return &Startup{Runs: runs, P50Ms: ms(percentile(times, 0.5)), MaxMs: ms(times[len(times)-1])}, nil
}

// startOnce starts serve on a fresh database and a free loopback port,
// reads the address it announces, polls /readyz until it answers 200, and
// stops it with SIGTERM.
func startOnce(ctx context.Context, bin, db string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = append(os.Environ(), "PAYRESULT_ADDR=127.0.0.1:0", "PAYRESULT_DB="+db,
		"PORTONE_API_KEY=", "PORTONE_API_SECRET=", "PORTONE_API_URL=")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	addr, err := announced(out)
	if err != nil {
		return 0, err
	}
	if err := pollReady(ctx, addr+"/readyz"); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// announced reads serve's stdout up to its "listening on URL" line and
// keeps draining the rest so that serve never blocks on a full pipe.
func announced(out interface{ Read([]byte) (int, error) }) (string, error) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return strings.TrimSpace(u), nil
		}
	}
	return "", errors.New("serve exited without announcing its address")
}

// pollReady asks u until it answers 200. The poll is tight (every
// millisecond) because the measured time includes its granularity.
func pollReady(ctx context.Context, u string) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never answered 200: %w", u, ctx.Err())
		case <-tick.C:
		}
	}
}
