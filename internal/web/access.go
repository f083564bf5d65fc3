package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/payresult/payresult"
)

// requireKey lets a request through only with "Authorization: Bearer
// <key>". The comparison hashes both sides first so that it takes the
// same time whatever the length or content of the offered key.
func (s *Server) requireKey(next http.HandlerFunc) http.HandlerFunc {
	want := sha256.Sum256([]byte(s.cfg.APIKey))
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			s.fail(w, r, payresult.Errorf(payresult.KindUnauthorized, "send Authorization: Bearer <PAYRESULT_API_KEY>"))
			return
		}
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			s.fail(w, r, payresult.Errorf(payresult.KindUnauthorized, "wrong API key"))
			return
		}
		next(w, r)
	}
}

// allowSources lets a request through only from an address in the
// webhook allowlist; with an empty list everyone may call.
func (s *Server) allowSources(next http.Handler) http.Handler {
	if len(s.cfg.WebhookAllow) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, ok := clientIP(r, s.cfg.TrustedProxies)
		// In sandbox mode the webhooks come from the emulator inside this
		// process, over loopback.
		sandboxHook := ok && s.cfg.Sandbox && ip.IsLoopback()
		if !ok || !(contains(s.cfg.WebhookAllow, ip) || sandboxHook) {
			s.fail(w, r, payresult.Errorf(payresult.KindForbidden, "this address may not send webhooks"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP returns the address a request came from. X-Forwarded-For is
// believed only when the connection itself comes from a trusted proxy,
// and then read from the right: the first address that is not a trusted
// proxy is the client (entries further left could be made up by it).
func clientIP(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	peer = peer.Unmap()
	if !contains(trusted, peer) {
		return peer, true
	}
	hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(hops[i])
		if err != nil {
			return netip.Addr{}, false
		}
		ip = ip.Unmap()
		if !contains(trusted, ip) {
			return ip, true
		}
	}
	// Every hop is a trusted proxy: the request started inside.
	return peer, true
}

func forwardedFor(headers []string) []string {
	var hops []string
	for _, h := range headers {
		for _, part := range strings.Split(h, ",") {
			if p := strings.TrimSpace(part); p != "" {
				hops = append(hops, p)
			}
		}
	}
	return hops
}

func contains(prefixes []netip.Prefix, ip netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads a comma-separated list of addresses and CIDR
// prefixes ("52.78.100.19, 10.0.0.0/8"); a bare address is a /32 or /128.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, err
			}
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(item)
		if err != nil {
			return nil, err
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

// ClientAddr returns a function that names the address a request came
// from, believing X-Forwarded-For only from the trusted proxies, as the
// webhook allowlist does: the admin console writes it on the timeline
// beside an operator's action.
func ClientAddr(trusted []netip.Prefix) func(*http.Request) string {
	return func(r *http.Request) string {
		if ip, ok := clientIP(r, trusted); ok {
			return ip.String()
		}
		return r.RemoteAddr
	}
}
