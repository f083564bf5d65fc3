package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// TestToolsV2Only: with PortOne V2 credentials alone, verify takes a V2
// paymentId (the order's merchant_uid) and reconcile settles a V2 order
// whose webhook was lost.
func TestToolsV2Only(t *testing.T) {
	e := newToolEnvV2(t)
	emu, store := e.emu, e.store
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
