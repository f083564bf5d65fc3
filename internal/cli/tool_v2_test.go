package cli

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
	"github.com/payresult/payresult/sqlite"
)

// TestToolsV2Only: with PortOne V2 credentials alone, verify takes a V2
// paymentId (the order's merchant_uid) and reconcile settles a V2 order
// whose webhook was lost.
func TestToolsV2Only(t *testing.T) {
	emu := emulator.New(emulator.Config{})
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		emu.Close()
	})
	db := filepath.Join(t.TempDir(), "payresult.db")
	store, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &toolEnv{
		env: map[string]string{
			"PAYRESULT_DB": db, "PAYRESULT_API_KEY": "test-api-key-0123456789",
			"PORTONE_V2_API_SECRET": emulator.DefaultV2APISecret, "PORTONE_V2_STORE_ID": emulator.DefaultV2StoreID,
			"PORTONE_V2_WEBHOOK_SECRET": emulator.DefaultV2WebhookSecret, "PORTONE_V2_API_URL": srv.URL,
		},
		emu: emu, store: store,
		proc: &payresult.Processor{Store: store, DefaultAPI: payresult.APIV2,
			PortOneV2: &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: srv.URL, Secret: emulator.DefaultV2APISecret}},
			Now:       func() time.Time { return time.Now().Add(-registeredAgo) }},
	}
	e.order(t, "v2-order", 10000)
	r, err := emu.PayV2(emulator.V2PaymentRequest{StoreID: emulator.DefaultV2StoreID, ChannelKey: emulator.DefaultV2LiveChannelKey,
		PaymentID: "v2-order", OrderName: "tea", TotalAmount: 10000, Currency: "KRW", PayMethod: "CARD"}, emulator.OutcomePaid)
	if err != nil {
		t.Fatal(err)
	}
	r.Release()

	out, _, err := e.run(t, "verify", "v2-order")
	if err != nil || !strings.Contains(out, "Confirm would decide: paid") {
		t.Fatalf("verify v2-order: %v\n%s", err, out)
	}
	if _, _, err := e.run(t, "reconcile", "--now"); err != nil {
		t.Fatalf("reconcile --now: %v", err)
	}
	o, err := store.Order(context.Background(), "v2-order")
	if err != nil || o.Status != payresult.StatusPaid || o.PaidAmount != portone.Won(10000) {
		t.Errorf("after reconcile: %+v, %v; want paid 10000", o, err)
	}
}
