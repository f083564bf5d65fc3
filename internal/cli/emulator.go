package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/payresult/payresult/portone/emulator"
)

// emulatorConfig is what the emulator subcommand's flags set.
type emulatorConfig struct {
	addr string
	emulator.Config
}

// parseEmulatorFlags reads the emulator subcommand's flags.
func parseEmulatorFlags(env Env) (emulatorConfig, error) {
	var c emulatorConfig
	fs := flag.NewFlagSet("payresult emulator", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8090", "listen `address`")
	fs.StringVar(&c.APIKey, "api-key", emulator.DefaultAPIKey, "REST API key (imp_key) that getToken accepts")
	fs.StringVar(&c.APISecret, "api-secret", emulator.DefaultAPISecret, "REST API secret (imp_secret) that getToken accepts")
	fs.StringVar(&c.MerchantCode, "merchant-code", emulator.DefaultMerchantCode, "merchant code for IMP.init (imp + 8 digits)")
	fs.StringVar(&c.WebhookURL, "webhook-url", "", "the console webhook `URL` (a payment's notice_url replaces it)")
	fs.StringVar(&c.WebhookContentType, "webhook-content-type", "application/json", "webhook body: application/json or application/x-www-form-urlencoded")
	fs.IntVar(&c.WebhookRetries, "webhook-retries", 0, "resends of a webhook answered with 5xx or lost (0-5)")
	fs.DurationVar(&c.WebhookRetryInterval, "webhook-retry-interval", time.Minute, "time between webhook resends")
	fs.Int64Var(&c.Seed, "seed", 1, "seed for ids and tokens (same seed, same ids)")
	fs.BoolVar(&c.Sandbox, "sandbox", false, "mark payments as test-channel payments (sandbox:true; lookups then need include_sandbox=true)")
	fs.BoolVar(&c.PartialCancelKeepsPaid, "partial-cancel-keeps-paid", false, "leave a partly cancelled payment in status paid")
	fs.StringVar(&c.PublicURL, "public-url", "", "`URL` browsers use to reach the emulator (default: from each request)")
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, ErrUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "payresult emulator: unexpected argument %q\n", fs.Arg(0))
		return c, ErrUsage
	}
	switch c.WebhookContentType {
	case "application/json", "application/x-www-form-urlencoded":
	default:
		fmt.Fprintf(env.Stderr, "payresult emulator: --webhook-content-type %q is not application/json or application/x-www-form-urlencoded\n", c.WebhookContentType)
		return c, ErrUsage
	}
	if c.WebhookRetries < 0 || c.WebhookRetries > 5 {
		fmt.Fprintln(env.Stderr, "payresult emulator: --webhook-retries must be between 0 and 5")
		return c, ErrUsage
	}
	return c, nil
}

// runEmulator serves the offline PortOne V1 sandbox until ctx ends.
func runEmulator(ctx context.Context, env Env) error {
	c, err := parseEmulatorFlags(env)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	c.Logger = slog.New(slog.NewTextHandler(env.Stderr, nil))
	em := emulator.New(c.Config)
	defer em.Close()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(env.Stdout, "payresult emulator: PortOne V1 sandbox at %s (imp_key %s, imp_secret %s, merchant code %s); iamport.js at %s/v1/iamport.js, control API at %s/__emulator/\n",
		url, c.APIKey, c.APISecret, c.MerchantCode, url, url)
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
