package portone

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestCancelSendsEveryField(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var body map[string]any
	ok := fixture(t, "cancel_ok.json")
	f.handle("POST /payments/cancel", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		d := json.NewDecoder(r.Body)
		d.UseNumber()
		if err := d.Decode(&body); err != nil {
			t.Error(err)
		}
		writeJSON(w, 200, ok)
	})
	req := &CancelRequest{
		ImpUID: "imp_803037736674", MerchantUID: "ph27",
		Amount: AmountPtr(Won(100)), TaxFree: AmountPtr(Won(10)), VatAmount: AmountPtr(MustParseAmount("8.5")),
		Checksum: AmountPtr(Won(100)), Reason: "취소요청api",
		RefundHolder: "홍길동", RefundBank: "88", RefundAccount: "56211105948400", RefundTel: "01012345678",
		RetainPromotion: true, EnableWebhook: true, Extra: map[string]string{"requester": "customer"},
	}
	p, err := f.client().Cancel(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != StatusCancelled || p.CancelAmount != Won(100) || len(p.CancelHistory) != 1 {
		t.Errorf("payment = %s, cancel_amount %s, %d history", p.Status, p.CancelAmount, len(p.CancelHistory))
	}
	want := map[string]string{
		"imp_uid": "imp_803037736674", "merchant_uid": "ph27", "amount": "100", "tax_free": "10",
		"vat_amount": "8.5", "checksum": "100", "reason": "취소요청api", "refund_holder": "홍길동",
		"refund_bank": "88", "refund_account": "56211105948400", "refund_tel": "01012345678",
		"retain_promotion": "true", "enable_webhook": "true", "extra": "map[requester:customer]",
	}
	for k, v := range want {
		if got := stringify(body[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	if len(body) != len(want) {
		t.Errorf("body has %d keys, want %d: %v", len(body), len(want), body)
	}
	if n, isNum := body["amount"].(json.Number); !isNum || n != "100" {
		t.Errorf("amount sent as %T %v, want the JSON number 100", body["amount"], body["amount"])
	}
}

func stringify(v any) string {
	switch v := v.(type) {
	case json.Number:
		return string(v)
	case string:
		return v
	case bool:
		if v {
			return "true"
		}
		return "false"
	case map[string]any:
		var parts []string
		for k, x := range v {
			parts = append(parts, k+":"+stringify(x))
		}
		return "map[" + strings.Join(parts, " ") + "]"
	}
	return "?"
}

func TestCancelMinimalBody(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var got string
	ok := fixture(t, "cancel_ok.json")
	f.handle("POST /payments/cancel", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		writeJSON(w, 200, ok)
	})
	if _, err := f.client().Cancel(context.Background(), &CancelRequest{MerchantUID: "ph27"}); err != nil {
		t.Fatal(err)
	}
	if want := `{"merchant_uid":"ph27"}`; got != want {
		t.Errorf("body = %s, want %s (a full cancel sends no amount)", got, want)
	}
}

func TestCancelRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file              string
		notFound, already bool
		checksum          bool
		code              int
	}{
		{"cancel_not_found.json", true, false, false, 1},
		{"cancel_already_cancelled.json", false, true, false, 1},
		{"cancel_pg_refused.json", false, false, false, -1},
		{"cancel_checksum_mismatch.json", false, false, true, 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.handleFixture("POST /payments/cancel", 200, tc.file)
			_, err := f.client().Cancel(context.Background(), &CancelRequest{ImpUID: "imp_803037736674", Checksum: AmountPtr(Won(100))})
			var pe *Error
			if !errors.As(err, &pe) || pe.HTTPStatus != 200 || pe.Code != tc.code {
				t.Fatalf("err = %v, want code %d with HTTP 200", err, tc.code)
			}
			if IsNotFound(err) != tc.notFound || IsAlreadyCancelled(err) != tc.already || IsChecksumMismatch(err) != tc.checksum || IsTransient(err) {
				t.Errorf("%v: IsNotFound %v IsAlreadyCancelled %v IsChecksumMismatch %v IsTransient %v", err,
					IsNotFound(err), IsAlreadyCancelled(err), IsChecksumMismatch(err), IsTransient(err))
			}
			if n := f.count("POST /payments/cancel"); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
			if !strings.HasPrefix(pe.Message, MsgCancelFailedPrefix) && tc.code == -1 {
				t.Errorf("message = %q", pe.Message)
			}
		})
	}
}

func TestCancelWithoutChecksumIsNotRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 502, 503, 429} {
		f := newFake(t)
		h, seen := failing(t, 1, status, "cancel_ok.json")
		f.handle("POST /payments/cancel", h)
		_, err := f.client().Cancel(context.Background(), &CancelRequest{ImpUID: "imp_803037736674", Amount: AmountPtr(Won(100))})
		if !IsTransient(err) {
			t.Errorf("%d: err = %v, want transient", status, err)
		}
		if n := seen.Load(); n != 1 {
			t.Errorf("%d: requests = %d, want 1", status, n)
		}
	}
}

