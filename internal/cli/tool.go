package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
	"github.com/payresult/payresult/reconcile"
)

// toolSettings are serve's settings the operator commands (reconcile,
// verify) use; they accept the others too.
var toolSettings = []string{"addr", "db", "portone-api-key", "portone-api-secret", "portone-api-url",
	"portone-v2-api-secret", "portone-v2-store-id", "portone-v2-webhook-secret", "portone-v2-api-url", "accept-test-payments", "log-format"}

// toolConfig is what the operator commands (reconcile, verify) work with:
// serve's configuration, its store, and a processor like serve's.
type toolConfig struct {
	cfg     *serveConfig
	log     *slog.Logger
	store   payresult.Store
	gateway *portone.Client
	// gatewayV2 answers for V2 orders; nil when V2 is not served.
	gatewayV2 *payresult.V2Gateway
	proc      *payresult.Processor
}

func (t *toolConfig) close() { t.store.Close() }

// loadToolConfig reads serve's configuration (the same variables and
// flags, validated by parseServeConfig) plus the command's own flags, and
// opens the store. Flags may come before or after the positional
// arguments, of which it wants exactly nargs. With --help it prints the
// usage and returns nil, nil, nil.
func loadToolConfig(ctx context.Context, env Env, h help, nargs int, extra func(*flag.FlagSet)) (*toolConfig, []string, error) {
	fs := flag.NewFlagSet("payresult "+h.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	raw := serveFlags(fs, env.Getenv)
	extra(fs)
	args, err := parseInterleaved(fs, env.Args)
	if errors.Is(err, flag.ErrHelp) {
		h.write(env.Stdout, fs)
		return nil, nil, nil
	}
	if err == nil && len(args) != nargs {
		err = fmt.Errorf("want %d argument(s), got %d", nargs, len(args))
	}
	if err != nil {
		return nil, nil, usageError(env, h.name, err)
	}
	cfg, err := parseServeConfig(func(f string) string { return strings.TrimSpace(*raw[f]) })
	if err != nil {
		return nil, nil, err
	}
	tc, err := openTool(ctx, cfg, env.Stderr)
	return tc, args, err
}

// openTool opens the store and builds the processor as serve does. In
// sandbox mode PortOne is the emulator inside the running payresult serve,
// reached over loopback at the address PAYRESULT_ADDR names.
func openTool(ctx context.Context, cfg *serveConfig, stderr io.Writer) (*toolConfig, error) {
	log := newLogger(cfg.LogFormat, stderr)
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	gateway := &portone.Client{BaseURL: cfg.PortOneURL, Key: cfg.PortOneKey, Secret: cfg.PortOneSecret}
	if cfg.Sandbox {
		gateway = &portone.Client{BaseURL: sandboxURL(cfg.Addr), Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret}
		log.Warn("SANDBOX MODE: no PortOne credentials are set; using the emulator of the running payresult serve",
			"portone", gateway.BaseURL)
	}
	var gatewayV2 *payresult.V2Gateway
	switch {
	case cfg.Sandbox:
		gatewayV2 = &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: sandboxURL(cfg.Addr),
			Secret: emulator.DefaultV2APISecret, StoreID: emulator.DefaultV2StoreID}}
	case cfg.HasV2():
		gatewayV2 = &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: cfg.PortOneV2URL,
			Secret: cfg.PortOneV2Secret, StoreID: cfg.PortOneV2StoreID}}
	}
	proc := &payresult.Processor{
		Store: store, AcceptTestPayments: cfg.Sandbox || cfg.AcceptTestPayments, DefaultAPI: cfg.DefaultAPI(),
		Logger: log.With("component", "processor"), FirstCheckDelay: reconcile.DefaultSchedule[0],
	}
	if cfg.HasV1() {
		proc.PortOne = gateway
	}
	if gatewayV2 != nil {
		proc.PortOneV2 = gatewayV2
	}
	return &toolConfig{cfg: cfg, log: log, store: store, gateway: gateway, gatewayV2: gatewayV2, proc: proc}, nil
}

// sandboxURL is where a payresult serve listening on addr serves its
// emulator, seen from this machine.
func sandboxURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://127.0.0.1:8080/sandbox"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/sandbox"
}

// parseInterleaved parses flags wherever they appear among the arguments
// (the flag package stops at the first argument), so that both
// "verify --apply imp_1" and "verify imp_1 --apply" work.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// explainUnreachable turns a failure to connect to PortOne into what to
// do about it. In sandbox mode PortOne is the sandbox inside a running
// payresult serve, which must be started first, or found with --addr.
func explainUnreachable(err error, tc *toolConfig) error {
	var op *net.OpError
	if err == nil || !errors.As(err, &op) || op.Op != "dial" {
		return err
	}
	if tc.cfg.Sandbox {
		return fmt.Errorf("cannot reach the sandbox of payresult serve at %s (%v): start payresult serve first "+
			"(in another terminal), or pass --addr (PAYRESULT_ADDR) with the address your serve listens on", tc.gateway.BaseURL, op.Err)
	}
	return fmt.Errorf("cannot reach PortOne at %s (%v): check PORTONE_API_URL and this machine's network", tc.gateway.BaseURL, op.Err)
}
