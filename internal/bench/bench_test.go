package bench_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/bench"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/internal/web"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
	"github.com/payresult/payresult/postgres"
	"github.com/payresult/payresult/sqlite"
)

// startService wires the HTTP surface, the processor and a store the way
// serve does, on a loopback port.
func startService(ctx context.Context, spec bench.ServiceSpec) (string, func() error, error) {
	var store payresult.Store
	var err error
	if strings.HasPrefix(spec.DB, "postgres://") {
		store, err = postgres.Open(ctx, spec.DB)
	} else {
		store, err = sqlite.Open(ctx, spec.DB)
	}
	if err != nil {
		return "", nil, err
	}
	gw := &portone.Client{BaseURL: spec.PortOneURL, Key: spec.PortOneKey, Secret: spec.PortOneSecret}
	proc := &payresult.Processor{Store: store, PortOne: gw}
	if spec.PortOneV2Secret != "" {
		proc.PortOneV2 = &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: spec.PortOneURL,
			Secret: spec.PortOneV2Secret, StoreID: spec.PortOneV2StoreID}}
	}
	log := slog.New(slog.DiscardHandler)
	h := web.New(web.Config{Processor: proc, Store: store, APIKey: spec.APIKey, Logger: log,
		V2WebhookSecret: spec.PortOneV2WebhookSecret})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		store.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() error {
		return errors.Join(srv.Close(), store.Close())
	}, nil
}

// openStore opens the local phase's store on db.
func openStore(ctx context.Context, db string) (payresult.Store, error) {
	if strings.HasPrefix(db, "postgres://") {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(ctx, db)
}

// TestRunReport runs a tiny bench and checks that the report is complete
// and consistent: every level measured, every order confirmed and paid,
// ratios computed. It asserts nothing about speed.
func TestRunReport(t *testing.T) {
	dbs := map[string]string{"sqlite": ""}
	if u := os.Getenv(testdb.PostgresEnv); u != "" {
		dbs["postgres"] = u
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			cfg := bench.Config{Orders: 6, Concurrency: []int{1, 8}, DB: db, StartService: startService, OpenStore: openStore}
			rep, err := bench.Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			checkReport(t, rep, name, cfg)
			checkText(t, rep)
		})
	}
}