func TestCancelWithChecksumIsRetried(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	h, seen := failing(t, 2, 503, "cancel_ok.json")
	f.handle("POST /payments/cancel", h)
	p, err := f.client().Cancel(context.Background(), &CancelRequest{ImpUID: "imp_803037736674", Checksum: AmountPtr(Won(100))})
	if err != nil {
		t.Fatal(err)
	}
	if p.Cancellable() != (Amount{}) {
		t.Errorf("cancellable = %s, want 0", p.Cancellable())
	}
	if n := seen.Load(); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

// ledger is a payment whose cancels go through even when the answer is
// lost, the case a checksum protects.
type ledger struct {
	mu          sync.Mutex
	amount      Amount
	cancelled   Amount
	lose        int // answers to lose (500 after applying)
	cancelCalls int
}

func (l *ledger) install(t *testing.T, f *fakePortOne) {
	mismatch := fixture(t, "cancel_checksum_mismatch.json")
	payment := func() []byte {
		var p Payment
		if err := json.Unmarshal(fixture(t, "payment_paid_card.json"), &envelope[*Payment]{Response: &p}); err != nil {
			t.Fatal(err)
		}
		p.CancelAmount = l.cancelled
		if !l.cancelled.IsZero() {
			p.Status = StatusCancelled
		}
		b, _ := json.Marshal(envelope[*Payment]{Response: &p})
		return b
	}
	f.handle("POST /payments/cancel", func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.cancelCalls++
		var req CancelRequest
		json.NewDecoder(r.Body).Decode(&req)
		if req.Checksum != nil && *req.Checksum != l.amount.Sub(l.cancelled) {
			writeJSON(w, 200, mismatch)
			return
		}
		if req.Amount == nil || req.Amount.IsZero() {
			l.cancelled = l.amount
		} else {
			l.cancelled = l.cancelled.Add(*req.Amount)
		}
		if l.lose > 0 {
			l.lose--
			writeJSON(w, 502, []byte("bad gateway"))
			return
		}
		writeJSON(w, 200, payment())
	})
	f.handle(paymentPath, func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if r.URL.Query().Get("include_sandbox") != "true" {
			t.Error("read-back without include_sandbox")
		}
		writeJSON(w, 200, payment())
	})
}

func TestCancelRetryAfterLostAnswerCancelsOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		amount *Amount
		left   Amount
	}{
		{"partial", AmountPtr(Won(20000)), Won(30000)},
		{"full", nil, Amount{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			l := &ledger{amount: Won(50000), lose: 1}
			l.install(t, f)
			p, err := f.client().Cancel(context.Background(), &CancelRequest{
				ImpUID: "imp_123456789012", Amount: tc.amount, Checksum: AmountPtr(Won(50000)),
			})
			if err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			if p.Cancellable() != tc.left {
				t.Errorf("cancellable = %s, want %s", p.Cancellable(), tc.left)
			}
			if l.cancelCalls != 2 || l.amount.Sub(l.cancelled) != tc.left {
				t.Errorf("cancel calls %d, left %s: want 2 and %s (refunded once)", l.cancelCalls, l.amount.Sub(l.cancelled), tc.left)
			}
			if n := f.count(paymentPath); n != 1 {
				t.Errorf("read-backs = %d, want 1", n)
			}
		})
	}
}

func TestCancelChecksumMismatchFromSomeoneElse(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	// Someone else cancelled 10000 before us: PortOne refuses our
	// checksum, and a refusal of a first attempt is final.
	l := &ledger{amount: Won(50000), cancelled: Won(10000)}
	l.install(t, f)
	_, err := f.client().Cancel(context.Background(), &CancelRequest{
		ImpUID: "imp_123456789012", Amount: AmountPtr(Won(20000)), Checksum: AmountPtr(Won(50000)),
	})
	if !IsChecksumMismatch(err) {
		t.Fatalf("err = %v, want checksum mismatch", err)
	}
	if n := f.count(paymentPath); n != 0 {
		t.Errorf("read-backs = %d, want 0 on a first attempt", n)
	}
}

func TestCancelRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := f.client()
	for _, tc := range []struct {
		name  string
		req   *CancelRequest
		field string
	}{
		{"nil", nil, "request"},
		{"no id", &CancelRequest{Reason: "x"}, "imp_uid"},
		{"long merchant_uid", &CancelRequest{MerchantUID: strings.Repeat("m", 41)}, "merchant_uid"},
		{"bad imp_uid", &CancelRequest{ImpUID: "imp\t1"}, "imp_uid"},
		{"negative amount", &CancelRequest{ImpUID: "imp_1", Amount: AmountPtr(Won(-1))}, "amount"},
		{"negative checksum", &CancelRequest{ImpUID: "imp_1", Checksum: AmountPtr(Won(-1))}, "checksum"},
		{"amount over checksum", &CancelRequest{ImpUID: "imp_1", Amount: AmountPtr(Won(101)), Checksum: AmountPtr(Won(100))}, "amount"},
		{"tax_free over amount", &CancelRequest{ImpUID: "imp_1", Amount: AmountPtr(Won(10)), TaxFree: AmountPtr(Won(11))}, "tax_free"},
		{"long reason", &CancelRequest{ImpUID: "imp_1", Reason: strings.Repeat("이", 257)}, "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Cancel(context.Background(), tc.req)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Errorf("err = %v, want an InputError on %s", err, tc.field)
			}
		})
	}
	if n := f.tokenCalls.Load(); n != 0 {
		t.Errorf("bad input reached the server")
	}
}
