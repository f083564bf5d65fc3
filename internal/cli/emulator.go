package cli

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
)

// emulatorConfig is what the emulator subcommand's flags set.
type emulatorConfig struct {
	addr string
	db   string // "" keeps the sandbox in memory
	emulator.Config
}

// emulatorAbout is what `payresult emulator --help` says before its
// flags; %s is the control API.
const emulatorAbout = `
Runs the offline PortOne sandbox on its own, V1 and V2 side by side.

V1: PortOne's REST API with the real service's wire format (point any V1
client at it), /v1/iamport.js in place of PortOne's browser script, the
payment window, the redirect to m_redirect_url and unsigned webhooks.

V2: PortOne V2's REST API at the root of the same address (give PortOne's
server SDK this address as its baseUrl; a request is V2's when it carries
"Authorization: PortOne <V2 secret>" or a V2 login token), /v2/browser-sdk.js
in place of https://cdn.portone.io/v2/browser-sdk.js (PortOne.requestPayment,
redirect and promise flows), and webhooks signed per Standard Webhooks.

Both have a JSON control API for tests and scripts.

With --db the sandbox keeps its payments, prepared amounts, token and id
sequence in that database (a SQLite file, or postgres://... for PostgreSQL;
the same database payresult serve uses is fine, in tables of their own), so
a restart changes nothing a client can see. Without it the sandbox lives in
memory and its ids are random per start (unless --seed is given), so that
they never collide with an earlier run's.

Control API (JSON), for tests and scripts:
%s`

// emulatorHelp is payresult emulator --help.
func emulatorHelp() help {
	return help{
		name:  "emulator",
		usage: "[flags]",
		about: fmt.Sprintf(emulatorAbout, controlAPIText()),
		example: "payresult emulator --addr 127.0.0.1:8090 --db sandbox.db --webhook-url http://127.0.0.1:8080/portone/webhook\n" +
			`curl -s -X POST 127.0.0.1:8090/__emulator/payments -d '{"merchant_uid":"order-1","amount":15000,"outcome":"paid"}'`,
	}
}