func checkReport(t *testing.T, rep *bench.Report, store string, cfg bench.Config) {
	t.Helper()
	if rep.Store != store || rep.Orders != cfg.Orders || !rep.InProcess || len(rep.Levels) != len(cfg.Concurrency) {
		t.Fatalf("report = store %q, orders %d, in process %t, %d levels; want %q, %d, true, %d",
			rep.Store, rep.Orders, rep.InProcess, len(rep.Levels), store, cfg.Orders, len(cfg.Concurrency))
	}
	if rep.PeakRSSMiB <= 0 {
		t.Errorf("peak RSS = %v MiB, want > 0", rep.PeakRSSMiB)
	}
	// Levels 1 and 8 without latency measure the c=1 goals: the parts
	// ratio on both stores (the local phase ran), the floor ratio on
	// SQLite only; and V2's webhook against V1's.
	wantGoals := 2
	if store == "sqlite" {
		wantGoals = 3
	}
	if len(rep.Goals) != wantGoals {
		t.Errorf("goals = %+v, want %d", rep.Goals, wantGoals)
	}
	for i, lv := range rep.Levels {
		if lv.Concurrency != cfg.Concurrency[i] {
			t.Errorf("level %d concurrency = %d, want %d", i, lv.Concurrency, cfg.Concurrency[i])
		}
		phases := map[string]bench.Stats{"lookup": lv.Lookup, "commit": lv.Commit, "hop": lv.Hop, "register": lv.Register, "webhook": lv.Webhook, "redirect": lv.Redirect,
			"v2webhook": lv.WebhookV2}
		if cfg.OpenStore != nil {
			// Each local confirm fails unless it makes its order paid.
			phases["local"] = lv.Local
		} else if lv.Local.Count != 0 {
			t.Errorf("c=%d local phase ran (%+v) without a way to open the store", lv.Concurrency, lv.Local)
		}
		for name, st := range phases {
			// The look-up floor and the hop run on to a quarter of a second.
			count := st.Count == cfg.Orders || (name == "lookup" || name == "hop") && st.Count > cfg.Orders
			if !count || st.Errors != 0 || st.PerSec <= 0 || st.P50Ms <= 0 || st.P99Ms < st.P50Ms {
				t.Errorf("c=%d %s = %+v; want %d operations, no errors, positive rate, p99 >= p50 > 0", lv.Concurrency, name, st, cfg.Orders)
			}
		}
		if lv.Webhook.CPUMicrosPerOp <= 0 || lv.Redirect.CPUMicrosPerOp <= 0 {
			t.Errorf("c=%d CPU per confirm = %v µs (webhook), %v µs (redirect); want both measured", lv.Concurrency,
				lv.Webhook.CPUMicrosPerOp, lv.Redirect.CPUMicrosPerOp)
		}
		if lv.Webhook.Paid != cfg.Orders || lv.Redirect.Paid != cfg.Orders || lv.WebhookV2.Paid != cfg.Orders {
			t.Errorf("c=%d paid after webhook %d, after V2's webhook %d, after redirect %d; want %d each", lv.Concurrency,
				lv.Webhook.Paid, lv.WebhookV2.Paid, lv.Redirect.Paid, cfg.Orders)
		}
		if want := lv.WebhookV2.PerSec / lv.Webhook.PerSec; lv.V2OverV1 != want || want <= 0 {
			t.Errorf("c=%d V2 over V1 = %v, want %v", lv.Concurrency, lv.V2OverV1, want)
		}
		if lv.FloorPerSec <= 0 || lv.WebhookShare <= 0 || lv.RedirectShare <= 0 || lv.WebhookOverFloorP50 <= 0 || lv.RedirectOverFloorP50 <= 0 {
			t.Errorf("c=%d ratios not computed: %+v", lv.Concurrency, lv)
		}
		parts := lv.Hop.P50Ms + lv.Lookup.P50Ms + lv.Commit.P50Ms
		if cfg.OpenStore != nil {
			parts = lv.Hop.P50Ms + lv.Lookup.P50Ms + lv.Local.P50Ms
		}
		if want := lv.Webhook.P50Ms / parts; lv.WebhookOverPartsP50 != want || lv.CPUCapPerSec <= 0 {
			t.Errorf("c=%d webhook p50 over parts %v, want %v (%v ms over hop + look-up + store part, %v ms); CPU cap %v/s",
				lv.Concurrency, lv.WebhookOverPartsP50, want, lv.Webhook.P50Ms, parts, lv.CPUCapPerSec)
		}
		if lv.HiddenPerSec != 0 {
			t.Errorf("c=%d hidden-latency target = %v without simulated latency, want 0", lv.Concurrency, lv.HiddenPerSec)
		}
		// These phases are too short for the machine's CPU ticks; a
		// phase the machine could not time has no figure, and then the
		// level has no parts cap (TestMeasureCountsMachineCPU times one).
		store := lv.Commit
		if cfg.OpenStore != nil {
			store = lv.Local
		}
		measured := lv.Hop.MachineCPUMicrosPerOp > 0 && lv.Lookup.MachineCPUMicrosPerOp > 0 && store.MachineCPUMicrosPerOp > 0
		if measured != (lv.PartsCapPerSec > 0) {
			t.Errorf("c=%d parts cap = %v/s with machine CPU per op hop %v, look-up %v, store %v", lv.Concurrency,
				lv.PartsCapPerSec, lv.Hop.MachineCPUMicrosPerOp, lv.Lookup.MachineCPUMicrosPerOp, store.MachineCPUMicrosPerOp)
		}
	}
	if rep.CommitAlone != nil {
		t.Errorf("commit measured apart (%+v) in a run without PortOne latency", rep.CommitAlone)
	}
}

// TestRunMeasuresCommitAlone checks that a run with PortOne latency and
// no level 1 times one commit alone for its hidden-latency target.
func TestRunMeasuresCommitAlone(t *testing.T) {
	cfg := bench.Config{Orders: 4, Concurrency: []int{2}, PortOneLatency: time.Millisecond, StartService: startService}
	rep, err := bench.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	ca := rep.CommitAlone
	if ca == nil || ca.Count != cfg.Orders || ca.Errors != 0 || ca.P50Ms <= 0 {
		t.Fatalf("commit alone = %+v, want %d commits timed", ca, cfg.Orders)
	}
	lv := rep.Levels[0]
	if want := 2 / ((1 + ca.P50Ms) / 1000); math.Abs(lv.HiddenPerSec-want) > 1e-6*want {
		t.Errorf("hidden target = %v/s, want 2 / (1 ms + %v ms) = %v/s", lv.HiddenPerSec, ca.P50Ms, want)
	}
}

func checkText(t *testing.T, rep *bench.Report) {
	t.Helper()
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"conc", "lookup", "commit", "hop", "local", "register", "webhook", "v2webhook", "redirect", "ratios (same run)", "webhook p50/parts", "v2/v1 webhook", "cpu cap/s", "peak RSS"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back bench.Report
	if err := json.Unmarshal(data, &back); err != nil || len(back.Levels) != len(rep.Levels) {
		t.Errorf("JSON report does not read back: %v, %d levels", err, len(back.Levels))
	}
}

// TestRunRefusesBadConfig checks that a bench that cannot run says why
// before starting anything.
func TestRunRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  bench.Config
		want string
	}{
		{"no service", bench.Config{}, "no service"},
		{"negative orders", bench.Config{Orders: -1, StartService: startService}, "orders"},
		{"bad level", bench.Config{Concurrency: []int{0}, StartService: startService}, "concurrency 0"},
		{"half a target", bench.Config{ServiceURL: "http://127.0.0.1:1"}, "both"},
		{"target without db", bench.Config{ServiceURL: "http://127.0.0.1:1", EmulatorURL: "http://127.0.0.1:2", APIKey: "k"}, "database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bench.Run(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
