package portone

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ErrInvalidNotice is wrapped by every error of ParseRedirect,
// ParseRedirectValues and ParseWebhook: the notice cannot name a payment
// and deserves a 400.
var ErrInvalidNotice = errors.New("portone: invalid notice")

// MaxNoticeBytes bounds the body of a webhook or a POSTed redirect. Real
// ones are under 200 bytes.
const MaxNoticeBytes = 64 << 10

const maxCancellationIDLen = 128

func noticeErr(source, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidNotice, source, fmt.Sprintf(format, args...))
}

// Redirect is what the buyer's browser brings back to m_redirect_url. It is
// not proof of anything: look the payment up before acting on it.
type Redirect struct {
	// ImpUID is empty when the payment window never opened (PortOne
	// refused the request before creating a payment).
	ImpUID      string
	MerchantUID string
	// Success is the imp_success flag, or the success flag some PGs send
	// instead; nil when neither is present or its value is not a boolean.
	// It only says whether PortOne's flow ended normally, never whether
	// money moved: use it to pick a message, not to decide.
	Success *bool
	// SuccessKey is the key Success came from: "imp_success", "success" or "".
	SuccessKey string
	// ErrorCode and ErrorMsg are the PG's raw code and (Korean) message on failure.
	ErrorCode, ErrorMsg string
}

// ParseRedirect reads the redirect from r: the query of a GET, or the
// form body and query of a POST (the iOS WebView flow of KG Inicis bank
// transfer re-sends it as a POST). Repeated keys give their first value,
// body before query.
func ParseRedirect(r *http.Request) (*Redirect, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, "":
		return ParseRedirectValues(r.URL.Query())
	case http.MethodPost:
	default:
		return nil, noticeErr("redirect", "method %s, want GET or POST", r.Method)
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(nil, r.Body, MaxNoticeBytes)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if ct == "multipart/form-data" {
		err = r.ParseMultipartForm(MaxNoticeBytes)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return nil, noticeErr("redirect", "reading the form: %v", err)
	}
	return ParseRedirectValues(r.Form)
}

// ParseRedirectValues reads a redirect from its parsed query. It needs at
// least one of imp_uid and merchant_uid.
func ParseRedirectValues(v url.Values) (*Redirect, error) {
	if !v.Has("imp_uid") && !v.Has("merchant_uid") {
		// The app-scheme round trip can leave the whole query encoded as
		// one key: "imp_uid%3D…%26merchant_uid%3D…".
		if inner, ok := encodedQuery(v); ok {
			v = inner
		}
	}
	rd := &Redirect{
		ImpUID:      strings.TrimSpace(v.Get("imp_uid")),
		MerchantUID: v.Get("merchant_uid"),
		ErrorCode:   v.Get("error_code"),
		ErrorMsg:    v.Get("error_msg"),
	}
	if err := checkNoticeIDs("redirect", rd.ImpUID, rd.MerchantUID); err != nil {
		return nil, err
	}
	for _, key := range []string{"imp_success", "success"} {
		if !v.Has(key) {
			continue
		}
		rd.SuccessKey = key
		if b, err := strconv.ParseBool(strings.TrimSpace(v.Get(key))); err == nil {
			rd.Success = &b
		}
		break
	}
	return rd, nil
}

// encodedQuery finds a key that is itself an encoded query naming a payment.
func encodedQuery(v url.Values) (url.Values, bool) {
	for k := range v {
		if !strings.Contains(k, "imp_uid=") && !strings.Contains(k, "merchant_uid=") {
			continue
		}
		inner, err := url.ParseQuery(strings.TrimPrefix(k, "?"))
		if err == nil && (inner.Has("imp_uid") || inner.Has("merchant_uid")) {
			return inner, true
		}
	}
	return nil, false
}

func checkNoticeIDs(source, impUID, merchantUID string) error {
	if impUID == "" && merchantUID == "" {
		return noticeErr(source, "neither imp_uid nor merchant_uid is set")
	}
	if impUID != "" {
		if err := checkImpUID(impUID); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidNotice, source, err)
		}
	}
	if merchantUID != "" {
		if err := checkMerchantUID(merchantUID); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidNotice, source, err)
		}
	}
	return nil
}

