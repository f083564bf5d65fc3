package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// apiError is the JSON error every API failure is sent as.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// TestServeFreshDirectory checks the first minute of a new user: serve in
// an empty directory, with no configuration at all, starts in sandbox
// mode and serves the demo shop, the sandbox script and the health checks.
func TestServeFreshDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	s := startServe(t, map[string]string{"PAYRESULT_DB": ""}) // the default file
	if _, err := os.Stat("payresult.db"); err != nil {
		t.Errorf("no SQLite file in the working directory: %v", err)
	}
	out, log := s.stdout.String(), s.stderr.String()
	if !strings.Contains(out, "SANDBOX MODE") || !strings.Contains(log, "SANDBOX MODE") {
		t.Errorf("sandbox mode is not announced; stdout:\n%s", out)
	}
	if !strings.Contains(out, SandboxAPIKey) {
		t.Errorf("stdout does not show the sandbox API key:\n%s", out)
	}
	pages := []struct {
		path, contentType string
		want              []string
	}{
		{"/", "text/html", []string{"IMP.request_pay", `src="/sandbox/v1/iamport.js"`, "/demo/orders", `name="viewport"`}},
		{"/healthz", "application/json", []string{`"ok"`}},
		{"/readyz", "application/json", []string{`"ready"`}},
		{"/api/openapi.json", "application/json", []string{`"openapi"`}},
	}
	for _, p := range pages {
		res, body := s.get(p.path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), p.contentType) {
			t.Errorf("GET %s: %d %s, want 200 %s", p.path, res.StatusCode, res.Header.Get("Content-Type"), p.contentType)
			continue
		}
		for _, w := range p.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: body lacks %q", p.path, w)
			}
		}
	}
}

