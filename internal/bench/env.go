package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
)

// lookupPool is how many paid payments the look-up floor cycles through.
const lookupPool = 256

// env is one bench run's world: the emulator, the service, the store's
// floor, and the clients that drive them.
type env struct {
	cfg        *Config
	run        string // random run id, part of every merchant_uid
	serviceURL string
	emuURL     string
	apiKey     string
	http       *http.Client    // drives the service and the emulator's control API
	portone    *portone.Client // the look-up floor, configured as serve configures its own
	floor      committer
	// local confirms in process for the local phase (nil when
	// Config.OpenStore is), answering look-ups from localPayments.
	local         *payresult.Processor
	localPayments *localGateway
	pool          []string // imp_uids of paid payments for the look-up floor
	childPID      int      // the serve child, when Config.ServeChild is set
	cleanups      []func() error
	clock         func() time.Time // nil for time.Now; tests set a fake one
	// v2 is set when the service takes PortOne V2 orders from the
	// emulator, signed with v2WebhookSecret: the V2 webhook is measured.
	v2              bool
	v2WebhookSecret string
}

// setUp starts what cfg asks for: a temporary store, the emulator and the
// service in process, or nothing but clients for given URLs.
func setUp(ctx context.Context, cfg *Config) (e *env, err error) {
	e = &env{cfg: cfg, run: randomID(), serviceURL: cfg.ServiceURL, emuURL: cfg.EmulatorURL, apiKey: cfg.APIKey}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	e.http = newDriverClient()
	db, err := e.database(ctx)
	if err != nil {
		return nil, err
	}
	if e.serviceURL == "" {
		if err := e.startInProcess(ctx, db); err != nil {
			return nil, err
		}
	}
	e.portone = &portone.Client{BaseURL: e.emuURL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
	if e.floor, err = openCommitter(ctx, db); err != nil {
		return nil, err
	}
	e.cleanups = append(e.cleanups, e.floor.close)
	if err := e.openLocal(ctx, db); err != nil {
		return nil, err
	}
	if err := e.setLatency(ctx, 0); err != nil {
		return nil, err
	}
	return e, e.payPool(ctx)
}

// database returns the store the run uses, creating a temporary one for
// an in-process run: a SQLite file, or a fresh PostgreSQL schema.
func (e *env) database(ctx context.Context) (string, error) {
	db := e.cfg.DB
	switch {
	case e.cfg.ServiceURL != "":
		return db, nil
	case isPostgres(db):
		url, drop, err := freshSchema(ctx, db, "bench_"+e.run)
		if err != nil {
			return "", err
		}
		e.cleanups = append(e.cleanups, drop)
		return url, nil
	case db == "":
		dir, err := os.MkdirTemp("", "payresult-bench-")
		if err != nil {
			return "", err
		}
		e.cleanups = append(e.cleanups, func() error { return os.RemoveAll(dir) })
		return filepath.Join(dir, "payresult.db"), nil
	}
	return db, nil
}

// startInProcess starts the emulator and the service on loopback. The
// emulator has no webhook URL: the bench alone drives the service.
func (e *env) startInProcess(ctx context.Context, db string) error {
	em := emulator.New(emulator.Config{Seed: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: em, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	e.cleanups = append(e.cleanups, func() error { srv.Close(); return em.Close() })
	e.emuURL = "http://" + ln.Addr().String()
	e.apiKey = benchAPIKey
	spec := ServiceSpec{
		DB: db, PortOneURL: e.emuURL, PortOneKey: emulator.DefaultAPIKey,
		PortOneSecret: emulator.DefaultAPISecret, APIKey: benchAPIKey,
		PortOneV2Secret: emulator.DefaultV2APISecret, PortOneV2StoreID: emulator.DefaultV2StoreID,
		PortOneV2WebhookSecret: emulator.DefaultV2WebhookSecret, NoReconciler: true,
	}
	e.v2, e.v2WebhookSecret = true, spec.PortOneV2WebhookSecret
	var url string
	var stop func() error
	if e.cfg.ServeChild != "" {
		url, stop, err = e.startChild(ctx, e.cfg.ServeChild, spec)
	} else {
		url, stop, err = e.cfg.StartService(ctx, spec)
	}
	if err != nil {
		return fmt.Errorf("starting the service: %w", err)
	}
	e.cleanups = append(e.cleanups, stop)
	e.serviceURL = url
	return nil
}

// close undoes setUp, last step first.
func (e *env) close() error {
	var errs []error
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		errs = append(errs, e.cleanups[i]())
	}
	e.http.CloseIdleConnections()
	return errors.Join(errs...)
}

// payPool pays the payments the look-up floor reads. They belong to no
// order: the floor is PortOne alone.
func (e *env) payPool(ctx context.Context) error {
	n := min(e.cfg.Orders, lookupPool)
	e.pool = make([]string, n)
	return parallel(ctx, n, func(ctx context.Context, i int) error {
		p, err := e.pay(ctx, fmt.Sprintf("bench-%s-lk-%d", e.run, i), "")
		if err == nil {
			e.pool[i] = p.impUID
		}
		return err
	})
}

// lookup is one operation of the look-up floor.
func (e *env) lookup(ctx context.Context, i int) error {
	imp := e.pool[i%len(e.pool)]
	p, err := e.portone.Payment(ctx, imp, true)
	if err == nil && p.ImpUID != imp {
		err = fmt.Errorf("look-up of %s answered %s", imp, p.ImpUID)
	}
	return err
}

// warmUp opens connections and fetches tokens before anything is timed,
// and checks that every piece answers.
func (e *env) warmUp(ctx context.Context) error {
	e.progress("warming up (service %s, emulator %s)", e.serviceURL, e.emuURL)
	for i := range 8 {
		if err := e.lookup(ctx, i); err != nil {
			return fmt.Errorf("warm-up look-up: %w", err)
		}
		if err := e.floor.commit(ctx, -1-i); err != nil {
			return fmt.Errorf("warm-up commit: %w", err)
		}
	}
	for _, p := range e.paths() {
		b, err := e.preparePath(ctx, p, "w"+string(p[0]), 8)
		if err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		for _, o := range b {
			if err := e.confirm(ctx, p, o); err != nil {
				return fmt.Errorf("warm-up %s: %w", p, err)
			}
		}
		if paid, err := e.countPaid(ctx, b); err != nil || paid != len(b) {
			return fmt.Errorf("warm-up %s: %d of %d orders paid (%v)", p, paid, len(b), err)
		}
	}
	return nil
}

func randomID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
