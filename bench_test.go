package payresult_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/portone"
)

// fixedGateway answers every look-up with one paid payment, renamed after
// the imp_uid asked for ("imp_X" belongs to order "bench-X"), so that the
// benchmark measures payresult and its store, not a network.
type fixedGateway struct{ pay portone.Payment }

func (g *fixedGateway) Payment(_ context.Context, impUID string, _ bool) (*portone.Payment, error) {
	p := g.pay
	p.ImpUID, p.MerchantUID = impUID, "bench-"+strings.TrimPrefix(impUID, "imp_")
	return &p, nil
}

func (g *fixedGateway) FindPayment(context.Context, string, portone.Status) (*portone.Payment, error) {
	return nil, payresult.Errorf(payresult.KindInternal, "not used")
}

func (g *fixedGateway) Prepare(_ context.Context, m string, a portone.Amount, c string) (*portone.Prepared, error) {
	return &portone.Prepared{MerchantUID: m, Amount: a, Currency: c}, nil
}

func (g *fixedGateway) Cancel(context.Context, *portone.CancelRequest) (*portone.Payment, error) {
	return nil, payresult.Errorf(payresult.KindInternal, "not used")
}

// BenchmarkConfirm measures Confirm on SQLite: "first" turns a new pending
// order paid (the write path: order, attempt, event, timeline), "repeat"
// confirms an already paid one again (the read path every duplicate
// webhook and redirect takes).
func BenchmarkConfirm(b *testing.B) {
	gw := &fixedGateway{pay: *payment("", "", 10000, portone.StatusPaid)}
	newProcessor := func(b *testing.B) *payresult.Processor {
		return &payresult.Processor{Store: testdb.OpenSQLite(b), PortOne: gw}
	}
	register := func(b *testing.B, p *payresult.Processor, id string) {
		_, _, err := p.CreateOrder(context.Background(), payresult.NewOrder{MerchantUID: "bench-" + id, Name: "bench", Amount: portone.Won(10000)})
		if err != nil {
			b.Fatal(err)
		}
	}
	confirm := func(b *testing.B, p *payresult.Processor, id string, want payresult.Outcome) {
		res, err := p.Confirm(context.Background(), payresult.Notice{Source: payresult.SourceWebhook, ImpUID: "imp_" + id})
		if err != nil || res.Outcome != want {
			b.Fatalf("Confirm(imp_%s) = %v, %v; want %s", id, res, err, want)
		}
	}
	b.Run("first", func(b *testing.B) {
		p := newProcessor(b)
		for i := range b.N {
			register(b, p, strconv.Itoa(i))
		}
		b.ResetTimer()
		for i := range b.N {
			confirm(b, p, strconv.Itoa(i), payresult.OutcomePaid)
		}
	})
	b.Run("repeat", func(b *testing.B) {
		p := newProcessor(b)
		register(b, p, "dup")
		confirm(b, p, "dup", payresult.OutcomePaid)
		b.ResetTimer()
		for b.Loop() {
			confirm(b, p, "dup", payresult.OutcomeDuplicate)
		}
	})
}
