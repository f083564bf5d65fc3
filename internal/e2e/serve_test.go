package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/cli"
)

// adminPassword is the admin page's password in these tests.
const adminPassword = "e2e admin password"

// server is one `payresult serve` in sandbox mode.
type server struct {
	url string
	// metricsURL is /metrics on its own listener, when
	// PAYRESULT_METRICS_ADDR gave it one.
	metricsURL string
	dbPath     string
	logs       *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
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

// startServe runs `payresult serve` through cli.Run on a free loopback port
// with a fresh SQLite file, and stops it when the test ends. env adds to
// (or overrides) the settings.
func startServe(t *testing.T, env map[string]string) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{dbPath: filepath.Join(dir, "payresult.db"), logs: &syncBuffer{}}
	vars := map[string]string{
		"PAYRESULT_ADDR":           "127.0.0.1:0",
		"PAYRESULT_DB":             s.dbPath,
		"PAYRESULT_ADMIN_PASSWORD": adminPassword,
	}
	for k, v := range env {
		vars[k] = v
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := cli.Run(ctx, []string{"serve"}, func(k string) string { return vars[k] }, pw, s.logs)
		pw.CloseWithError(fmt.Errorf("serve stopped: %v", err))
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", s.logs.String())
		}
	})
	s.url, s.metricsURL = listenURL(t, pr)
	return s
}

// listenURL reads serve's stdout until its "listening on" line, and then
// drains the rest so that serve never blocks on it. It also returns the
// scrape's own URL when serve announced one ("metrics on ...").
func listenURL(t *testing.T, r io.Reader) (string, string) {
	t.Helper()
	found := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		var metrics string
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "metrics on "); ok {
				metrics = strings.TrimSpace(u)
			}
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				found <- [2]string{strings.TrimSpace(u), metrics}
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("serve exited before listening")
		}
		return u[0], u[1]
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start listening within 20 s")
	}
	return "", ""
}

// call sends a JSON request and decodes the answer into out (when not nil),
// failing the test unless the status is want.
func (s *server) call(t *testing.T, method, path string, header map[string]string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, path, b, err)
		}
	}
}

// apiKey is the sandbox's app API credential.
var apiKey = map[string]string{"Authorization": "Bearer " + cli.SandboxAPIKey}

// orderDetail is GET /api/orders/{merchant_uid}'s answer.
type orderDetail struct {
	Order    *payresult.Order    `json:"order"`
	Attempts []payresult.Attempt `json:"attempts"`
	Events   []payresult.Event   `json:"events"`
	Timeline []payresult.Note    `json:"timeline"`
}

// detail reads an order with its attempts, events and timeline through
// the app API.
func (s *server) detail(t *testing.T, merchantUID string) *orderDetail {
	t.Helper()
	var d orderDetail
	s.call(t, "GET", "/api/orders/"+merchantUID, apiKey, nil, http.StatusOK, &d)
	if d.Order == nil {
		t.Fatalf("GET /api/orders/%s has no order", merchantUID)
	}
	return &d
}

// order reads an order through the app API.
func (s *server) order(t *testing.T, merchantUID string) *payresult.Order {
	t.Helper()
	return s.detail(t, merchantUID).Order
}

// waitStatus polls the app API until the order has status want.
func (s *server) waitStatus(t *testing.T, merchantUID string, want payresult.Status) *payresult.Order {
	t.Helper()
	var o *payresult.Order
	ok := poll(15*time.Second, func() bool {
		o = s.order(t, merchantUID)
		return o.Status == want
	})
	if !ok {
		t.Fatalf("order %s is %s after 15 s, want %s", merchantUID, o.Status, want)
	}
	return o
}

// poll calls cond every 50 ms until it is true or d has passed.
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond) // a polling interval, not a wait for an event
	}
}

// get fetches path with optional Basic credentials and returns the status
// and body.
func (s *server) get(t *testing.T, path string, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}
