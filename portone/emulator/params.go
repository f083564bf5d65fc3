package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/payresult/payresult/portone"
)

// params is a request body or query string, flattened so that JSON and
// PHP-style form bodies read alike: "notice_url[]=a" and
// {"notice_url":["a"]} both give notice_url = [a]; "extra[requester]=x"
// and {"extra":{"requester":"x"}} both give extra.requester = [x].
// A JSON object or array also keeps its raw text under its own key's
// raw entry, for custom_data.
type params struct {
	v   map[string][]string
	raw map[string]string
}

// maxBody bounds every request body the emulator reads.
const maxBody = 1 << 20

var errBody = errors.New("malformed request body")

// readParams reads r's body as JSON or as a form, by Content-Type; a body
// that is neither is tried as JSON first, since iamport.js sends JSON as
// text/plain to avoid a CORS preflight.
func readParams(r *http.Request) (params, error) {
	p := params{v: map[string][]string{}, raw: map[string]string{}}
	if r.Body == nil {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return p, errBody
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	trimmed := bytes.TrimSpace(body)
	if ct == contentTypeForm || (ct != contentTypeJSON && len(trimmed) > 0 && trimmed[0] != '{') {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return p, errBody
		}
		if err := checkForm(vals); err != nil {
			return p, err
		}
		p.addValues(vals)
		return p, nil
	}
	if len(trimmed) == 0 {
		return p, nil
	}
	if err := checkJSON(trimmed); err != nil {
		return p, err
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || dec.More() {
		return p, errBody
	}
	for k, val := range obj {
		p.addJSON(k, val)
	}
	return p, nil
}

// queryParams flattens a query string the same way.
func queryParams(q url.Values) params {
	p := params{v: map[string][]string{}, raw: map[string]string{}}
	p.addValues(q)
	return p
}

// addValues takes PHP-style form keys: name[] and name[sub].
func (p params) addValues(vals url.Values) {
	for k, vs := range vals {
		key := k
		if base, rest, ok := strings.Cut(k, "["); ok && strings.HasSuffix(rest, "]") {
			sub := strings.TrimSuffix(rest, "]")
			key = base
			if sub != "" {
				key = base + "." + strings.ReplaceAll(sub, "][", ".")
			}
		}
		p.v[key] = append(p.v[key], vs...)
	}
}

func (p params) addJSON(key string, val any) {
	switch x := val.(type) {
	case nil:
	case string:
		p.v[key] = append(p.v[key], x)
	case json.Number:
		p.v[key] = append(p.v[key], x.String())
	case bool:
		p.v[key] = append(p.v[key], fmt.Sprint(x))
	case []any:
		p.raw[key] = mustJSON(x)
		for _, el := range x {
			p.addJSON(key, el)
		}
	case map[string]any:
		p.raw[key] = mustJSON(x)
		for k, el := range x {
			p.addJSON(key+"."+k, el)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// get returns the first value of key, or "".
func (p params) get(key string) string {
	if vs := p.v[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// has reports whether key was sent with a non-empty value.
func (p params) has(key string) bool { return p.get(key) != "" }

// list returns every value of key.
func (p params) list(key string) []string { return p.v[key] }

// amount reads key as a money amount; ok is false when it is absent.
// Whether it counts in the minor unit of its currency is for the caller
// to check, once the currency is known.
func (p params) amount(key string) (a portone.Amount, ok bool, err error) {
	s := p.get(key)
	if s == "" {
		return portone.Amount{}, false, nil
	}
	a, err = portone.ParseAmount(s)
	if err != nil {
		return portone.Amount{}, true, fmt.Errorf("%s: %w", key, err)
	}
	return a, true, nil
}

// flag reads key as a boolean: "true" or "1".
func (p params) flag(key string) bool {
	switch strings.ToLower(p.get(key)) {
	case "true", "1", "on", "yes":
		return true
	}
	return false
}

// json returns key as JSON text: the raw text of an object or array, or
// the string itself.
func (p params) json(key string) (string, bool) {
	if raw, ok := p.raw[key]; ok {
		return raw, true
	}
	if vs, ok := p.v[key]; ok && len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// paymentRequest reads request_pay's parameters (as iamport.js or a
// control API caller sends them) into a PaymentRequest.
func paymentRequest(p params, r *http.Request) (PaymentRequest, error) {
	amount, _, err := p.amount("amount")
	if err != nil {
		return PaymentRequest{}, err
	}
	due, err := parseVbankDue(p.get("vbank_due"))
	if err != nil {
		return PaymentRequest{}, err
	}
	req := PaymentRequest{
		MerchantUID: p.get("merchant_uid"), Name: p.get("name"), Amount: amount,
		Currency: p.get("currency"), PG: p.get("pg"), PayMethod: portone.PayMethod(p.get("pay_method")),
		BuyerName: p.get("buyer_name"), BuyerEmail: p.get("buyer_email"), BuyerTel: p.get("buyer_tel"),
		BuyerAddr: p.get("buyer_addr"), BuyerPostcode: p.get("buyer_postcode"),
		NoticeURLs: p.list("notice_url"), RedirectURL: p.get("m_redirect_url"), VbankDue: due,
		Mobile: p.flag("mobile"), UserAgent: p.get("user_agent"),
	}
	if cd, ok := p.json("custom_data"); ok {
		req.CustomData = cd
	}
	if req.UserAgent == "" {
		req.UserAgent = r.UserAgent()
	}
	return req, nil
}
