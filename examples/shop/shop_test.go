package main

import (
	"bytes"
	"context"
	"testing"
)

// TestShop runs the demo: the redirect and the webhook settle the first
// order, the reconciler the second, a refund follows, and each change
// reaches the shop as an event whose signature it verified.
func TestShop(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("run: %v\noutput so far:\n%s", err, out.String())
	}
	want := `order-1001: the buyer's redirect is answered 303, to shop.example/thanks with status=paid
order-1001: event order.paid, verified: the order is paid (paid 12000, refunded 0)
order-1002: paid at PortOne; its webhook is lost and the buyer closed the browser
order-1002: event order.paid, verified: the order is paid (paid 30000, refunded 0)
order-1002: settled by the reconciler
order-1001: refunded 2000 of 12000 KRW
order-1001: event order.partially_refunded, verified: the order is partially_refunded (paid 12000, refunded 2000)
`
	if got := out.String(); got != want {
		t.Errorf("the shop printed\n%s\nwant\n%s", got, want)
	}
}
