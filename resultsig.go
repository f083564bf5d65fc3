package payresult

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// appendQuery adds q to raw's query string, keeping what raw had.
func appendQuery(raw string, q url.Values) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if !u.IsAbs() && u.Path == "" {
		return "", errors.New("payresult: result URL has no path")
	}
	have := u.Query()
	for k, vs := range q {
		have[k] = vs
	}
	u.RawQuery = have.Encode()
	return u.String(), nil
}

// ResultTolerance is how old a signed result may be when the app checks
// it with VerifyResultSignature: long enough for a slow phone, short
// enough that an old URL cannot be replayed for long.
const ResultTolerance = 15 * time.Minute

// Errors returned by VerifyResultSignature, to be matched with errors.Is.
var (
	// ErrResultParams means merchant_uid, status, timestamp or signature is
	// missing or malformed.
	ErrResultParams = errors.New("payresult: result parameters missing or malformed")
	// ErrResultExpired means the timestamp is more than ResultTolerance
	// from now.
	ErrResultExpired = errors.New("payresult: result timestamp outside tolerance")
	// ErrResultSignature means the signature does not match.
	ErrResultSignature = errors.New("payresult: result signature does not match")
)

// SignedResult is a result payresult sent the buyer to the app's success or
// fail URL with, once its signature has been checked.
type SignedResult struct {
	MerchantUID string
	Status      Status
	Timestamp   time.Time
}

// SignResult returns the signature added to a success or fail URL: the
// lowercase hex HMAC-SHA256, keyed with key, of
// "<merchant_uid>.<status>.<timestamp>", the timestamp in Unix seconds.
// (A merchant_uid may contain dots; status and timestamp never do, so the
// text is read unambiguously from the right.)
func SignResult(key []byte, merchantUID string, status Status, ts time.Time) string {
	return hex.EncodeToString(resultMAC(key, merchantUID, status, ts.Unix()))
}

func resultMAC(key []byte, merchantUID string, status Status, unix int64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(merchantUID + "." + string(status) + "." + strconv.FormatInt(unix, 10)))
	return m.Sum(nil)
}

// SignedResultURL returns target with the signed result of o added to its
// query: merchant_uid, status, timestamp and signature (see SignResult).
// Parameters target already has are kept, except those four.
func SignedResultURL(target string, key []byte, o *Order, now time.Time) (string, error) {
	if o == nil {
		return "", errors.New("payresult: no order to sign")
	}
	q := url.Values{
		"merchant_uid": {o.MerchantUID},
		"status":       {string(o.Status)},
		"timestamp":    {strconv.FormatInt(now.Unix(), 10)},
		"signature":    {SignResult(key, o.MerchantUID, o.Status, now)},
	}
	return appendQuery(target, q)
}

// VerifyResultSignature checks the query string of a request to the app's
// success or fail URL: the signature must match merchant_uid, status and
// timestamp under key, and the timestamp must be within ResultTolerance of
// now. The comparison takes constant time. The result says what the buyer
// was shown; the app should still read the order (GET
// /api/orders/{merchant_uid}) or its events before shipping anything.
func VerifyResultSignature(key []byte, q url.Values, now time.Time) (*SignedResult, error) {
	mu, st, ts, sig := q.Get("merchant_uid"), q.Get("status"), q.Get("timestamp"), q.Get("signature")
	if mu == "" || st == "" || ts == "" || sig == "" {
		return nil, fmt.Errorf("%w: need merchant_uid, status, timestamp and signature", ErrResultParams)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrResultParams, ts)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not hex", ErrResultParams)
	}
	if !hmac.Equal(got, resultMAC(key, mu, Status(st), unix)) {
		return nil, ErrResultSignature
	}
	at := time.Unix(unix, 0)
	if d := now.Sub(at); d > ResultTolerance || d < -ResultTolerance {
		return nil, fmt.Errorf("%w: signed %s ago", ErrResultExpired, d.Round(time.Second))
	}
	return &SignedResult{MerchantUID: mu, Status: Status(st), Timestamp: at}, nil
}
