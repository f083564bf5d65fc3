package chaos

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// Kind names what a flow does at PortOne. The soak's report counts flows
// by kind.
type Kind string

// The flow kinds. Tampered and replayed flows are the attacks: a tampered
// flow pays less than the order's amount; a replayed flow first presents
// another order's paid imp_uid for its own order, then pays honestly.
const (
	KindPaid            Kind = "paid"
	KindFailed          Kind = "failed"
	KindCancelledByUser Kind = "cancelled_by_user"
	KindVbank           Kind = "vbank_issued"
	KindVbankDeposit    Kind = "vbank_deposited"
	KindAbandoned       Kind = "abandoned"
	KindTampered        Kind = "tampered"
	KindReplayed        Kind = "replayed"
)

// kindWeights is how often each kind is drawn, out of the sum.
var kindWeights = []struct {
	kind   Kind
	weight int
}{
	{KindPaid, 34}, {KindFailed, 10}, {KindCancelledByUser, 8}, {KindVbank, 4},
	{KindVbankDeposit, 10}, {KindAbandoned, 8}, {KindTampered, 12}, {KindReplayed, 14},
}

// pgs are the PG profiles flows use, so that every redirect flavour and
// both user-cancel behaviours occur.
var pgs = []string{"html5_inicis", "kcp", "kakaopay", "tosspayments", "daou", "nice_v2"}

// v2Share is the part of the flows whose orders are registered for
// PortOne V2: one payresult serves both APIs at once, as a merchant
// migrating from V1 to V2 runs it.
const v2Share = 0.4

// flow is one payment the soak drives: an order at payresult and what the
// buyer (or the attacker) does at PortOne. The plan fills the first block;
// the driver fills the second.
type flow struct {
	n            int
	merchantUID  string
	amount       int64 // the order's amount
	kind         Kind
	api          payresult.API // the PortOne API the order is registered for
	pg           string
	loseRedirect bool // the browser never comes back
	webhookTo    int  // instance PortOne notifies
	redirectTo   int  // instance the browser returns to
	depositAfter time.Duration

	phase      string    // fault phase in force when the flow started
	impUID     string    // the flow's own PortOne payment
	replayed   string    // the other order's imp_uid a replayed flow presented
	done       time.Time // when PortOne reached the flow's final state
	created    bool      // payresult registered the order
	redirected bool      // the redirect reached payresult and was answered
	err        error     // why the driver could not play the flow
}

// outcome is what the flow asks the emulator's control API for.
func (f *flow) outcome() emulator.Outcome {
	switch f.kind {
	case KindFailed:
		return emulator.OutcomeFailed
	case KindCancelledByUser:
		return emulator.OutcomeCancelledByUser
	case KindVbank, KindVbankDeposit:
		return emulator.OutcomeVbankIssued
	case KindAbandoned:
		return emulator.OutcomeAbandoned
	}
	return emulator.OutcomePaid
}

// paidAmount is what the buyer pays: a tampered flow pays a hundredth.
func (f *flow) paidAmount() int64 {
	if f.kind == KindTampered {
		return max(f.amount/100, 1)
	}
	return f.amount
}

// phase is a set of faults in force for a stretch of flows.
type phase struct {
	name   string
	faults emulator.Faults
	// hang, when set, makes PortOne's API hang for this long at the
	// start of the phase; then the phase's other faults stay.
	hang time.Duration
}

// kill is a SIGKILL of one instance, sent delay after flow at starts.
type kill struct {
	at       int
	instance int
	delay    time.Duration
	down     time.Duration // how long the instance stays dead
}

// plan is everything a seed decides: the flows, the fault phases and the
// kills. Concurrency decides the rest (which request a kill lands on).
type plan struct {
	flows    []*flow
	phases   []phase
	phaseLen int
	kills    []kill
}

// newPlan draws a plan from cfg.Seed.
func newPlan(cfg Config) *plan {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x70617972))
	p := &plan{phaseLen: max(cfg.Payments/40, 20)}
	for n := range cfg.Payments {
		p.flows = append(p.flows, newFlow(rng, cfg, n))
	}
	for range (cfg.Payments + p.phaseLen - 1) / p.phaseLen {
		p.phases = append(p.phases, newPhase(rng))
	}
	p.phases[0] = phase{name: "none"} // start clean, so the first kill finds a working service
	if len(p.phases) > 2 {
		// A webhook outage in the middle: PortOne sends nothing for a
		// stretch of payments, so only redirects and the reconciler (its
		// sweeps and checks) settle them.
		p.phases[len(p.phases)/2] = outagePhase()
	}
	p.kills = newKills(rng, cfg)
	return p
}

