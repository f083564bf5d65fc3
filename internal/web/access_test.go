package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 192.168.1.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
		ok     bool
	}{
		{"direct", "52.78.100.19:5555", nil, "52.78.100.19", true},
		{"untrusted peer's header is ignored", "1.2.3.4:5555", []string{"52.78.100.19"}, "1.2.3.4", true},
		{"trusted proxy", "10.1.2.3:5555", []string{"52.78.100.19"}, "52.78.100.19", true},
		{"rightmost untrusted wins", "10.1.2.3:5555", []string{"52.78.100.19, 6.6.6.6"}, "6.6.6.6", true},
		{"spoofed left entry", "10.1.2.3:5555", []string{"52.78.100.19, 7.7.7.7, 192.168.1.1"}, "7.7.7.7", true},
		{"several headers", "10.1.2.3:5555", []string{"52.78.100.19", "10.9.9.9"}, "52.78.100.19", true},
		{"all hops trusted", "10.1.2.3:5555", []string{"10.0.0.7"}, "10.1.2.3", true},
		{"garbage hop", "10.1.2.3:5555", []string{"not-an-ip"}, "", false},
		{"ipv4-mapped peer", "[::ffff:52.78.100.19]:5555", nil, "52.78.100.19", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/portone/webhook", nil)
			r.RemoteAddr = tt.remote
			for _, h := range tt.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			got, ok := clientIP(r, trusted)
			if ok != tt.ok || (ok && got.String() != tt.want) {
				t.Errorf("clientIP = %v, %v; want %s, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"", 0, false},
		{"52.78.100.19,52.78.48.223, 52.78.5.241", 3, false},
		{"10.0.0.0/8,::1", 2, false},
		{"52.78.100", 0, true},
		{"10.0.0.0/33", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePrefixes(tt.in)
			if (err != nil) != tt.wantErr || len(got) != tt.want {
				t.Errorf("ParsePrefixes(%q) = %v, %v; want %d prefixes, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestAllowSources(t *testing.T) {
	allow, _ := ParsePrefixes("52.78.100.19,52.78.48.223,52.78.5.241")
	proxies, _ := ParsePrefixes("10.0.0.1")
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	tests := []struct {
		name, remote, xff string
		sandbox           bool
		want              int
	}{
		{"sandbox emulator over loopback", "127.0.0.1:5000", "", true, http.StatusOK},
		{"loopback in live mode", "127.0.0.1:5000", "", false, http.StatusForbidden},
		{"PortOne", "52.78.48.223:443", "", false, http.StatusOK},
		{"PortOne through our proxy", "10.0.0.1:80", "52.78.5.241", false, http.StatusOK},
		{"stranger", "1.2.3.4:443", "", false, http.StatusForbidden},
		{"stranger claiming to be PortOne", "1.2.3.4:443", "52.78.100.19", false, http.StatusForbidden},
		{"stranger through our proxy", "10.0.0.1:80", "1.2.3.4", false, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/portone/webhook", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			s := New(Config{WebhookAllow: allow, TrustedProxies: proxies, Sandbox: tt.sandbox, Emulator: next})
			rec := httptest.NewRecorder()
			s.allowSources(next).ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d (%s)", rec.Code, tt.want, rec.Body)
			}
		})
	}
}
