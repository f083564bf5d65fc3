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

// prepareServer keeps registrations like PortOne: a duplicate POST is
// refused with HTTP 200 and code 1. failFirst makes the first POST register
// and then answer 500, as when the answer is lost.
type prepareServer struct {
	mu        sync.Mutex
	reg       map[string]Prepared
	bodies    []string
	failFirst bool
	posts     int
}

func (s *prepareServer) install(t *testing.T, f *fakePortOne) {
	dup, notFound := fixture(t, "prepare_duplicate.json"), fixture(t, "prepare_not_found.json")
	ok := func(w http.ResponseWriter, p Prepared) {
		b, _ := json.Marshal(envelope[Prepared]{Response: p})
		writeJSON(w, 200, b)
	}
	read := func(r *http.Request) Prepared {
		b, _ := io.ReadAll(r.Body)
		s.bodies = append(s.bodies, string(b))
		var p Prepared
		if err := json.Unmarshal(b, &p); err != nil {
			t.Errorf("prepare body %s: %v", b, err)
		}
		return p
	}
	f.handle("POST /payments/prepare", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		p := read(r)
		s.posts++
		if _, exists := s.reg[p.MerchantUID]; exists {
			writeJSON(w, 200, dup)
			return
		}
		s.reg[p.MerchantUID] = p
		if s.failFirst && s.posts == 1 {
			writeJSON(w, 500, []byte(`{"code":-1,"message":"Internal Server Error","response":null}`))
			return
		}
		ok(w, p)
	})
	f.handle("PUT /payments/prepare", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		p := read(r)
		if _, exists := s.reg[p.MerchantUID]; !exists {
			writeJSON(w, 404, notFound)
			return
		}
		s.reg[p.MerchantUID] = p
		ok(w, p)
	})
	for _, m := range []string{"order_0001", "order_0002", "order_0009"} {
		f.handle("GET /payments/prepare/"+m, func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			defer s.mu.Unlock()
			p, exists := s.reg[m]
			if !exists {
				writeJSON(w, 404, notFound)
				return
			}
			ok(w, p)
		})
	}
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := &prepareServer{reg: map[string]Prepared{}}
	s.install(t, f)
	c := f.client()
	ctx := context.Background()

	p, err := c.Prepare(ctx, "order_0001", Won(50000), "KRW")
	if err != nil {
		t.Fatal(err)
	}
	if *p != (Prepared{MerchantUID: "order_0001", Amount: Won(50000), Currency: "KRW"}) {
		t.Errorf("prepared = %+v", p)
	}
	if want := `{"merchant_uid":"order_0001","amount":50000,"currency":"KRW"}`; s.bodies[0] != want {
		t.Errorf("body = %s, want %s", s.bodies[0], want)
	}

	// The same registration again (a retry of ours) succeeds by read-back.
	if p, err := c.Prepare(ctx, "order_0001", Won(50000), "KRW"); err != nil || p.Amount != Won(50000) {
		t.Errorf("same again: %+v, %v", p, err)
	}
	// A different amount is PortOne's refusal, with both amounts named.
	_, err = c.Prepare(ctx, "order_0001", Won(40000), "KRW")
	if !IsAlreadyPrepared(err) {
		t.Fatalf("different amount: err = %v, want already prepared", err)
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.HTTPStatus != 200 || pe.Code != 1 || pe.Message != MsgPrepareDuplicate {
		t.Errorf("err = %+v", pe)
	}
	if !strings.Contains(err.Error(), "registered: 50000 KRW") {
		t.Errorf("error text %q does not name the registered amount", err)
	}

	got, err := c.PreparedAmount(ctx, "order_0001")
	if err != nil || got.Amount != Won(50000) {
		t.Errorf("PreparedAmount = %+v, %v", got, err)
	}
	if _, err := c.PreparedAmount(ctx, "order_0002"); !IsNotFound(err) {
		t.Errorf("unknown merchant_uid: err = %v, want not found", err)
	}

	up, err := c.UpdatePrepared(ctx, "order_0001", MustParseAmount("45000"), "")
	if err != nil || up.Amount != Won(45000) {
		t.Errorf("UpdatePrepared = %+v, %v", up, err)
	}
	if want := `{"merchant_uid":"order_0001","amount":45000}`; s.bodies[len(s.bodies)-1] != want {
		t.Errorf("PUT body = %s, want %s", s.bodies[len(s.bodies)-1], want)
	}
	if _, err := c.UpdatePrepared(ctx, "order_0002", Won(1), ""); !IsNotFound(err) {
		t.Errorf("update of unknown: err = %v, want not found", err)
	}
}

func TestPrepareRetriedAfterLostAnswer(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := &prepareServer{reg: map[string]Prepared{}, failFirst: true}
	s.install(t, f)
	p, err := f.client().Prepare(context.Background(), "order_0009", MustParseAmount("10.5"), "USD")
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if p.Amount != MustParseAmount("10.5") || p.Currency != "USD" {
		t.Errorf("prepared = %+v", p)
	}
	if s.posts != 2 || f.count("GET /payments/prepare/order_0009") != 1 {
		t.Errorf("posts %d, read-backs %d: want 2 and 1", s.posts, f.count("GET /payments/prepare/order_0009"))
	}
}

func TestPrepareRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := f.client()
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		merchant string
		amount   Amount
		currency string
		field    string
	}{
		{"empty merchant_uid", "", Won(1), "", "merchant_uid"},
		{"41 chars", strings.Repeat("가", 41), Won(1), "", "merchant_uid"},
		{"zero amount", "o", Amount{}, "", "amount"},
		{"negative amount", "o", Won(-1), "", "amount"},
		{"lower-case currency", "o", Won(1), "krw", "currency"},
		{"long currency", "o", Won(1), "KRWW", "currency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, fn := range []func() error{
				func() error { _, err := c.Prepare(ctx, tc.merchant, tc.amount, tc.currency); return err },
				func() error { _, err := c.UpdatePrepared(ctx, tc.merchant, tc.amount, tc.currency); return err },
			} {
				var ie *InputError
				if err := fn(); !errors.As(err, &ie) || ie.Field != tc.field {
					t.Errorf("err = %v, want an InputError on %s", err, tc.field)
				}
			}
		})
	}
	if _, err := c.Prepare(ctx, strings.Repeat("가", 40), Won(1), ""); errors.As(err, new(*InputError)) {
		t.Errorf("40 characters refused: %v", err)
	}
}
