package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestServeConfig(t *testing.T) {
	live := map[string]string{"PORTONE_API_KEY": "k", "PORTONE_API_SECRET": "s", "PAYRESULT_API_KEY": "0123456789abcdef0123"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(*serveConfig) string // "" when fine
		wantErr string                    // substring of the error
	}{
		{"defaults are sandbox on loopback", map[string]string{}, nil, func(c *serveConfig) string {
			if !c.Sandbox || c.Addr != "127.0.0.1:8080" || c.AddrExposed || c.DB != "payresult.db" || c.APIKey != SandboxAPIKey {
				return "want sandbox on 127.0.0.1:8080 with payresult.db and the sandbox key"
			}
			return ""
		}, ""},
		{"live", live, nil, func(c *serveConfig) string {
			if c.Sandbox || c.APIKey != live["PAYRESULT_API_KEY"] || c.Addr != ":8080" || c.AddrExposed {
				return "want live mode on :8080 with the configured key"
			}
			return ""
		}, ""},
		{"sandbox told to listen everywhere", map[string]string{"PAYRESULT_ADDR": ":8080"}, nil, func(c *serveConfig) string {
			if c.Addr != ":8080" || !c.AddrExposed {
				return "want :8080, marked exposed"
			}
			return ""
		}, ""},
		{"sandbox on a LAN address by flag", nil, []string{"--addr", "192.168.0.10:8080"}, func(c *serveConfig) string {
			if !c.AddrExposed {
				return "want it marked exposed"
			}
			return ""
		}, ""},
		{"sandbox on another loopback port", map[string]string{"PAYRESULT_ADDR": "localhost:9000"}, nil, func(c *serveConfig) string {
			if c.Addr != "localhost:9000" || c.AddrExposed {
				return "want localhost:9000, not exposed"
			}
			return ""
		}, ""},
		{"sandbox on IPv6 loopback", map[string]string{"PAYRESULT_ADDR": "[::1]:9000"}, nil, func(c *serveConfig) string {
			if c.AddrExposed {
				return "want ::1 taken for loopback"
			}
			return ""
		}, ""},
		{"flag beats env", with(live, "PAYRESULT_ADDR", ":9000"), []string{"--addr", "127.0.0.1:9100"}, func(c *serveConfig) string {
			if c.Addr != "127.0.0.1:9100" {
				return "want the flag's address"
			}
			return ""
		}, ""},
		{"events secret without whsec_", with(live, "PAYRESULT_EVENTS_SECRET", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="), nil, func(c *serveConfig) string {
			if string(c.ResultKey()) != "0123456789abcdef0123456789abcdef" {
				return "want the result key decoded from base64"
			}
			return ""
		}, ""},
		{"postgres", with(live, "PAYRESULT_DB", "postgres://u@h/db"), nil, func(c *serveConfig) string {
			if !c.IsPostgres() {
				return "want PostgreSQL"
			}
			return ""
		}, ""},
		{"allowlist", with(live, "PAYRESULT_WEBHOOK_ALLOW", "52.78.100.19,52.78.48.223,52.78.5.241"), nil, func(c *serveConfig) string {
			if len(c.WebhookAllow) != 3 {
				return "want 3 allowed sources"
			}
			return ""
		}, ""},
		{"key without secret", map[string]string{"PORTONE_API_KEY": "k"}, nil, nil, "must be set together"},
		{"live needs an API key", with(live, "PAYRESULT_API_KEY", ""), nil, nil, "PAYRESULT_API_KEY (--api-key): required"},
		{"short API key", with(live, "PAYRESULT_API_KEY", "short"), nil, nil, "too short"},
		{"URL without credentials", map[string]string{"PORTONE_API_URL": "http://x"}, nil, nil, "sandbox mode uses its own emulator"},
		{"bad address", map[string]string{"PAYRESULT_ADDR": "8080"}, nil, nil, "not host:port"},
		{"events URL needs a secret", with(live, "PAYRESULT_EVENTS_URL", "https://app/events"), nil, nil, "required with PAYRESULT_EVENTS_URL"},
		{"bad events secret", with(live, "PAYRESULT_EVENTS_SECRET", "whsec_!!!"), nil, nil, "PAYRESULT_EVENTS_SECRET"},
		{"events secret that is plain text", with(live, "PAYRESULT_EVENTS_SECRET", "my-events-secret-for-the-shop"), nil, nil, "openssl rand -base64 32"},
		{"events secret too short", with(live, "PAYRESULT_EVENTS_SECRET", "whsec_c2hvcnQta2V5"), nil, nil, "too short: its key is 9 bytes"},
		{"bad public URL", map[string]string{"PAYRESULT_PUBLIC_URL": "localhost:8080"}, nil, nil, "PAYRESULT_PUBLIC_URL"},
		{"bad allowlist", map[string]string{"PAYRESULT_WEBHOOK_ALLOW": "52.78"}, nil, nil, "PAYRESULT_WEBHOOK_ALLOW"},
		{"bad timeout", map[string]string{"PAYRESULT_SHUTDOWN_TIMEOUT": "-1s"}, nil, nil, "PAYRESULT_SHUTDOWN_TIMEOUT"},
		{"bad log format", map[string]string{"PAYRESULT_LOG_FORMAT": "xml"}, nil, nil, "PAYRESULT_LOG_FORMAT"},
		{"all problems at once", map[string]string{"PAYRESULT_ADDR": "x", "PAYRESULT_LOG_FORMAT": "xml"}, nil, nil, "PAYRESULT_LOG_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			c, err := loadServeConfig(Env{Args: tt.args, Getenv: func(k string) string { return tt.env[k] }, Stdout: &out, Stderr: &errOut})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if msg := tt.check(c); msg != "" {
				t.Errorf("%+v: %s", c, msg)
			}
		})
	}
}

func TestServeHelpAndBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	env := Env{Args: []string{"--help"}, Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut}
	if c, err := loadServeConfig(env); c != nil || err != nil {
		t.Fatalf("--help: got %v, %v; want nil, nil", c, err)
	}
	for _, want := range []string{"PAYRESULT_DB", "PORTONE_API_KEY", "--public-url", "SANDBOX MODE"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention %s:\n%s", want, out.String())
		}
	}
	env.Args = []string{"--no-such-flag"}
	if _, err := loadServeConfig(env); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown flag: error %v, want ErrUsage", err)
	}
}