func newFlow(rng *rand.Rand, cfg Config, n int) *flow {
	f := &flow{
		n:           n,
		merchantUID: fmt.Sprintf("chaos-%d-%06d", cfg.Seed, n),
		amount:      int64(1000 + 100*rng.IntN(500)),
		kind:        drawKind(rng),
		pg:          pgs[rng.IntN(len(pgs))],
		webhookTo:   rng.IntN(cfg.Instances),
		redirectTo:  rng.IntN(cfg.Instances),
	}
	f.loseRedirect = rng.Float64() < 0.2
	f.api = payresult.APIV1
	if rng.Float64() < v2Share {
		f.api = payresult.APIV2
	}
	if f.kind == KindVbankDeposit {
		f.depositAfter = time.Duration(rng.IntN(1500)) * time.Millisecond
	}
	return f
}

func drawKind(rng *rand.Rand) Kind {
	total := 0
	for _, w := range kindWeights {
		total += w.weight
	}
	x := rng.IntN(total)
	for _, w := range kindWeights {
		if x < w.weight {
			return w.kind
		}
		x -= w.weight
	}
	return KindPaid
}

// faultKinds are the faults a phase combines; each sets its part of the
// emulator's faults.
var faultKinds = []struct {
	name string
	set  func(rng *rand.Rand, p *phase)
}{
	{"webhook_dropped", func(rng *rand.Rand, p *phase) { p.faults.WebhookDropRate = 0.3 + 0.7*rng.Float64() }},
	{"webhook_duplicated", func(rng *rand.Rand, p *phase) { p.faults.WebhookDuplicate = true }},
	{"webhook_delayed", func(rng *rand.Rand, p *phase) {
		p.faults.WebhookDelay = emulator.Duration(time.Duration(200+rng.IntN(1800)) * time.Millisecond)
	}},
	{"webhook_before_redirect", func(rng *rand.Rand, p *phase) { p.faults.WebhookOrder = emulator.OrderWebhookFirst }},
	{"webhook_after_redirect", func(rng *rand.Rand, p *phase) { p.faults.WebhookOrder = emulator.OrderRedirectFirst }},
	{"api_errors", func(rng *rand.Rand, p *phase) {
		p.faults.APIErrorRate = 0.1 + 0.3*rng.Float64()
		p.faults.APIErrorStatus = []int{500, 502, 503, 504, 429}[rng.IntN(5)]
	}},
	{"api_slow", func(rng *rand.Rand, p *phase) {
		p.faults.APILatency = emulator.Duration(time.Duration(100+rng.IntN(900)) * time.Millisecond)
	}},
	{"api_hang", func(rng *rand.Rand, p *phase) { p.hang = time.Duration(500+rng.IntN(1500)) * time.Millisecond }},
}

// newPhase combines one to three fault kinds, with PortOne's webhook
// retry policy and the redirect's quirks drawn too.
func newPhase(rng *rand.Rand) phase {
	var p phase
	var names []string
	for _, i := range rng.Perm(len(faultKinds))[:1+rng.IntN(3)] {
		fk := faultKinds[i]
		if fk.name == "webhook_after_redirect" && p.faults.WebhookOrder != "" {
			continue
		}
		if fk.name == "webhook_before_redirect" && p.faults.WebhookOrder != "" {
			continue
		}
		fk.set(rng, &p)
		names = append(names, fk.name)
	}
	sort.Strings(names)
	p.name = strings.Join(names, "+")
	p.faults.WebhookRetries = rng.IntN(3)
	p.faults.WebhookRetryInterval = emulator.Duration(500 * time.Millisecond)
	p.faults.RedirectFlavour = []emulator.Flavour{emulator.FlavourPG, emulator.FlavourImpSuccess, emulator.FlavourSuccess, emulator.FlavourNone}[rng.IntN(4)]
	p.faults.RedirectPOST = rng.IntN(5) == 0
	p.faults.RedirectDuplicateMerchantUID = rng.IntN(5) == 0
	if rng.IntN(3) == 0 {
		p.faults.WebhookContentType = "application/x-www-form-urlencoded"
	}
	return p
}

// outageName names the webhook outage phase in reports.
const outageName = "webhook_outage"

// outagePhase drops every webhook, and nothing else goes wrong.
func outagePhase() phase {
	return phase{name: outageName, faults: emulator.Faults{WebhookDrop: true}}
}

// newKills spreads cfg.Kills kills over the flows after the first tenth.
// The kill points are random, so which instance dies first is too.
func newKills(rng *rand.Rand, cfg Config) []kill {
	ks := make([]kill, 0, cfg.Kills)
	from := cfg.Payments / 10
	for i := range cfg.Kills {
		instance := rng.IntN(cfg.Instances)
		if i < cfg.Instances {
			instance = i // every instance is killed at least once
		}
		ks = append(ks, kill{
			at:       from + rng.IntN(max(cfg.Payments-from, 1)),
			instance: instance,
			delay:    time.Duration(rng.IntN(400)) * time.Millisecond,
			down:     time.Duration(rng.IntN(800)) * time.Millisecond,
		})
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].at < ks[j].at })
	return ks
}

// amountOf converts a whole KRW amount.
func amountOf(n int64) portone.Amount { return portone.Won(n) }
