package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/admin"
	"github.com/payresult/payresult/internal/web"
	"github.com/payresult/payresult/portone/portonev2"
)

// SandboxAPIKey is the app API key in sandbox mode when PAYRESULT_API_KEY
// is not set. It is printed at start-up; no real money is behind it.
const SandboxAPIKey = "sandbox_payresult_api_key"

// SandboxAdminPassword is the admin page's password in sandbox mode when
// PAYRESULT_ADMIN_PASSWORD is not set. It is printed at start-up; with
// live credentials and no password the admin page is off (404).
const SandboxAdminPassword = "sandbox_payresult_admin"

// minAPIKeyLen keeps a live API key out of guessing range.
const minAPIKeyLen = 16

// serveConfig is the configuration of payresult serve, read once from the
// environment and the flags (flags win) and then validated as a whole.
type serveConfig struct {
	Addr string // listen address
	// AddrExposed is set when sandbox mode was told to listen beyond
	// loopback (an explicit PAYRESULT_ADDR or --addr): serve warns.
	AddrExposed bool
	// MetricsAddr, when set, serves /metrics on its own listener, and not
	// on Addr: the scrape stays on an internal network.
	MetricsAddr   string
	DB            string // SQLite path, or a postgres:// URL
	PortOneKey    string
	PortOneSecret string
	PortOneURL    string // empty: PortOne's own API
	// The PortOne V2 credentials: the API secret, the store (empty: the
	// secret's own), the webhook secret and the API's URL (empty:
	// PortOne's own). V1 and V2 may both be set: one payresult serves
	// both.
	PortOneV2Secret        string
	PortOneV2StoreID       string
	PortOneV2WebhookSecret string
	PortOneV2URL           string
	APIKey                 string // bearer key of the app API
	EventsURL              string // where events are POSTed; empty: feed only
	EventsSecret           string // signs events (Standard Webhooks) and result URLs
	PublicURL              string // how browsers and PortOne reach us; empty: derived
	// AcceptTestPayments lets PortOne test-channel payments settle orders
	// in live mode, for trying real credentials on a test channel.
	AcceptTestPayments bool
	WebhookAllow       []netip.Prefix
	TrustedProxies     []netip.Prefix
	ShutdownTimeout    time.Duration
	LogFormat          string // text or json
	// AdminPassword protects /admin (user "admin"); empty turns it off.
	AdminPassword string
	// ReconcileSchedule, ReconcileInterval, ReconcileLease and
	// ReconcileRate tune the reconciler (nil or zero: its defaults).
	// Short values let a soak watch it converge in seconds, not minutes.
	ReconcileSchedule []time.Duration
	ReconcileInterval time.Duration
	ReconcileLease    time.Duration
	ReconcileRate     float64

	// Sandbox is true when no PortOne credentials are set, neither V1's
	// nor V2's: the emulator stands in for PortOne, both APIs.
	Sandbox bool
}

// HasV1 and HasV2 report which PortOne APIs the service takes orders
// for: those with credentials, both in sandbox mode.
func (c *serveConfig) HasV1() bool { return c.Sandbox || c.PortOneKey != "" }

// HasV2 is HasV1 for PortOne V2.
func (c *serveConfig) HasV2() bool { return c.Sandbox || c.PortOneV2Secret != "" }

// DefaultAPI is the API of an order registered without one: V1 when V1
// is served, else V2.
func (c *serveConfig) DefaultAPI() payresult.API {
	if c.HasV1() {
		return payresult.APIV1
	}
	return payresult.APIV2
}

