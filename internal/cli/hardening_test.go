package cli

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// slowHeaderLimit is how long serve may let a client dawdle over its
// request headers before hanging up: its ReadHeaderTimeout plus slack
// for a loaded machine. Without a header timeout the connection would
// stay open for the 30 s read timeout, and a slow-loris client could hold
// connections without ever sending a request.
const slowHeaderLimit = 15 * time.Second

// TestSlowHeadersAreCut opens a connection to a running serve, sends half
// a request header and then nothing, and requires serve to close the
// connection within its header timeout and to keep serving others.
func TestSlowHeadersAreCut(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for serve's ten-second header timeout")
	}
	s := startServe(t, map[string]string{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /portone/webhook HTTP/1.1\r\nHost: payresult\r\nContent-Type: application/json\r\n"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	conn.SetReadDeadline(start.Add(slowHeaderLimit))
	got, err := io.ReadAll(conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("serve still held the half-sent request after %s", slowHeaderLimit)
	}
	if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 4") {
		t.Errorf("serve answered the half-sent request with %q, want nothing or a 4xx", got)
	}
	t.Logf("connection closed after %s", time.Since(start).Round(time.Millisecond))

	resp, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz after the slow client: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %d, want 200", resp.StatusCode)
	}
}
