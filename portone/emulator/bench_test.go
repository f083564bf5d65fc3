package emulator

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/payresult/payresult/portone"
)

// BenchmarkPaymentLookup measures GET /payments/{imp_uid} through the
// handler, token check included. Run it on one core with
//
//	go test -run '^$' -bench PaymentLookup -cpu 1 ./portone/emulator
func BenchmarkPaymentLookup(b *testing.B) {
	e, _ := newTestEmulator(b, Config{})
	for i := range 1000 {
		p := cardPayment("", "bench", portone.TimeOf(t0)-portone.Time(i))
		mustPut(b, e, p)
	}
	target := mustPut(b, e, cardPayment("imp_400000000001", "bench-target", portone.TimeOf(t0)))
	tok := token(b, e)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest(http.MethodGet, "/payments/"+target.ImpUID, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		for pb.Next() {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