// controlAPIText lists the control API for --help, one endpoint a
// paragraph.
func controlAPIText() string {
	var b strings.Builder
	for _, c := range emulator.ControlAPI() {
		fmt.Fprintf(&b, "  %s %s\n", c.Method, c.Path)
		line := "     "
		for _, word := range strings.Fields(c.Doc) {
			if len(line)+1+len(word) > 76 {
				b.WriteString(line + "\n")
				line = "     "
			}
			line += " " + word
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// parseEmulatorFlags reads the emulator subcommand's flags.
func parseEmulatorFlags(env Env) (emulatorConfig, error) {
	var c emulatorConfig
	fs := flag.NewFlagSet("payresult emulator", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8090", "listen `address`")
	fs.StringVar(&c.db, "db", "", "keep the sandbox's state in this `database`: a SQLite file or a postgres:// URL (default: in memory)")
	fs.StringVar(&c.APIKey, "api-key", emulator.DefaultAPIKey, "REST API key (imp_key) that getToken accepts")
	fs.StringVar(&c.APISecret, "api-secret", emulator.DefaultAPISecret, "REST API secret (imp_secret) that getToken accepts")
	fs.StringVar(&c.MerchantCode, "merchant-code", emulator.DefaultMerchantCode, "merchant code for IMP.init (imp + 8 digits)")
	fs.StringVar(&c.WebhookURL, "webhook-url", "", "the console webhook `URL` (a payment's notice_url replaces it)")
	fs.StringVar(&c.WebhookContentType, "webhook-content-type", "application/json", "webhook body: application/json or application/x-www-form-urlencoded")
	fs.IntVar(&c.WebhookRetries, "webhook-retries", 0, "resends of a webhook answered with 5xx or lost (0-5)")
	fs.DurationVar(&c.WebhookRetryInterval, "webhook-retry-interval", time.Minute, "time between webhook resends")
	fs.Int64Var(&c.Seed, "seed", 0, "seed for ids and tokens: the same seed gives the same ids (default: random per start)")
	fs.BoolVar(&c.Sandbox, "sandbox", false, "mark payments as test-channel payments (sandbox:true; lookups then need include_sandbox=true)")
	fs.BoolVar(&c.PartialCancelKeepsPaid, "partial-cancel-keeps-paid", false, "leave a partly cancelled payment in status paid")
	fs.StringVar(&c.PublicURL, "public-url", "", "`URL` browsers use to reach the emulator (default: from each request)")
	fs.StringVar(&c.V2.APISecret, "v2-api-secret", emulator.DefaultV2APISecret, "V2 API secret (Authorization: PortOne <secret>, POST /login/api-secret)")
	fs.StringVar(&c.V2.StoreID, "v2-store-id", emulator.DefaultV2StoreID, "V2 storeId of the sandbox's store")
	fs.StringVar(&c.V2.WebhookURL, "v2-webhook-url", "", "V2 console webhook `URL` (a payment's noticeUrls replace it)")
	fs.StringVar(&c.V2.WebhookSecret, "v2-webhook-secret", emulator.DefaultV2WebhookSecret, "V2 webhook secret (base64, with or without whsec_) that signs V2 webhooks")
	fs.StringVar(&c.V2.WebhookVersion, "v2-webhook-version", "2024-04-25", "V2 webhook payload version: 2024-04-25 or 2024-01-01")
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			emulatorHelp().write(env.Stdout, fs)
			return c, err
		}
		return c, usageError(env, "emulator", err)
	}
	if fs.NArg() > 0 {
		return c, usageError(env, "emulator", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	switch c.WebhookContentType {
	case "application/json", "application/x-www-form-urlencoded":
	default:
		return c, usageError(env, "emulator", fmt.Errorf("--webhook-content-type %q is not application/json or application/x-www-form-urlencoded", c.WebhookContentType))
	}
	if c.WebhookRetries < 0 || c.WebhookRetries > 5 {
		return c, usageError(env, "emulator", errors.New("--webhook-retries must be between 0 and 5"))
	}
	switch c.V2.WebhookVersion {
	case "2024-04-25", "2024-01-01":
	default:
		return c, usageError(env, "emulator", fmt.Errorf("--v2-webhook-version %q is not 2024-04-25 or 2024-01-01", c.V2.WebhookVersion))
	}
	if _, err := portonev2.WebhookKey(c.V2.WebhookSecret); err != nil {
		return c, usageError(env, "emulator", errors.New("--v2-webhook-secret is not base64 (after an optional whsec_); make one with: openssl rand -base64 32"))
	}
	if c.Seed == 0 {
		c.Seed = randomSeed()
	}
	return c, nil
}

// randomSeed is a seed no earlier start is likely to have drawn.
func randomSeed() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]) >> 1)
}

// runEmulator serves the offline PortOne sandbox, V1 and V2, until ctx
// ends.
func runEmulator(ctx context.Context, env Env) error {
	c, err := parseEmulatorFlags(env)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	c.Logger = slog.New(slog.NewTextHandler(env.Stderr, nil))
	var storage emulator.Storage
	kept := "in memory"
	if c.db != "" {
		dbCfg := &serveConfig{DB: c.db}
		db, err := openStore(ctx, dbCfg)
		if err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
		defer db.Close()
		storage = sandboxStorage(db)
		kept = "kept in " + c.db
		if dbCfg.IsPostgres() {
			kept = "kept in PostgreSQL"
		}
	}
	em, err := openEmulator(ctx, c.Config, storage)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	defer em.Close()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(env.Stdout, "payresult emulator: PortOne V1 sandbox at %s (imp_key %s, imp_secret %s, merchant code %s); iamport.js at %s/v1/iamport.js, control API at %s/__emulator/; state %s\n",
		url, c.APIKey, c.APISecret, c.MerchantCode, url, url, kept)
	ec := em.Config().V2
	fmt.Fprintf(env.Stdout, "payresult emulator: PortOne V2 sandbox at %s (API secret %s, storeId %s, test channelKey %s, webhook secret %s); browser SDK at %s/v2/browser-sdk.js\n",
		url, ec.APISecret, ec.StoreID, emulator.DefaultV2ChannelKey, ec.WebhookSecret, url)
	srv := &http.Server{Handler: em, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("emulator: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("emulator: shutting down: %w", err)
	}
	return nil
}
