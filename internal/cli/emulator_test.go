package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestEmulatorCommand starts `payresult emulator` on a free port, gets a
// token with the key and secret it announced, and stops it through ctx.
func TestEmulatorCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"emulator", "--addr", "127.0.0.1:0", "--api-secret", "s3cret"}, func(string) string { return "" }, &out, io.Discard)
	}()
	re := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+) \(imp_key (\S+), imp_secret (\S+),`)
	var m []string
	for deadline := time.Now().Add(5 * time.Second); m == nil; {
		if time.Now().After(deadline) {
			t.Fatalf("no startup line; output %q", out.String())
		}
		select {
		case err := <-done:
			t.Fatalf("emulator stopped early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		m = re.FindStringSubmatch(out.String())
	}
	body := "imp_key=" + m[2] + "&imp_secret=" + m[3]
	resp, err := http.Post(m[1]+"/users/getToken", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(got), `"access_token"`) {
		t.Errorf("getToken: %d %s", resp.StatusCode, got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("after cancel: %v, want nil", err)
	}
}

// TestEmulatorFlagsRefused checks that bad flags are usage errors.
func TestEmulatorFlagsRefused(t *testing.T) {
	for _, args := range [][]string{{"--webhook-retries", "9"}, {"--webhook-content-type", "text/xml"}, {"extra"}} {
		err := Run(context.Background(), append([]string{"emulator"}, args...), func(string) string { return "" }, io.Discard, io.Discard)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("emulator %v: err = %v, want ErrUsage", args, err)
		}
	}
}
