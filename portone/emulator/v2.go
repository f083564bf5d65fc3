package emulator

import (
	"net/http"
	"strings"
	"time"

	"github.com/payresult/payresult/portone/portonev2"
)

// Default V2 credentials and identifiers of the sandbox's store. The
// secret's shape follows PortOne's (a long random string); the webhook
// secret is Standard Webhooks' whsec_ and base64.
const (
	DefaultV2APISecret     = "payresultSandboxV2Secret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
	DefaultV2StoreID       = "store-5ae1f7c3-64b1-4d7e-9a41-0f2c8d6b3e90"
	DefaultV2MerchantID    = "merchant-1c6e2f8a-0b9d-4e3f-8a57-6d4c2b1a0f93"
	DefaultV2WebhookSecret = "whsec_cGF5cmVzdWx0LXNhbmRib3gtd2ViaG9vay1zZWNyZXQ="
	// DefaultV2ChannelKey is the sandbox's test channel (KG Inicis).
	DefaultV2ChannelKey = "channel-key-9b0e4c52-1f7a-4d3b-8e6c-2a5f0d9c7b14"
	// DefaultV2LiveChannelKey is a channel the sandbox reports as LIVE, for
	// testing that a live merchant refuses test payments and accepts these.
	DefaultV2LiveChannelKey = "channel-key-3d8f6a21-7c4e-4b90-a5d2-e1f0b6c93a47"
)

// V2Channel is a PG channel of the sandbox's store.
type V2Channel struct {
	Key          string // channelKey, as requestPayment names it
	ID           string
	Name         string
	Type         string // portonev2.ChannelTest or ChannelLive
	PgProvider   string // PortOne's PgProvider, such as INICIS_V2
	PgMerchantID string
	// PG is the V1 PG module whose behaviour (decline codes, receipts,
	// virtual-account holder) the channel borrows.
	PG string
}

// DefaultV2Channels are the sandbox's channels when V2Config names none.
func DefaultV2Channels() []V2Channel {
	return []V2Channel{
		{Key: DefaultV2ChannelKey, ID: "channel-id-sandbox-test", Name: "KG이니시스 테스트 (sandbox)",
			Type: portonev2.ChannelTest, PgProvider: "INICIS_V2", PgMerchantID: "INIpayTest", PG: "html5_inicis"},
		{Key: DefaultV2LiveChannelKey, ID: "channel-id-sandbox-live", Name: "KCP (sandbox, reported as LIVE)",
			Type: portonev2.ChannelLive, PgProvider: "KCP_V2", PgMerchantID: "T0000", PG: "kcp"},
	}
}

// V2Config configures the PortOne V2 side of the sandbox. The zero value
// is usable.
type V2Config struct {
	// APISecret is the V2 API secret ("Authorization: PortOne <secret>",
	// POST /login/api-secret). Default DefaultV2APISecret.
	APISecret string
	// StoreID is the store the secret reaches; a request naming another
	// is forbidden. Default DefaultV2StoreID.
	StoreID    string
	MerchantID string
	// WebhookSecret signs webhooks (Standard Webhooks). Default
	// DefaultV2WebhookSecret.
	WebhookSecret string
	// WebhookURL is the console's V2 webhook URL; a payment's noticeUrls
	// replace it.
	WebhookURL string
	// WebhookVersion is the payload version set in the console:
	// "2024-04-25" (default) or "2024-01-01".
	WebhookVersion string
	// WebhookContentType is application/json (default), or
	// application/x-www-form-urlencoded for the 2024-01-01 version only.
	WebhookContentType string
	// Channels are the store's PG channels. Default DefaultV2Channels.
	Channels []V2Channel
}

func (c V2Config) withDefaults() V2Config {
	if c.APISecret == "" {
		c.APISecret = DefaultV2APISecret
	}
	if c.StoreID == "" {
		c.StoreID = DefaultV2StoreID
	}
	if c.MerchantID == "" {
		c.MerchantID = DefaultV2MerchantID
	}
	if c.WebhookSecret == "" {
		c.WebhookSecret = DefaultV2WebhookSecret
	}
	if c.WebhookVersion == "" {
		c.WebhookVersion = portonev2.WebhookVersionCurrent
	}
	if c.WebhookContentType == "" || c.WebhookVersion == portonev2.WebhookVersionCurrent {
		c.WebhookContentType = contentTypeJSON
	}
	if len(c.Channels) == 0 {
		c.Channels = DefaultV2Channels()
	}
	return c
}

// channel finds a channel by its key.
func (c V2Config) channel(key string) (V2Channel, bool) {
	for _, ch := range c.Channels {
		if ch.Key == key {
			return ch, true
		}
	}
	return V2Channel{}, false
}

// Token lifetimes of V2's login (PortOne's V2 REST documentation).
const (
	v2AccessTokenLifetime  = 30 * time.Minute
	v2RefreshTokenLifetime = 24 * time.Hour
)

// v2Paths are the REST paths that only V2 has: a request to one of them is
// V2's whatever its Authorization.
func v2Path(r *http.Request) bool {
	p := r.URL.Path
	return p == "/login/api-secret" || p == "/token/refresh" ||
		(strings.HasPrefix(p, "/payments/") && (strings.HasSuffix(p, "/pre-register") || strings.HasSuffix(p, "/cancel")) &&
			p != "/payments/cancel")
}

// isV2 tells a V2 request from a V1 one where the paths are shared
// (GET /payments/{id}, GET /payments): by the Authorization scheme, V2's
// "PortOne <secret>", or a bearer token that V2's login issued.
func (e *Emulator) isV2(r *http.Request) bool {
	if v2Path(r) {
		return true
	}
	a := r.Header.Get("Authorization")
	if scheme, _, _ := strings.Cut(a, " "); strings.EqualFold(scheme, "PortOne") {
		return true
	}
	// V2's tokens are JWTs (three dotted parts), V1's 40 hex digits: only
	// the former need a look-up, which keeps V1's hot path lock-free here.
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") && strings.Count(a, ".") == 2 {
		return e.isV2Token(strings.TrimSpace(a[7:]))
	}
	return false
}

// v2Routes lists the V2 REST API, paths exactly as PortOne V2 has them.
func (e *Emulator) v2Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/api-secret", e.handleV2Login)
	mux.HandleFunc("POST /token/refresh", e.handleV2Refresh)
	mux.HandleFunc("GET /payments/{paymentId}", e.v2Auth(e.handleV2Payment))
	mux.HandleFunc("GET /payments", e.v2Auth(e.handleV2Payments))
	mux.HandleFunc("POST /payments/{paymentId}/pre-register", e.v2Auth(e.idempotent(e.handleV2PreRegister)))
	mux.HandleFunc("POST /payments/{paymentId}/cancel", e.v2Auth(e.idempotent(e.handleV2Cancel)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeV2Error(w, http.StatusNotFound, "NOT_FOUND", "No such path in the sandbox's PortOne V2 API: "+r.Method+" "+r.URL.Path)
	})
	return mux
}