// serveEnv documents each setting: its flag, its environment variable and
// what it does, in the order --help lists them.
var serveEnv = []struct{ flag, env, usage string }{
	{"addr", "PAYRESULT_ADDR", "listen `host:port` (default :8080; in sandbox mode " + sandboxAddr + ", as its control API is open to anyone who reaches it)"},
	{"db", "PAYRESULT_DB", "the database: a SQLite `file`, or postgres://user@host/db for PostgreSQL"},
	{"portone-api-key", "PORTONE_API_KEY", "PortOne REST API `key`; none (with no secret) means sandbox mode"},
	{"portone-api-secret", "PORTONE_API_SECRET", "PortOne REST API `secret`"},
	{"portone-api-url", "PORTONE_API_URL", "PortOne API base `URL` (default https://api.iamport.kr)"},
	{"portone-v2-api-secret", "PORTONE_V2_API_SECRET", "PortOne V2 API `secret`; with neither it nor a V1 key and secret, sandbox mode (V1 and V2)"},
	{"portone-v2-store-id", "PORTONE_V2_STORE_ID", "PortOne V2 `store ID` (store-…); empty: the secret's own store"},
	{"portone-v2-webhook-secret", "PORTONE_V2_WEBHOOK_SECRET", "PortOne V2 webhook `secret` (whsec_…), required with PORTONE_V2_API_SECRET: /portone/v2/webhook refuses what it did not sign"},
	{"portone-v2-api-url", "PORTONE_V2_API_URL", "PortOne V2 API base `URL` (default https://api.portone.io)"},
	{"api-key", "PAYRESULT_API_KEY", "bearer `key` the app sends to /api/, at least 16 characters (sandbox default: " + SandboxAPIKey + ")"},
	{"events-url", "PAYRESULT_EVENTS_URL", "app `URL` that receives signed events; empty: feed only"},
	{"events-secret", "PAYRESULT_EVENTS_SECRET", "Standard Webhooks `secret` that signs events and result URLs: at least 24 bytes in base64, optionally after whsec_ (make one: " + payresult.MakeWebhookSecret + ")"},
	{"public-url", "PAYRESULT_PUBLIC_URL", "`URL` browsers and PortOne reach this server at (default derived from --addr)"},
	{"accept-test-payments", "PAYRESULT_ACCEPT_TEST_PAYMENTS", "with live credentials, let PortOne test-channel payments settle orders (`true|false`)"},
	{"webhook-allow", "PAYRESULT_WEBHOOK_ALLOW", "comma-separated `IPs/CIDRs` allowed to call /portone/webhook; empty: anyone (PortOne's: 52.78.100.19,52.78.48.223,52.78.5.241)"},
	{"trusted-proxies", "PAYRESULT_TRUSTED_PROXIES", "comma-separated `IPs/CIDRs` of proxies whose X-Forwarded-For is believed"},
	{"shutdown-timeout", "PAYRESULT_SHUTDOWN_TIMEOUT", "how long in-flight requests get to finish on shutdown (a `duration`)"},
	{"log-format", "PAYRESULT_LOG_FORMAT", "log format: `text|json`"},
	{"metrics-addr", "PAYRESULT_METRICS_ADDR", "serve /metrics on this listen `host:port` of its own (for example 127.0.0.1:9090), and not on --addr; empty: /metrics on --addr"},
	{"admin-password", "PAYRESULT_ADMIN_PASSWORD", "`password` of the admin console at /admin (user admin), at least 12 characters; unset: off in live mode, " + SandboxAdminPassword + " in sandbox mode"},
	{"reconcile-schedule", "PAYRESULT_RECONCILE_SCHEDULE", "comma-separated `durations`: the wait before each reconciler check of an order (default 1m,2m,5m,...,24h: about four days)"},
	{"reconcile-interval", "PAYRESULT_RECONCILE_INTERVAL", "wait between reconciler passes (a `duration`; default 10s)"},
	{"reconcile-lease", "PAYRESULT_RECONCILE_LEASE", "how long a reconciler check keeps other instances off an order; after a crash the order waits this long (a `duration`; default 2m)"},
	{"reconcile-rate", "PAYRESULT_RECONCILE_RATE", "PortOne requests per second the reconciler may make (a `number`); -1 for no cap (default 10)"},
}

// Listen addresses when PAYRESULT_ADDR and --addr are not set. Sandbox
// mode stays on loopback: its control API takes no credential and its
// notice_url makes payresult send requests wherever it is told.
const (
	liveAddr    = ":8080"
	sandboxAddr = "127.0.0.1:8080"
)

