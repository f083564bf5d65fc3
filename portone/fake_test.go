package portone

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payresult/payresult/internal/fakeclock"
)

const (
	testKey    = "imp_apikey"
	testSecret = "ekKoeW8RyKuT0zgaZsUtXXTLQ4AhPFW3ZGseDA6bkA5lamv9OqDMnxyeB9wqOsuO9W3Mx9YSJ4dTqJ3f"
)

// fixture returns the bytes of testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newFakeClock() *fakeclock.Clock { return fakeclock.New(time.Unix(1712203200, 0)) }

// fakePortOne answers like PortOne's V1 API: getToken with its reuse and
// extension rules, 401 on unknown or expired tokens, and whatever the test
// routes answer (usually a fixture) for the other endpoints.
type fakePortOne struct {
	t   testing.TB
	srv *httptest.Server
	// now is the server's clock; skew lets it differ from the client's.
	now func() time.Time

	tokenCalls atomic.Int32
	// tokenGate, when set, is waited on before getToken answers.
	tokenGate chan struct{}

	mu      sync.Mutex
	tokens  map[string]int64 // token → expired_at
	current string
	seq     int
	hits    map[string]int // "METHOD path" → requests that passed auth
	routes  map[string]http.HandlerFunc
}

func newFake(t testing.TB) *fakePortOne {
	t.Helper()
	f := &fakePortOne{
		t:      t,
		now:    time.Now,
		tokens: map[string]int64{},
		hits:   map[string]int{},
		routes: map[string]http.HandlerFunc{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a Client for f with fast retries.
func (f *fakePortOne) client() *Client {
	return &Client{
		BaseURL:   f.srv.URL,
		Key:       testKey,
		Secret:    testSecret,
		RetryWait: time.Millisecond, MaxRetryWait: 5 * time.Millisecond,
	}
}

// handle registers h for pattern, "METHOD /path" matched exactly
// (escaped path, no query).
func (f *fakePortOne) handle(pattern string, h http.HandlerFunc) {
	f.mu.Lock()
	f.routes[pattern] = h
	f.mu.Unlock()
}

// handleFixture answers pattern with status and testdata/name.
func (f *fakePortOne) handleFixture(pattern string, status int, name string) {
	body := fixture(f.t, name)
	f.handle(pattern, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, status, body) })
}

func (f *fakePortOne) count(pattern string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[pattern]
}

// revokeAll forgets every token, as if they had expired at PortOne.
func (f *fakePortOne) revokeAll() {
	f.mu.Lock()
	f.tokens = map[string]int64{}
	f.current = ""
	f.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

func (f *fakePortOne) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == "POST" && r.URL.Path == "/users/getToken" {
		f.getToken(w, r)
		return
	}
	if !f.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, fixture(f.t, "unauthorized.json"))
		return
	}
	pattern := r.Method + " " + r.URL.EscapedPath()
	f.mu.Lock()
	f.hits[pattern]++
	h := f.routes[pattern]
	f.mu.Unlock()
	if h == nil {
		writeJSON(w, http.StatusNotFound, []byte(`{"code":-1,"message":"no route in fake","response":null}`))
		return
	}
	h(w, r)
}

func (f *fakePortOne) authorized(r *http.Request) bool {
	tok := r.Header.Get("Authorization")
	tok = strings.TrimPrefix(tok, "Bearer ")
	if tok == "" {
		tok = r.Header.Get("X-ImpTokenHeader")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, ok := f.tokens[tok]
	return ok && f.now().Unix() < exp
}

// getToken follows §2.1: the same token until it expires, pushed out by
// 5 minutes when asked for with a minute or less left.
func (f *fakePortOne) getToken(w http.ResponseWriter, r *http.Request) {
	f.tokenCalls.Add(1)
	if f.tokenGate != nil {
		<-f.tokenGate
	}
	var body struct {
		Key    string `json:"imp_key"`
		Secret string `json:"imp_secret"`
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, 400, []byte(`{"code":-1,"message":"fake wants JSON","response":null}`))
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Key == "" || body.Secret == "" {
		writeJSON(w, http.StatusBadRequest, fixture(f.t, "token_missing_params.json"))
		return
	}
	if body.Key != testKey || body.Secret != testSecret {
		writeJSON(w, http.StatusUnauthorized, fixture(f.t, "unauthorized.json"))
		return
	}
	now := f.now().Unix()
	f.mu.Lock()
	exp, ok := f.tokens[f.current]
	switch {
	case ok && now < exp && exp-now <= 60:
		exp += 300
		f.tokens[f.current] = exp
	case ok && now < exp:
	default:
		f.seq++
		f.current = fmt.Sprintf("%040x", 0xa9ace025c90c0+f.seq)
		exp = now + 1800
		f.tokens[f.current] = exp
	}
	tok := f.current
	f.mu.Unlock()
	writeJSON(w, 200, fmt.Appendf(nil, `{"code":0,"message":null,"response":{"access_token":"%s","now":%d,"expired_at":%d}}`, tok, now, exp))
}
