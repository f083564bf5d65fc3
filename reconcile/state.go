package reconcile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// state is what a Reconciler keeps between its passes and rounds: the
// rate limit that its checks and sweeps share, its name in window leases,
// the listed payments it confirmed without effect, and its progress.
type state struct {
	lim      *limiter
	owner    string
	seen     seenCache
	progress Progress
	mem      *memWindows
}

// st returns r's state, made on first use.
func (r *Reconciler) st() *state {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == nil {
		owner := r.Owner
		if owner == "" {
			owner = defaultOwner()
		}
		r.state = &state{lim: newLimiter(r.rateLimit()), owner: owner, mem: &memWindows{}}
	}
	return r.state
}

// defaultOwner names this process: its host, pid and a random part, so
// that a restarted process is another owner.
func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "/" + hex.EncodeToString(b)
}

func (r *Reconciler) limiter() *limiter { return r.st().lim }
func (r *Reconciler) owner() string     { return r.st().owner }

// windows is where sweep windows are remembered: the store when it can
// (payresult's sqlite and postgres stores can), else this process's
// memory, which sweeps only cancels (it cannot tell which orders wait).
func (r *Reconciler) windows() payresult.SweepStore {
	if ws, ok := r.Store.(payresult.SweepStore); ok {
		return ws
	}
	return r.st().mem
}

// listers returns the sweeps' listers, one per API; none means no
// sweeps.
func (r *Reconciler) listers() []Lister {
	if r.Listers != nil {
		return r.Listers
	}
	var ls []Lister
	if l, ok := r.finder().(StatusLister); ok {
		ls = append(ls, V1Lister{Client: l})
	}
	if l, ok := r.Processor.PortOneV2.(StatusLister); ok {
		ls = append(ls, V2Lister{Client: l})
	}
	return ls
}

func (r *Reconciler) sweepInterval() time.Duration {
	return positive(r.SweepInterval, DefaultSweepInterval)
}
func (r *Reconciler) sweepOverlap() time.Duration {
	return positive(r.SweepOverlap, DefaultSweepOverlap)
}

// seenCache remembers listed payments that were confirmed and changed
// nothing, so that sweeping a window again does not confirm (and note on
// the order's timeline) the same record again. It forgets everything
// when it grows past seenLimit.
type seenCache struct {
	mu sync.Mutex
	m  map[string]struct{}
}

const seenLimit = 100_000

func seenKey(p *portone.Payment) string {
	return p.ImpUID + "|" + string(p.Status) + "|" + p.CancelAmount.String()
}

func (c *seenCache) has(p *portone.Payment) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[seenKey(p)]
	return ok
}

func (c *seenCache) add(p *portone.Payment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= seenLimit {
		c.m = map[string]struct{}{}
	}
	c.m[seenKey(p)] = struct{}{}
}

// Progress is what the sweeps have done so far and the backlog they
// last saw, for metrics and the admin page.
type Progress struct {
	mu sync.Mutex
	s  SweepStatus
}

// SweepStatus is a snapshot of a reconciler's sweeps.
type SweepStatus struct {
	// Waiting is how many orders waited for a check when the last round
	// began, and OldestWait how long the oldest of them had waited.
	Waiting    int           `json:"waiting"`
	OldestWait time.Duration `json:"oldest_wait"`
	// Rounds counts the rounds begun; WindowsDue the windows the last one
	// found due, WindowsDone those of them it has finished (or found
	// taken by another instance).
	Rounds      int `json:"rounds"`
	WindowsDue  int `json:"windows_due"`
	WindowsDone int `json:"windows_done"`
	// Pages and Listed count the pages read and payments listed by every
	// sweep so far.
	Pages  int `json:"pages"`
	Listed int `json:"listed"`
	// LastRound is when the last round began.
	LastRound time.Time `json:"last_round,omitzero"`
}

// SweepStatus returns a snapshot of the sweeps' progress.
func (r *Reconciler) SweepStatus() SweepStatus {
	p := &r.st().progress
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.s
}

func (r *Reconciler) progressOf() *Progress { return &r.st().progress }

func (p *Progress) backlog(waiting int, oldest, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.Waiting, p.s.OldestWait, p.s.LastRound = waiting, 0, now
	if waiting > 0 {
		p.s.OldestWait = now.Sub(oldest)
	}
}

func (p *Progress) round(due int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.Rounds++
	p.s.WindowsDue, p.s.WindowsDone = due, 0
}

func (p *Progress) windowDone() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.WindowsDone++
}

func (p *Progress) page(listed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.Pages++
	p.s.Listed += listed
}

// memWindows keeps sweep windows in memory, for a store that does not
// remember them: a restart sweeps them again, and instances do not split
// them.
type memWindows struct {
	mu sync.Mutex
	m  map[string]payresult.SweepWindow
}

func memKey(w payresult.SweepWindow) string { return w.Kind + "@" + w.Start.String() }

func (m *memWindows) SweepWindows(_ context.Context, kind string, from, to time.Time) ([]payresult.SweepWindow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []payresult.SweepWindow
	for _, w := range m.m {
		if w.Kind == kind && !w.Start.Before(from) && w.Start.Before(to) {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b payresult.SweepWindow) int { return a.Start.Compare(b.Start) })
	return out, nil
}

func (m *memWindows) ClaimSweepWindow(_ context.Context, w payresult.SweepWindow, owner string, now, leaseUntil, sweptBefore time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]payresult.SweepWindow{}
	}
	cur, ok := m.m[memKey(w)]
	if ok && (cur.Final || (cur.LeaseUntil.After(now) && cur.Owner != owner) || cur.SweptAt.After(sweptBefore)) {
		return false, nil
	}
	if !ok {
		cur = payresult.SweepWindow{Kind: w.Kind, Start: w.Start, End: w.End}
	}
	cur.Owner, cur.LeaseUntil = owner, leaseUntil
	m.m[memKey(w)] = cur
	return true, nil
}

func (m *memWindows) FinishSweepWindow(_ context.Context, w payresult.SweepWindow, owner string, sweptAt time.Time, final bool) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.m[memKey(w)]
	if !ok || cur.Owner != owner || cur.Final {
		return false, nil
	}
	cur.SweptAt, cur.Final, cur.LeaseUntil = sweptAt, final, time.Time{}
	m.m[memKey(w)] = cur
	return true, nil
}

func (m *memWindows) WaitingOrders(context.Context) (int, time.Time, error) {
	return 0, time.Time{}, nil
}
