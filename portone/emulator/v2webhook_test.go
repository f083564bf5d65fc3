package emulator

import (
	"net/http"
	"testing"
	"time"
)

// v2Deliveries are the V2 deliveries of paymentID in the log.
func v2Deliveries(e *Emulator, paymentID, typ string) []WebhookDelivery {
	var out []WebhookDelivery
	for _, d := range e.Webhooks() {
		if d.API == "v2" && d.PaymentID == paymentID && (typ == "" || d.Type == typ) {
			out = append(out, d)
		}
	}
	return out
}

// TestV2WebhookRetries checks PortOne V2's resends: a webhook answered
// with 5xx is sent again five times, each with the same webhook-id and its
// own webhook-timestamp, and the waits grow fourfold (1, 4, 16, 64, 256
// times the interval).
func TestV2WebhookRetries(t *testing.T) {
	rc := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	e, _ := newTestEmulator(t, Config{V2: V2Config{WebhookURL: rc.URL}, Now: time.Now})
	if err := e.SetFaults(Faults{WebhookRetryInterval: Duration(time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	res, err := e.PayV2(v2Request("hook-retry", 1000), OutcomePaid)
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, res.Webhooks)
	got := v2Deliveries(e, "hook-retry", "Transaction.Paid")
	if len(got) != 6 {
		t.Fatalf("%d attempts of Transaction.Paid, want 1 and 5 resends: %v", len(got), got)
	}
	for i, d := range got {
		if d.Attempt != i+1 || d.Headers["webhook-id"] != got[0].Headers["webhook-id"] || d.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("attempt %d: %v, want the same webhook-id each time", i+1, d)
		}
	}
	f := Faults{WebhookRetryInterval: Duration(time.Minute)}
	sent := e.v2Message(res.Payment, "Transaction.Paid", "", f)
	for n, want := range []time.Duration{time.Minute, 4 * time.Minute, 16 * time.Minute, 64 * time.Minute, 256 * time.Minute} {
		if got := sent.wait(n + 1); got != want {
			t.Errorf("wait before resend %d = %v, want %v", n+1, got, want)
		}
	}
	if sent.retries != 5 {
		t.Errorf("resends = %d, want PortOne V2's 5", sent.retries)
	}
}

// TestV2WebhookFaults applies the V1 sandbox's faults to V2's webhooks: a
// dropped one is never sent, a duplicated one arrives twice with one
// webhook-id, and none is resent when v2_webhook_retries is 0.
func TestV2WebhookFaults(t *testing.T) {
	rc := newReceiver(t, nil)
	e, _ := newTestEmulator(t, Config{V2: V2Config{WebhookURL: rc.URL}, Now: time.Now})
	zero := 0
	if err := e.SetFaults(Faults{WebhookDrop: true}); err != nil {
		t.Fatal(err)
	}
	res, _ := e.PayV2(v2Request("hook-drop", 1000), OutcomePaid)
	waitClosed(t, res.Webhooks)
	if got := v2Deliveries(e, "hook-drop", "Transaction.Paid"); len(got) != 1 || !got[0].Dropped {
		t.Errorf("a dropped webhook: %v, want one dropped entry", got)
	}
	if err := e.SetFaults(Faults{WebhookDuplicate: true, V2WebhookRetries: &zero}); err != nil {
		t.Fatal(err)
	}
	res, _ = e.PayV2(v2Request("hook-dup", 1000), OutcomePaid)
	waitClosed(t, res.Webhooks)
	got := v2Deliveries(e, "hook-dup", "Transaction.Paid")
	if len(got) != 2 || got[0].Headers["webhook-id"] != got[1].Headers["webhook-id"] || got[0].Copy == got[1].Copy {
		t.Errorf("a duplicated webhook: %v, want two copies with one webhook-id", got)
	}
}