// serveDefaults are the values used when neither flag nor environment
// sets one.
var serveDefaults = map[string]string{
	"db":               "payresult.db",
	"shutdown-timeout": "20s",
	"log-format":       "text",
}

// loadServeConfig reads and validates the configuration. With --help it
// prints the usage to stdout and returns nil, nil.
func loadServeConfig(env Env) (*serveConfig, error) {
	fs := flag.NewFlagSet("payresult serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	raw := serveFlags(fs, env.Getenv)
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			serveHelp.write(env.Stdout, fs)
			return nil, nil
		}
		return nil, usageError(env, "serve", err)
	}
	if fs.NArg() > 0 {
		return nil, usageError(env, "serve", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	get := func(name string) string { return strings.TrimSpace(*raw[name]) }
	return parseServeConfig(get)
}

// serveFlags defines serve's settings on fs, each defaulting to its
// environment variable, and returns their values by flag name.
func serveFlags(fs *flag.FlagSet, getenv func(string) string) map[string]*string {
	raw := map[string]*string{}
	for _, s := range serveEnv {
		def := serveDefaults[s.flag]
		if v := getenv(s.env); v != "" {
			def = v
		}
		raw[s.flag] = fs.String(s.flag, def, s.usage)
	}
	return raw
}

// parseServeConfig builds the configuration from the settings' text and
// reports every problem at once, each naming the variable and flag.
func parseServeConfig(get func(flag string) string) (*serveConfig, error) {
	c := &serveConfig{
		Addr: get("addr"), DB: get("db"),
		PortOneKey: get("portone-api-key"), PortOneSecret: get("portone-api-secret"), PortOneURL: get("portone-api-url"),
		PortOneV2Secret: get("portone-v2-api-secret"), PortOneV2StoreID: get("portone-v2-store-id"),
		PortOneV2WebhookSecret: get("portone-v2-webhook-secret"), PortOneV2URL: get("portone-v2-api-url"),
		APIKey: get("api-key"), EventsURL: get("events-url"), EventsSecret: get("events-secret"),
		PublicURL: strings.TrimRight(get("public-url"), "/"), LogFormat: get("log-format"),
	}
	var problems []string
	bad := func(flag, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s (--%s): %s", envOf(flag), flag, fmt.Sprintf(format, args...)))
	}
	if c.DB == "" {
		bad("db", "empty; give a SQLite file path or a postgres:// URL")
	}
	c.Sandbox = c.PortOneKey == "" && c.PortOneSecret == "" && c.PortOneV2Secret == ""
	c.parseAddr(bad)
	if c.MetricsAddr = get("metrics-addr"); c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("metrics-addr", "%q is not host:port (for example 127.0.0.1:9090)", c.MetricsAddr)
		}
	}
	switch {
	case (c.PortOneKey == "") != (c.PortOneSecret == ""):
		bad("portone-api-key", "PORTONE_API_KEY and PORTONE_API_SECRET must be set together (neither means sandbox mode)")
	case c.Sandbox && c.PortOneURL != "":
		bad("portone-api-url", "set, but PORTONE_API_KEY and PORTONE_API_SECRET are not; sandbox mode uses its own emulator")
	case c.PortOneKey == "" && c.PortOneURL != "":
		bad("portone-api-url", "set, but PORTONE_API_KEY and PORTONE_API_SECRET are not")
	}
	checkURL(bad, "portone-api-url", c.PortOneURL)
	c.checkV2(bad)
	switch {
	case c.APIKey == "" && c.Sandbox:
		c.APIKey = SandboxAPIKey
	case c.APIKey == "":
		bad("api-key", "required with live PortOne credentials: the key your app sends as Authorization: Bearer <key>")
	case len(c.APIKey) < minAPIKeyLen:
		bad("api-key", "too short: use at least %d characters (for example: openssl rand -hex 24)", minAPIKeyLen)
	}
	checkURL(bad, "events-url", c.EventsURL)
	if c.EventsURL != "" && c.EventsSecret == "" {
		bad("events-secret", "required with PAYRESULT_EVENTS_URL: events are signed with it")
	}
	if c.EventsSecret != "" {
		checkEventsSecret(bad, c.EventsSecret)
	}
	checkURL(bad, "public-url", c.PublicURL)
	c.parseAdminPassword(get("admin-password"), bad)
	c.parseRest(get, bad)
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return c, nil
}

