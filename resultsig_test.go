package payresult

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

func TestSignedResultRoundTrip(t *testing.T) {
	key := []byte("app-secret")
	now := time.Unix(1_800_000_000, 0)
	o := &Order{MerchantUID: "order.2026:1", Status: StatusPaid}
	raw, err := SignedResultURL("https://shop.example/paid?from=pay&status=x", key, o, now)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("from") != "pay" || q.Get("status") != "paid" {
		t.Errorf("query %v: want the app's own from=pay kept and status=paid", q)
	}
	tamper := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range q {
			c[kk] = append([]string(nil), vv...)
		}
		c.Set(k, v)
		return c
	}
	tests := []struct {
		name  string
		key   []byte
		q     url.Values
		now   time.Time
		want  error // nil for success
		wantS Status
	}{
		{"valid", key, q, now, nil, StatusPaid},
		{"valid a little later", key, q, now.Add(ResultTolerance - time.Second), nil, StatusPaid},
		{"status changed", key, tamper("status", "failed"), now, ErrResultSignature, ""},
		{"order changed", key, tamper("merchant_uid", "order.2026:2"), now, ErrResultSignature, ""},
		{"timestamp changed", key, tamper("timestamp", "1800000001"), now, ErrResultSignature, ""},
		{"other key", []byte("other"), q, now, ErrResultSignature, ""},
		{"too old", key, q, now.Add(ResultTolerance + time.Second), ErrResultExpired, ""},
		{"no signature", key, tamper("signature", ""), now, ErrResultParams, ""},
		{"signature not hex", key, tamper("signature", "zz"), now, ErrResultParams, ""},
		{"timestamp not a number", key, tamper("timestamp", "soon"), now, ErrResultParams, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyResultSignature(tt.key, tt.q, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("VerifyResultSignature: error %v, want %v", err, tt.want)
			}
			if err == nil && (got.Status != tt.wantS || got.MerchantUID != o.MerchantUID || !got.Timestamp.Equal(now)) {
				t.Errorf("got %+v, want %s %s at %v", got, o.MerchantUID, tt.wantS, now)
			}
		})
	}
}
