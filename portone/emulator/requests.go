package emulator

import (
	"net/http"
	"strings"
	"sync"
)

// Requests counts the REST API requests the emulator answered (V1 and
// V2, whatever the answer), by endpoint: "GET /payments/status", "POST
// /users/getToken", … with the path's variable parts left out. A bench
// reads it to report how many PortOne requests a run cost.
type Requests struct {
	Total      int            `json:"total"`
	ByEndpoint map[string]int `json:"by_endpoint"`
}

// requestCounter is the emulator's running Requests.
type requestCounter struct {
	mu    sync.Mutex
	total int
	by    map[string]int
}

func (c *requestCounter) count(r *http.Request) {
	ep := r.Method + " " + endpointOf(r.URL.Path)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]int{}
	}
	c.total++
	c.by[ep]++
}

func (c *requestCounter) snapshot() Requests {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Requests{Total: c.total, ByEndpoint: make(map[string]int, len(c.by))}
	for k, v := range c.by {
		out.ByEndpoint[k] = v
	}
	return out
}

func (c *requestCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total, c.by = 0, nil
}

// endpointOf names a REST path without its variable parts: the first two
// segments, which tell PortOne's endpoints apart (/payments/status,
// /payments/find, /payments/cancel; /payments alone for a look-up by
// imp_uid).
func endpointOf(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) >= 2 {
		switch segs[1] {
		case "status", "find", "findAll", "prepare", "cancel", "getToken":
			return "/" + segs[0] + "/" + segs[1]
		}
	}
	return "/" + segs[0]
}

// counted counts each request, faulted ones too, before h answers it.
func (e *Emulator) counted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.count(r)
		h.ServeHTTP(w, r)
	})
}

// Requests returns how many REST API requests the emulator has answered
// since it started or since ResetRequests.
func (e *Emulator) Requests() Requests { return e.requests.snapshot() }

// ResetRequests sets the request counts back to zero.
func (e *Emulator) ResetRequests() { e.requests.reset() }

// handleControlRequests answers the request counts; with ?reset=true it
// also starts them again from zero.
func (e *Emulator) handleControlRequests(w http.ResponseWriter, r *http.Request) {
	got := e.Requests()
	if r.URL.Query().Get("reset") == "true" {
		e.ResetRequests()
	}
	writeJSON(w, http.StatusOK, got)
}
