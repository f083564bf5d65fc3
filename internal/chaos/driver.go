package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// Timeouts of the harness's own requests. The browser gives up on a
// redirect sooner than payresult gives up on PortOne, as real ones do.
const (
	apiTimeout      = 5 * time.Second
	controlTimeout  = 3 * time.Minute // a webhook-first payment waits for its webhook
	browserTimeout  = 5 * time.Second
	createDeadline  = 2 * time.Minute
	retryFirstWait  = 50 * time.Millisecond
	retryLongestGap = time.Second
)

// driver plays the plan's flows against the fleet and the emulator.
type driver struct {
	cfg     Config
	plan    *plan
	fleet   *fleet
	em      *emulator.Emulator
	emURL   string
	api     *http.Client // payresult's app API
	control *http.Client // the emulator's control API
	browser *http.Client // the buyer's browser: never follows redirects

	started, finished, kills atomic.Int64
	phaseGen                 atomic.Int64
	phaseName                atomic.Value // string

	mu   sync.Mutex
	paid []string // honest paid imp_uids, for replays
}

func newDriver(cfg Config, p *plan, f *fleet, em *emulator.Emulator, emURL string) *driver {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4 * cfg.Concurrency
	d := &driver{cfg: cfg, plan: p, fleet: f, em: em, emURL: emURL,
		api:     &http.Client{Transport: tr, Timeout: apiTimeout},
		control: &http.Client{Transport: tr, Timeout: controlTimeout},
		browser: &http.Client{Transport: tr, Timeout: browserTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	d.phaseName.Store("none")
	return d
}

// drive plays every flow, Concurrency at a time, switching fault phases
// and sending kills as the flows start. It returns once every flow has
// been played and every kill has been followed by a restart.
func (d *driver) drive(ctx context.Context) error {
	jobs := make(chan *flow)
	var wg sync.WaitGroup
	for range d.cfg.Concurrency {
		wg.Go(func() {
			for f := range jobs {
				d.play(ctx, f)
				d.finished.Add(1)
			}
		})
	}
	kills := make(chan kill, len(d.plan.kills))
	killErr := make(chan error, 1)
	go func() { killErr <- d.killer(ctx, kills) }()
	err := d.dispatch(ctx, jobs, kills)
	close(jobs)
	close(kills)
	wg.Wait()
	if kerr := <-killErr; err == nil {
		err = kerr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// dispatch hands the flows to the players in order, putting each fault
// phase in force at its first flow and queueing the kills due at each.
func (d *driver) dispatch(ctx context.Context, jobs chan<- *flow, kills chan<- kill) error {
	next := 0
	for i, f := range d.plan.flows {
		if i%d.plan.phaseLen == 0 {
			if err := d.setPhase(ctx, d.plan.phases[i/d.plan.phaseLen]); err != nil {
				return err
			}
		}
		for next < len(d.plan.kills) && d.plan.kills[next].at == i {
			kills <- d.plan.kills[next]
			next++
		}
		f.phase = d.phaseName.Load().(string)
		d.started.Add(1)
		select {
		case jobs <- f:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// killer sends each kill after its delay, keeps the instance down for a
// moment, and restarts it.
func (d *driver) killer(ctx context.Context, kills <-chan kill) error {
	var failed error
	for k := range kills {
		if failed != nil || !pause(ctx, k.delay) {
			continue
		}
		in := d.fleet.instances[k.instance]
		if in.kill() {
			d.kills.Add(1)
		}
		pause(ctx, k.down)
		if err := in.start(ctx); err != nil {
			failed = err
		}
	}
	return failed
}

// pause waits for d or until ctx is done, and reports whether ctx is
// still live.
func pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// setPhase puts a phase's faults in force. A hanging phase hangs
// PortOne's API first and lifts only the hang when its time is up.
func (d *driver) setPhase(ctx context.Context, p phase) error {
	gen := d.phaseGen.Add(1)
	d.phaseName.Store(p.name)
	if p.hang <= 0 {
		return d.putFaults(ctx, p.faults)
	}
	hung := p.faults
	hung.APIHang = true
	if err := d.putFaults(ctx, hung); err != nil {
		return err
	}
	go func() {
		if pause(ctx, p.hang) && d.phaseGen.Load() == gen {
			_ = d.putFaults(ctx, p.faults)
		}
	}()
	return nil
}

// putFaults sets the emulator's faults through its control API.
func (d *driver) putFaults(ctx context.Context, f emulator.Faults) error {
	var out emulator.Faults
	if err := d.call(ctx, http.MethodPut, d.emURL+"/__emulator/faults", f, http.StatusOK, &out); err != nil {
		return fmt.Errorf("setting the emulator's faults: %w", err)
	}
	return nil
}

// play drives one flow from order registration to PortOne's final state.
func (d *driver) play(ctx context.Context, f *flow) {
	if err := d.createOrder(ctx, f); err != nil {
		f.err = err
		return
	}
	f.created = true
	if f.kind == KindReplayed {
		d.replay(ctx, f)
	}
	if f.kind == KindTampered {
		// PortOne's pre-registration is its own first defence, and some
		// PGs skip it; the soak turns it off for this order so that the
		// tampered amount is approved and payresult's Confirm must catch it.
		if f.api == payresult.APIV2 {
			if err := d.em.PrepareV2(f.merchantUID, f.paidAmount(), "KRW"); err != nil {
				f.err = err
				return
			}
		} else {
			d.em.Prepare(portone.Prepared{MerchantUID: f.merchantUID, Amount: amountOf(f.paidAmount()), Currency: "KRW"})
		}
	}
	pay := d.pay
	if f.api == payresult.APIV2 {
		pay = d.payV2
	}
	ans, err := pay(ctx, f)
	if err != nil {
		f.err = err
		return
	}
	f.impUID, f.done = ans.Payment.ImpUID, time.Now()
	if f.kind == KindPaid || f.kind == KindReplayed {
		d.mu.Lock()
		d.paid = append(d.paid, f.impUID)
		d.mu.Unlock()
	}
	if !f.loseRedirect && ans.RedirectURL != "" {
		f.redirected = d.followRedirect(ctx, ans.RedirectURL, ans.RedirectMethod)
	}
	if f.kind == KindVbankDeposit && pause(ctx, f.depositAfter) {
		var p json.RawMessage
		if err := d.call(ctx, http.MethodPost, d.emURL+d.controlPrefix(f)+"/payments/"+f.impUID+"/deposit", nil, http.StatusOK, &p); err != nil {
			f.err = fmt.Errorf("depositing into %s: %w", f.impUID, err)
			return
		}
		f.done = time.Now()
	}
}

// createOrder registers the flow's order, retrying through kills and
// PortOne outages as an app would: a repeated registration with the same
// terms answers with the order.
func (d *driver) createOrder(ctx context.Context, f *flow) error {
	body := map[string]any{"merchant_uid": f.merchantUID, "name": "chaos order " + f.merchantUID, "amount": f.amount, "api": f.api}
	ctx, cancel := context.WithTimeout(ctx, createDeadline)
	defer cancel()
	wait := retryFirstWait
	var last error
	for try := 0; ; try++ {
		in := d.fleet.instances[(f.redirectTo+try)%len(d.fleet.instances)]
		status, err := d.request(ctx, http.MethodPost, in.url+"/api/orders", body, nil)
		switch {
		case err == nil && (status == http.StatusCreated || status == http.StatusOK):
			return nil
		case err == nil && status < 500 && status != http.StatusTooManyRequests:
			return fmt.Errorf("registering order %s: HTTP %d", f.merchantUID, status)
		case err == nil:
			last = fmt.Errorf("HTTP %d", status)
		default:
			last = err
		}
		if !pause(ctx, wait) {
			return fmt.Errorf("registering order %s: gave up: %v", f.merchantUID, last)
		}
		wait = min(2*wait, retryLongestGap)
	}
}

// replay presents an honest order's paid imp_uid for this flow's order,
// by redirect and by a forged webhook, before the flow pays for real.
// The honest payment may be of either API, and so may the flow's order:
// a payment of one API presented for an order of the other must not
// settle it either.
func (d *driver) replay(ctx context.Context, f *flow) {
	d.mu.Lock()
	if len(d.paid) > 0 {
		f.replayed = d.paid[rand.New(rand.NewPCG(uint64(f.n), 1)).IntN(len(d.paid))]
	}
	d.mu.Unlock()
	if f.replayed == "" {
		return
	}
	in := d.fleet.instances[f.redirectTo]
	d.followRedirect(ctx, in.url+"/portone/redirect?imp_uid="+f.replayed+"&merchant_uid="+f.merchantUID+"&imp_success=true", http.MethodGet)
	hook := map[string]string{"imp_uid": f.replayed, "merchant_uid": f.merchantUID, "status": "paid"}
	_, _ = d.request(ctx, http.MethodPost, d.fleet.instances[f.webhookTo].url+"/portone/webhook", hook, nil)
}

// payAnswer is the part of the control API's answer the driver reads.
type payAnswer struct {
	Payment        portone.Payment `json:"payment"`
	RedirectURL    string          `json:"redirect_url"`
	RedirectMethod string          `json:"redirect_method"`
}

// pay completes the flow's payment at PortOne through the control API.
func (d *driver) pay(ctx context.Context, f *flow) (*payAnswer, error) {
	method := "card"
	if f.kind == KindVbank || f.kind == KindVbankDeposit {
		method = "vbank"
	}
	req := map[string]any{
		"pg": f.pg, "pay_method": method, "merchant_uid": f.merchantUID, "name": "chaos order " + f.merchantUID,
		"amount": f.paidAmount(), "buyer_name": "Chaos Buyer", "outcome": string(f.outcome()),
		"m_redirect_url": d.fleet.instances[f.redirectTo].url + "/portone/redirect",
		"notice_url":     []string{d.fleet.instances[f.webhookTo].url + "/portone/webhook"},
	}
	var ans payAnswer
	if err := d.call(ctx, http.MethodPost, d.emURL+"/__emulator/payments", req, http.StatusCreated, &ans); err != nil {
		return nil, fmt.Errorf("paying for %s: %w", f.merchantUID, err)
	}
	if ans.Payment.ImpUID == "" {
		return nil, fmt.Errorf("paying for %s: the emulator answered without an imp_uid", f.merchantUID)
	}
	return &ans, nil
}

// followRedirect is the browser coming back: GET, or a POST form when the
// emulator plays a PG that posts. It reports whether payresult answered.
func (d *driver) followRedirect(ctx context.Context, target, method string) bool {
	var req *http.Request
	var err error
	if method == http.MethodPost {
		base, query, _ := strings.Cut(target, "?")
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, base, strings.NewReader(query))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	}
	if err != nil {
		return false
	}
	resp, err := d.browser.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode < 500
}

// call sends a JSON request and decodes the answer, which must have the
// status want.
func (d *driver) call(ctx context.Context, method, url string, body any, want int, out any) error {
	status, err := d.request(ctx, method, url, body, out)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: HTTP %d, want %d", method, url, status, want)
	}
	return nil
}

// request sends body as JSON with payresult's API key and decodes a 2xx
// answer into out when out is not nil.
func (d *driver) request(ctx context.Context, method, url string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+d.cfg.apiKey())
	client := d.api
	if strings.HasPrefix(url, d.emURL) {
		client = d.control
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decoding the answer: %w", method, url, err)
		}
		return resp.StatusCode, nil
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