// TestServeBadRequests sends malformed and unauthorised requests of every
// kind and checks each gets its documented 4xx JSON error and that none of
// them changes anything.
func TestServeBadRequests(t *testing.T) {
	s := startServe(t, map[string]string{})
	var before orderView
	if st := s.api("POST", "/api/orders", newOrderBody("bad_req_1", 5000), &before); st != http.StatusCreated {
		t.Fatalf("creating the order: status %d, want 201", st)
	}
	key := http.Header{"Authorization": {"Bearer " + s.key}}
	wrongKey := http.Header{"Authorization": {"Bearer " + s.key + "x"}}
	good := `{"merchant_uid":"bad_req_2","name":"Mug","amount":5000}`
	tests := []struct {
		name, method, path, contentType, body string
		header                                http.Header
		status                                int
		code                                  string
	}{
		{"no auth", "POST", "/api/orders", "application/json", good, nil, 401, "unauthorized"},
		{"wrong key", "POST", "/api/orders", "application/json", good, wrongKey, 401, "unauthorized"},
		{"basic auth", "GET", "/api/events", "", "", http.Header{"Authorization": {"Basic " + s.key}}, 401, "unauthorized"},
		{"no auth on read", "GET", "/api/orders/bad_req_1", "", "", nil, 401, "unauthorized"},
		{"wrong key on refund", "POST", "/api/orders/bad_req_1/refund", "application/json", `{}`, wrongKey, 401, "unauthorized"},
		{"wrong content type", "POST", "/api/orders", "text/plain", good, key, 415, "unsupported_media_type"},
		{"form body", "POST", "/api/orders", "application/x-www-form-urlencoded", "merchant_uid=x", key, 415, "unsupported_media_type"},
		{"bad JSON", "POST", "/api/orders", "application/json", `{"merchant_uid":`, key, 400, "invalid"},
		{"empty body", "POST", "/api/orders", "application/json", ``, key, 400, "invalid"},
		{"unknown field", "POST", "/api/orders", "application/json", `{"merchant_uid":"bad_req_2","name":"Mug","amount":5000,"amuont":1}`, key, 400, "invalid"},
		{"two objects", "POST", "/api/orders", "application/json", good + good, key, 400, "invalid"},
		{"amount as text", "POST", "/api/orders", "application/json", `{"merchant_uid":"bad_req_2","name":"Mug","amount":"lots"}`, key, 400, "invalid"},
		{"zero amount", "POST", "/api/orders", "application/json", `{"merchant_uid":"bad_req_2","name":"Mug","amount":0}`, key, 400, "invalid"},
		{"bad merchant_uid", "POST", "/api/orders", "application/json", `{"merchant_uid":"has space","name":"Mug","amount":5000}`, key, 400, "invalid"},
		{"long merchant_uid", "POST", "/api/orders", "application/json", `{"merchant_uid":"` + strings.Repeat("x", 41) + `","name":"Mug","amount":5000}`, key, 400, "invalid"},
		{"bad success_url", "POST", "/api/orders", "application/json", `{"merchant_uid":"bad_req_2","name":"Mug","amount":5000,"success_url":"javascript:alert(1)"}`, key, 400, "invalid"},
		{"oversize body", "POST", "/api/orders", "application/json", `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, key, 413, "too_large"},
		{"conflicting repeat", "POST", "/api/orders", "application/json", `{"merchant_uid":"bad_req_1","name":"Mug","amount":9999}`, key, 409, "conflict"},
		{"bad merchant_uid in path", "GET", "/api/orders/has%20space", "", "", key, 400, "invalid"},
		{"unknown order", "GET", "/api/orders/no_such_order", "", "", key, 404, "not_found"},
		{"refund unknown order", "POST", "/api/orders/no_such_order/refund", "application/json", `{}`, key, 404, "not_found"},
		{"refund unpaid order", "POST", "/api/orders/bad_req_1/refund", "application/json", `{}`, key, 409, "conflict"},
		{"refund negative", "POST", "/api/orders/bad_req_1/refund", "application/json", `{"amount":-1}`, key, 400, "invalid"},
		{"refund unknown field", "POST", "/api/orders/bad_req_1/refund", "application/json", `{"amount":1,"all":true}`, key, 400, "invalid"},
		{"events bad cursor", "GET", "/api/events?after=abc", "", "", key, 400, "invalid"},
		{"events bad limit", "GET", "/api/events?limit=0", "", "", key, 400, "invalid"},
		{"events huge limit", "GET", "/api/events?limit=100000", "", "", key, 400, "invalid"},
		{"wrong method on orders", "GET", "/api/orders", "", "", key, 405, "method_not_allowed"},
		{"wrong method on order", "DELETE", "/api/orders/bad_req_1", "", "", key, 405, "method_not_allowed"},
		{"wrong method on refund", "GET", "/api/orders/bad_req_1/refund", "", "", key, 405, "method_not_allowed"},
		{"wrong method on events", "POST", "/api/events", "application/json", `{}`, key, 405, "method_not_allowed"},
		{"unknown API path", "GET", "/api/nothing", "", "", key, 404, "not_found"},
		{"webhook not a webhook", "POST", "/portone/webhook", "application/json", `{"hello":1}`, nil, 400, "invalid"},
		{"webhook bad JSON", "POST", "/portone/webhook", "application/json", `{"imp_uid":`, nil, 400, "invalid"},
		{"webhook oversize", "POST", "/portone/webhook", "application/json", `{"imp_uid":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, "too_large"},
		{"webhook wrong method", "GET", "/portone/webhook", "", "", nil, 405, "method_not_allowed"},
		{"webhook unknown order", "POST", "/portone/webhook", "application/json", `{"merchant_uid":"no_such_order","status":"paid"}`, nil, 404, "not_found"},
		{"demo wrong method", "GET", "/demo/orders", "", "", nil, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := s.do(tt.method, tt.path, tt.contentType, strings.NewReader(tt.body), tt.header)
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("status %d, body is not a JSON error: %s", res.StatusCode, body)
			}
			if res.StatusCode != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("got %d %q (%s), want %d %q", res.StatusCode, e.Error.Code, e.Error.Message, tt.status, tt.code)
			}
		})
	}
	// Nothing changed: the one order is as it was, no other exists, and
	// the feed is empty.
	var after orderDetailView
	if st := s.api("GET", "/api/orders/bad_req_1", nil, &after); st != http.StatusOK {
		t.Fatalf("reading the order: status %d", st)
	}
	if after.Order.Status != "pending" || after.Order.Version != before.Version || after.Order.Amount != before.Amount {
		t.Errorf("order changed: got %+v, want %+v", after.Order, before)
	}
	if st := s.api("GET", "/api/orders/bad_req_2", nil, nil); st != http.StatusNotFound {
		t.Errorf("GET bad_req_2: status %d, want 404 (no bad request may create it)", st)
	}
	var feed eventPageView
	s.api("GET", "/api/events", nil, &feed)
	if len(feed.Events) != 0 {
		t.Errorf("feed has %d events after bad requests, want 0", len(feed.Events))
	}
}

