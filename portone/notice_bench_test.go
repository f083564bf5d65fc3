package portone

import (
	"net/url"
	"testing"
)

// BenchmarkParseNotice measures parsing what PortOne sends: a webhook
// body in each content type, and a redirect's query string. Every
// confirmation starts here.
func BenchmarkParseNotice(b *testing.B) {
	b.Run("webhook_json", func(b *testing.B) {
		body := []byte(`{"imp_uid":"imp_803037736674","merchant_uid":"order-20260101-0001","status":"paid"}`)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseWebhook("application/json", body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("webhook_form", func(b *testing.B) {
		body := []byte(`imp_uid=imp_803037736674&merchant_uid=order-20260101-0001&status=paid`)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseWebhook("application/x-www-form-urlencoded", body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redirect", func(b *testing.B) {
		q := "imp_uid=imp_803037736674&merchant_uid=order-20260101-0001&imp_success=true"
		b.ReportAllocs()
		for b.Loop() {
			v, err := url.ParseQuery(q)
			if err == nil {
				_, err = ParseRedirectValues(v)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
