package emulator

import (
	"net/url"
	"strings"
)

// redirectTarget is what a payment needs to end its browser flow.
type redirectTarget struct {
	url    string // m_redirect_url, "" when none
	mode   string // modeRedirect or modeCallback
	mobile bool
	pg     pgProfile
	done   bool // the outcome has been chosen
}

// The two ways IMP.request_pay ends.
const (
	modeRedirect = "redirect"
	modeCallback = "callback"
)

// redirectParams is the query PortOne appends to m_redirect_url.
type redirectParams struct {
	impUID, merchantUID string
	success             bool
	flavour             Flavour
	errorCode, errorMsg string
}

// values lists the parameters in PortOne's order: imp_uid, merchant_uid,
// the success flag of the flavour, then error_code and error_msg on
// failure. dupMerchant repeats merchant_uid at the end.
func (p redirectParams) pairs(dupMerchant bool) [][2]string {
	out := [][2]string{{"imp_uid", p.impUID}, {"merchant_uid", p.merchantUID}}
	flag := "false"
	if p.success {
		flag = "true"
	}
	switch p.flavour {
	case FlavourImpSuccess:
		out = append(out, [2]string{"imp_success", flag})
	case FlavourSuccess:
		out = append(out, [2]string{"success", flag})
	}
	if !p.success {
		out = append(out, [2]string{"error_code", p.errorCode}, [2]string{"error_msg", p.errorMsg})
	}
	if dupMerchant {
		out = append(out, [2]string{"merchant_uid", p.merchantUID})
	}
	return out
}

// redirectURL appends the parameters to base, as PortOne does.
func redirectURL(base string, p redirectParams, dupMerchant bool) string {
	return appendQuery(base, p.pairs(dupMerchant))
}

// appendQuery appends pairs to base with "?" or "&", as PortOne does when
// the merchant's URL already has a query; "" stays "".
func appendQuery(base string, pairs [][2]string) string {
	if base == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(base)
	switch {
	case strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&"):
	case strings.Contains(base, "?"):
		b.WriteByte('&')
	default:
		b.WriteByte('?')
	}
	for i, kv := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String()
}