// TestServeGracefulShutdown stops serve while a redirect is inside
// Confirm, retrying a failing PortOne: the request still gets its page
// (the confirming one, as PortOne never answered) instead of a dropped
// connection, and Run returns nil.
func TestServeGracefulShutdown(t *testing.T) {
	s := startServe(t, map[string]string{})
	s.createOrder("shutdown_1", 3000, "", "")
	s.setFaults(`{"webhook_drop":true,"api_error_rate":1,"api_error_status":503}`)
	a, _ := s.pay("shutdown_1", 3000, "html5_inicis", "card", "paid")

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := s.client.Get(a.RedirectURL)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		answered <- answer{res.StatusCode, string(b), err}
	}()
	// The retry log line of the payment's look-up means the redirect's
	// handler is running and waiting to try PortOne again: stop the server
	// now. (The reconciler's sweeps fail and retry too, at their own
	// endpoint.)
	eventually(t, 10*time.Second, "a retry of the redirect's look-up logged", func() bool {
		return strings.Contains(s.stderr.String(), `endpoint="GET /payments/`+a.Payment.ImpUID+`"`)
	})
	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	got := <-answered
	if got.err != nil || got.status != http.StatusOK || !strings.Contains(got.body, "Confirming your payment") {
		t.Errorf("in-flight redirect: %d, %v; want 200 with the confirming page", got.status, got.err)
	}
}

// TestServeSandboxBeyondLoopbackWarns: sandbox mode may be put on every
// interface only by asking, and is then warned about on stdout and in
// the log; on loopback it is not.
func TestServeSandboxBeyondLoopbackWarns(t *testing.T) {
	tests := []struct {
		name, addr string
		warned     bool
	}{
		{"every interface", "0.0.0.0:0", true},
		{"loopback", "127.0.0.1:0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServe(t, map[string]string{"PAYRESULT_ADDR": tt.addr})
			out, log := s.stdout.String(), s.stderr.String()
			if got := strings.Contains(out, "WARNING: listening on "+tt.addr); got != tt.warned {
				t.Errorf("stdout warns: %v, want %v:\n%s", got, tt.warned, out)
			}
			if got := strings.Contains(log, "SANDBOX MODE on an address beyond loopback"); got != tt.warned {
				t.Errorf("log warns: %v, want %v:\n%s", got, tt.warned, log)
			}
		})
	}
}

// TestServeRequestIDs: every answer carries a request id, a caller's own
// when it is plain, and every log line of the request repeats it; the
// access log gives the duration in seconds.
func TestServeRequestIDs(t *testing.T) {
	s := startServe(t, map[string]string{})
	tests := []struct {
		name, sent string
		echoed     bool
	}{
		{"the caller's id", "req-42.retry_1", true},
		{"none sent", "", false},
		{"an id that is not plain", "bad id\twith spaces", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.sent != "" {
				h.Set("X-Request-Id", tt.sent)
			}
			res, _ := s.do("GET", "/api/events", "", nil, h) // 401: logged as refused, then as answered
			id := res.Header.Get("X-Request-Id")
			switch {
			case tt.echoed && id != tt.sent:
				t.Fatalf("X-Request-Id = %q, want the caller's %q", id, tt.sent)
			case !tt.echoed && !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id):
				t.Fatalf("X-Request-Id = %q, want a fresh 16-hex id", id)
			}
			var lines []string
			eventually(t, 5*time.Second, "the request's log lines", func() bool {
				lines = nil
				for _, l := range strings.Split(s.stderr.String(), "\n") {
					if strings.Contains(l, "request_id="+id) {
						lines = append(lines, l)
					}
				}
				return len(lines) >= 2
			})
			if !strings.Contains(lines[0], `msg="request refused"`) || !strings.Contains(lines[1], "msg=http") {
				t.Errorf("the request's lines are not the refusal and the access line:\n%s", strings.Join(lines, "\n"))
			}
			if !regexp.MustCompile(`duration=\d+(\.\d+)?(e-\d+)? `).MatchString(lines[1] + " ") {
				t.Errorf("the access line's duration is not in seconds: %s", lines[1])
			}
		})
	}
	if res, _ := s.get("/healthz"); res.Header.Get("X-Request-Id") == "" {
		t.Error("the health check's answer has no X-Request-Id")
	}
}
