package web

import (
	"bytes"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// BenchmarkResultPagePaid renders the page a buyer sees after paying: the
// page every redirect of a paid order renders.
func BenchmarkResultPagePaid(b *testing.B) {
	o := &payresult.Order{MerchantUID: "order-1", Name: "머그컵", Amount: portone.Won(12000), Currency: "KRW",
		Status: payresult.StatusPaid, PaidAmount: portone.Won(12000), PaidAt: time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)}
	state := pageStates[payresult.PagePaid]
	d := pageData{Title: payresult.PagePaid.Title(), Page: payresult.PagePaid, State: state[0], Tone: state[1],
		MerchantUID: o.MerchantUID, Order: o}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := templates.ExecuteTemplate(&buf, "result.html", &d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/page")
}