// checkV2 checks the PortOne V2 settings: all but the secret need it, and
// the webhook secret is required with it.
func (c *serveConfig) checkV2(bad func(flag, format string, args ...any)) {
	if c.PortOneV2Secret == "" {
		for _, f := range []struct{ flag, v string }{{"portone-v2-store-id", c.PortOneV2StoreID},
			{"portone-v2-webhook-secret", c.PortOneV2WebhookSecret}, {"portone-v2-api-url", c.PortOneV2URL}} {
			if f.v != "" {
				bad(f.flag, "set, but PORTONE_V2_API_SECRET is not")
			}
		}
		return
	}
	switch _, err := portonev2.WebhookKey(c.PortOneV2WebhookSecret); {
	case c.PortOneV2WebhookSecret == "":
		bad("portone-v2-webhook-secret", "required with PORTONE_V2_API_SECRET: PortOne's console (결제 연동 → 연동 관리 → 결제알림(Webhook) 관리) shows it")
	case err != nil:
		bad("portone-v2-webhook-secret", "not a webhook secret: base64, optionally after whsec_")
	}
	checkURL(bad, "portone-v2-api-url", c.PortOneV2URL)
}

// parseAddr sets the listen address: loopback by default in sandbox mode,
// where an explicit address beyond loopback is allowed but marked for a
// warning.
func (c *serveConfig) parseAddr(bad func(flag, format string, args ...any)) {
	switch {
	case c.Addr == "" && c.Sandbox:
		c.Addr = sandboxAddr
		return
	case c.Addr == "":
		c.Addr = liveAddr
		return
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		bad("addr", "%q is not host:port (for example :8080 or 127.0.0.1:8080)", c.Addr)
		return
	}
	c.AddrExposed = c.Sandbox && !isLoopback(host)
}

// isLoopback reports whether a listen host reaches this machine only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// minEventsKeyLen is the shortest events secret serve accepts, in bytes
// of key: the Standard Webhooks specification asks for 24 to 64 random
// bytes.
const minEventsKeyLen = 24

// checkEventsSecret refuses an events secret that is not a Standard
// Webhooks secret (base64, optionally after whsec_), or whose key is too
// short to resist guessing. The message never shows the secret.
func checkEventsSecret(bad func(flag, format string, args ...any), secret string) {
	key, err := payresult.WebhookKey(secret)
	switch {
	case err != nil:
		bad("events-secret", "not a Standard Webhooks secret: base64, optionally after whsec_; make one with: %s", payresult.MakeWebhookSecret)
	case len(key) < minEventsKeyLen:
		bad("events-secret", "too short: its key is %d bytes, use at least %d; make one with: %s", len(key), minEventsKeyLen, payresult.MakeWebhookSecret)
	}
}

// parseRest reads the settings that are lists, durations and switches.
func (c *serveConfig) parseRest(get func(string) string, bad func(flag, format string, args ...any)) {
	var err error
	if c.WebhookAllow, err = web.ParsePrefixes(get("webhook-allow")); err != nil {
		bad("webhook-allow", "%v", err)
	}
	if c.TrustedProxies, err = web.ParsePrefixes(get("trusted-proxies")); err != nil {
		bad("trusted-proxies", "%v", err)
	}
	if v := get("accept-test-payments"); v != "" {
		if c.AcceptTestPayments, err = strconv.ParseBool(v); err != nil {
			bad("accept-test-payments", "%q is not true or false", v)
		}
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("shutdown-timeout")); err != nil || c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout", "%q is not a positive duration such as 20s", get("shutdown-timeout"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format", "%q is not text or json", c.LogFormat)
	}
	c.parseReconcile(get, bad)
}

