package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an io.Writer that the server writes to while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// served is a payresult serve started through Run on a free port.
type served struct {
	t      *testing.T
	url    string
	key    string
	client *http.Client // does not follow redirects
	stdout *lockedBuffer
	stderr *lockedBuffer
	// stop cancels serve's context and returns what Run returned; it may
	// be called more than once.
	stop func() error
}

var listeningLine = regexp.MustCompile(`listening on (http://\S+)`)

// startServe runs "payresult serve" with env (and args) until the test
// ends. It picks a free port and a SQLite file in a temporary directory
// unless env says otherwise, and waits for the "listening on" line.
func startServe(t *testing.T, env map[string]string, args ...string) *served {
	t.Helper()
	if _, ok := env["PAYRESULT_ADDR"]; !ok {
		env["PAYRESULT_ADDR"] = "127.0.0.1:0"
	}
	if _, ok := env["PAYRESULT_DB"]; !ok {
		env["PAYRESULT_DB"] = filepath.Join(t.TempDir(), "payresult.db")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{t: t, key: SandboxAPIKey, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	if k := env["PAYRESULT_API_KEY"]; k != "" {
		s.key = k
	}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve"}, args...), func(k string) string { return env[k] }, s.stdout, s.stderr)
	}()
	var once sync.Once
	var runErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(15 * time.Second):
				runErr = errors.New("serve did not stop within 15s of its context being cancelled")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("serve returned %v after shutdown, want nil", err)
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", s.stderr)
		}
	})
	s.url = s.waitListening(done)
	s.client = &http.Client{
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

func (s *served) waitListening(done chan error) string {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		if m := listeningLine.FindStringSubmatch(s.stdout.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			done <- err
			s.t.Fatalf("serve stopped before listening: %v\nstderr:\n%s", err, s.stderr)
		case <-tick.C:
		}
	}
	s.t.Fatalf("serve did not print its address within 15s; stdout:\n%s", s.stdout)
	return ""
}

// do sends a request and returns the answer with its body read.
func (s *served) do(method, path, contentType string, body io.Reader, header http.Header) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return res, b
}

// api calls the app API with the bearer key and a JSON body (if v is not
// nil), and decodes the JSON answer into out (if not nil). It returns the
// status.
func (s *served) api(method, path string, v, out any) int {
	s.t.Helper()
	var body io.Reader
	ct := ""
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			s.t.Fatal(err)
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	res, b := s.do(method, path, ct, body, http.Header{"Authorization": {"Bearer " + s.key}})
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: answer %d is not JSON: %v\n%s", method, path, res.StatusCode, err, b)
		}
	}
	return res.StatusCode
}

// get fetches a page without the API key.
func (s *served) get(path string) (*http.Response, string) {
	s.t.Helper()
	res, b := s.do("GET", path, "", nil, nil)
	return res, string(b)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		<-tick.C
	}
}

// trimURL makes an absolute URL on the server relative to it.
func (s *served) trimURL(u string) string { return strings.TrimPrefix(u, s.url) }
