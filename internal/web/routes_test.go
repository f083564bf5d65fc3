package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOpenAPIMatchesRoutes checks that openapi.json describes exactly the
// /api/ routes: every path and method in the document is routed, and every
// routed one is documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	decodeOpenAPI(t, &doc)
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var routed []string
	for _, rt := range New(Config{Sandbox: true, Emulator: http.NotFoundHandler()}).routes() {
		if _, path, ok := strings.Cut(rt.pattern, " "); ok && strings.HasPrefix(path, "/api/") {
			routed = append(routed, rt.pattern)
		}
	}
	sort.Strings(documented)
	sort.Strings(routed)
	if diff := cmp.Diff(routed, documented); diff != "" {
		t.Errorf("routes (-) and openapi.json (+) differ:\n%s", diff)
	}
}

// TestWrongMethodIsJSON checks that every routed path answers a method it
// does not serve with the JSON 405 and an Allow header.
func TestWrongMethodIsJSON(t *testing.T) {
	s := New(Config{APIKey: "k"})
	tests := []struct {
		method, path, allow string
	}{
		{"GET", "/api/orders", "POST"},
		{"DELETE", "/api/orders/o1", "GET, HEAD"},
		{"GET", "/api/orders/o1/refund", "POST"},
		{"POST", "/api/events", "GET, HEAD"},
		{"GET", "/portone/webhook", "POST"},
		{"PUT", "/portone/redirect", "GET, POST, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("status = %d, want 405; body %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "method_not_allowed" {
				t.Errorf("body = %s, want a method_not_allowed JSON error", rec.Body)
			}
		})
	}
}

// TestSandboxRoutesOnlyInSandbox checks that the demo shop's order endpoint
// and the emulator exist only in sandbox mode.
func TestSandboxRoutesOnlyInSandbox(t *testing.T) {
	emu := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("emulator " + r.URL.Path)) })
	tests := []struct {
		name    string
		sandbox bool
		want    int
	}{
		{"sandbox", true, http.StatusOK},
		{"live", false, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{Sandbox: tt.sandbox, Emulator: emu})
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest("GET", "/sandbox/v1/iamport.js", nil))
			if rec.Code != tt.want {
				t.Fatalf("GET /sandbox/v1/iamport.js: status = %d, want %d", rec.Code, tt.want)
			}
			if tt.sandbox && rec.Body.String() != "emulator /v1/iamport.js" {
				t.Errorf("emulator saw %q, want the path without /sandbox", rec.Body)
			}
			// PortOne's REST paths also answer at the root, in sandbox mode only.
			for _, rq := range []struct{ method, path string }{
				{"POST", "/users/getToken"}, {"GET", "/payments/imp_123"}, {"GET", "/payments?imp_uid[]=imp_1"},
				{"POST", "/login/api-secret"}, {"POST", "/token/refresh"}, {"POST", "/payments/order-1/cancel"},
			} {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, httptest.NewRequest(rq.method, rq.path, nil))
				want := "emulator " + strings.SplitN(rq.path, "?", 2)[0]
				if tt.sandbox && rec.Body.String() != want || !tt.sandbox && rec.Code != http.StatusNotFound {
					t.Errorf("%s %s: %d %q", rq.method, rq.path, rec.Code, rec.Body)
				}
			}
		})
	}
}