// parseReconcile reads the reconciler's tuning; each is optional.
func (c *serveConfig) parseReconcile(get func(string) string, bad func(flag, format string, args ...any)) {
	if v := get("reconcile-schedule"); v != "" {
		for _, step := range strings.Split(v, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(step))
			if err != nil || d <= 0 {
				bad("reconcile-schedule", "%q is not a comma-separated list of positive durations such as 1s,5s,30s", v)
				c.ReconcileSchedule = nil
				break
			}
			c.ReconcileSchedule = append(c.ReconcileSchedule, d)
		}
	}
	c.ReconcileInterval = positiveDuration(get, bad, "reconcile-interval")
	c.ReconcileLease = positiveDuration(get, bad, "reconcile-lease")
	if v := get("reconcile-rate"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || (r <= 0 && r != -1) {
			bad("reconcile-rate", "%q is not a positive number of requests per second, or -1", v)
		}
		c.ReconcileRate = r
	}
}

// parseAdminPassword sets the admin page's password: the sandbox default
// when none is set in sandbox mode, none (the page is off) in live mode.
func (c *serveConfig) parseAdminPassword(pw string, bad func(flag, format string, args ...any)) {
	switch {
	case pw == "" && c.Sandbox:
		c.AdminPassword = SandboxAdminPassword
	case pw != "" && len(pw) < admin.MinPasswordLen:
		bad("admin-password", "too short: use at least %d characters (for example: openssl rand -hex 16)", admin.MinPasswordLen)
	default:
		c.AdminPassword = pw
	}
}

// positiveDuration reads an optional positive duration; zero when unset.
func positiveDuration(get func(string) string, bad func(flag, format string, args ...any), flag string) time.Duration {
	v := get(flag)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		bad(flag, "%q is not a positive duration such as 10s", v)
		return 0
	}
	return d
}

// ResultKey is the HMAC key of the results added to orders' success and
// fail URLs: the events secret when there is one, else the API key, as
// both are shared with the app.
func (c *serveConfig) ResultKey() []byte {
	if c.EventsSecret != "" {
		if k, err := payresult.WebhookKey(c.EventsSecret); err == nil {
			return k
		}
	}
	return []byte(c.APIKey)
}

// IsPostgres reports whether DB names a PostgreSQL database.
func (c *serveConfig) IsPostgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

func checkURL(bad func(flag, format string, args ...any), flag, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad(flag, "%q is not an absolute http or https URL", raw)
	}
}

func envOf(flag string) string {
	if env := serveEnvOf(flag); env != "" {
		return env
	}
	return flag
}

// serveHelp is payresult serve --help.
var serveHelp = help{
	name:  "serve",
	usage: "[flags]",
	about: `
Runs the payresult service: PortOne's redirect (/portone/redirect) and
webhook (/portone/webhook), the buyer's result pages, the app API (/api/,
described at /api/openapi.json), the operator's console (/admin), the
Prometheus scrape (/metrics), /healthz and /readyz.

With no PortOne credentials it runs in SANDBOX MODE, on 127.0.0.1:8080
unless told otherwise: an offline PortOne emulator is mounted at /sandbox/
and a demo shop is served at /.

Every flag can also be set by its environment variable; flags win. Every
setting is checked at start-up, and all problems are reported at once.`,
	flags: serveFlagNames(),
	env:   serveEnvMap(),
	example: `payresult serve
PORTONE_API_KEY=... PORTONE_API_SECRET=... PAYRESULT_API_KEY=$(openssl rand -hex 24) payresult serve --addr :8080`,
}

// serveFlagNames lists serve's flags in the order of serveEnv.
func serveFlagNames() []string {
	names := make([]string, len(serveEnv))
	for i, s := range serveEnv {
		names[i] = s.flag
	}
	return names
}

// serveEnvMap maps serve's flags to their environment variables.
func serveEnvMap() map[string]string {
	m := map[string]string{}
	for _, s := range serveEnv {
		m[s.flag] = s.env
	}
	return m
}