// Webhook is the body of a PortOne V1 webhook. It is unsigned and may be
// forged, late or repeated: look the payment up by ImpUID and act on what
// the API says, never on Status.
type Webhook struct {
	ImpUID      string
	MerchantUID string
	// Status is the status PortOne says the payment reached; empty when
	// the body has none.
	Status Status
	// CancellationID names the cancellation, on cancelled webhooks.
	CancellationID string
}

// ParseWebhook reads a webhook body, JSON or form-encoded as set in
// PortOne's console; contentType may carry parameters such as a charset.
// When contentType is neither, the body decides: JSON if it starts with
// '{'. Unknown keys are ignored. It needs at least one of imp_uid and
// merchant_uid, and refuses an invalid status.
func ParseWebhook(contentType string, body []byte) (*Webhook, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return nil, noticeErr("webhook", "empty body")
	case len(body) > MaxNoticeBytes:
		return nil, noticeErr("webhook", "body of %d bytes, more than %d", len(body), MaxNoticeBytes)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "" // an unreadable Content-Type: let the body decide
	}
	var fields map[string]string
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		fields, err = webhookJSON(trimmed)
	case mt == "application/x-www-form-urlencoded":
		fields, err = webhookForm(trimmed)
	case mt == "multipart/form-data":
		return nil, noticeErr("webhook", "multipart bodies are not sent by PortOne")
	case trimmed[0] == '{' || trimmed[0] == '[':
		fields, err = webhookJSON(trimmed)
	default:
		fields, err = webhookForm(trimmed)
	}
	if err != nil {
		return nil, err
	}
	w := &Webhook{
		ImpUID:         strings.TrimSpace(fields["imp_uid"]),
		MerchantUID:    fields["merchant_uid"],
		Status:         Status(fields["status"]),
		CancellationID: fields["cancellation_id"],
	}
	if err := checkNoticeIDs("webhook", w.ImpUID, w.MerchantUID); err != nil {
		return nil, err
	}
	if w.Status != "" && !w.Status.Valid() {
		return nil, noticeErr("webhook", "status %q is not ready, paid, failed or cancelled", w.Status)
	}
	if w.CancellationID != "" {
		if err := checkID("cancellation_id", w.CancellationID, maxCancellationIDLen); err != nil {
			return nil, fmt.Errorf("%w: webhook: %w", ErrInvalidNotice, err)
		}
	}
	return w, nil
}

var webhookKeys = [...]string{"imp_uid", "merchant_uid", "status", "cancellation_id"}

func webhookJSON(body []byte) (map[string]string, error) {
	if body[0] != '{' {
		what := "not a JSON object"
		if body[0] == '[' {
			what = "a JSON array, not an object"
		}
		return nil, noticeErr("webhook", "body is %s", what)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, noticeErr("webhook", "malformed JSON: %v", err)
	}
	fields := make(map[string]string, len(webhookKeys))
	for _, k := range webhookKeys {
		m, ok := raw[k]
		if !ok {
			continue
		}
		s, err := jsonScalar(m)
		if err != nil {
			return nil, noticeErr("webhook", "%s: %v", k, err)
		}
		fields[k] = s
	}
	return fields, nil
}

// jsonScalar reads a string, a number (as its text) or null (as "").
func jsonScalar(m json.RawMessage) (string, error) {
	switch {
	case string(m) == "null":
		return "", nil
	case len(m) > 0 && m[0] == '"':
		var s string
		err := json.Unmarshal(m, &s)
		return s, err
	case len(m) > 0 && (m[0] == '-' || (m[0] >= '0' && m[0] <= '9')):
		return string(m), nil
	}
	return "", fmt.Errorf("%.20s is not a string", m)
}

func webhookForm(body []byte) (map[string]string, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, noticeErr("webhook", "malformed form body: %v", err)
	}
	fields := make(map[string]string, len(webhookKeys))
	for _, k := range webhookKeys {
		if v.Has(k) {
			fields[k] = v.Get(k)
		}
	}
	if len(fields) == 0 {
		return nil, noticeErr("webhook", "form body has none of imp_uid, merchant_uid, status")
	}
	return fields, nil
}
