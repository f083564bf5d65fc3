package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult/portone/emulator"
)

// sdkDir holds package.json and package-lock.json of PortOne's official
// SDKs; `npm ci` there (as .ci/run does) installs them unmodified.
const sdkDir = "testdata/portone-sdks"

// NodeEnv names the variable that makes a missing Node.js or SDK install a
// failure instead of a reason to skip; CI sets it.
const NodeEnv = "PAYRESULT_TEST_NODE"

// portoneSDKs returns the path of the installed SDKs and of node, or skips
// the test (fails it when PAYRESULT_TEST_NODE=required).
func portoneSDKs(t *testing.T) (dir, node string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(sdkDir, "node_modules", "@portone", "server-sdk", "package.json"))
	}
	if err == nil {
		_, err = os.Stat(filepath.Join(sdkDir, "node_modules", "@portone", "browser-sdk", "package.json"))
	}
	if err != nil {
		if os.Getenv(NodeEnv) == "required" {
			t.Fatalf("%s=required, but PortOne's SDKs are not installed (npm ci in %s): %v", NodeEnv, sdkDir, err)
		}
		t.Skipf("PortOne's SDKs are not installed (npm ci in %s; %s=required makes this a failure): %v", sdkDir, NodeEnv, err)
	}
	abs, err := filepath.Abs(sdkDir)
	if err != nil {
		t.Fatal(err)
	}
	return abs, node
}

// hookLog records the webhooks a merchant's endpoint receives.
type hookLog struct {
	mu   sync.Mutex
	hook []map[string]any
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	headers := map[string]string{}
	for _, k := range []string{"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"} {
		headers[k] = r.Header.Get(k)
	}
	h.mu.Lock()
	h.hook = append(h.hook, map[string]any{"headers": headers, "body": string(body)})
	h.mu.Unlock()
}

func (h *hookLog) received() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.hook...)
}

// TestServerSDK runs PortOne's official server SDK (npm
// @portone/server-sdk, unmodified) against the V2 sandbox: its payment
// client's get, list, pre-register and cancel (full, partial, a stale
// currentCancellableAmount refused), its error classes for an unknown
// payment and a bad secret, and its Webhook.verify on the sandbox's
// webhooks and on a tampered one. See testdata/portone-sdks/server-sdk.test.mjs.
func TestServerSDK(t *testing.T) {
	dir, node := portoneSDKs(t)
	hooks := &hookLog{}
	receiver := httptest.NewServer(hooks)
	t.Cleanup(receiver.Close)
	em := emulator.New(emulator.Config{Seed: 9, V2: emulator.V2Config{WebhookURL: receiver.URL}})
	srv := httptest.NewServer(em)
	t.Cleanup(func() { srv.Close(); em.Close() })

	for _, p := range []struct {
		id, method string
		amount     int64
		outcome    emulator.Outcome
	}{
		{"sdk-paid", "CARD", 20000, emulator.OutcomePaid},
		{"sdk-vbank", "VIRTUAL_ACCOUNT", 30000, emulator.OutcomeVbankIssued},
		{"sdk-failed", "CARD", 1000, emulator.OutcomeFailed},
	} {
		res, err := em.PayV2(emulator.V2PaymentRequest{StoreID: emulator.DefaultV2StoreID, ChannelKey: emulator.DefaultV2ChannelKey,
			PaymentID: p.id, OrderName: "SDK 주문", TotalAmount: p.amount, Currency: "KRW", PayMethod: p.method}, p.outcome)
		if err != nil {
			t.Fatal(err)
		}
		<-res.Webhooks
	}
	// Each payment sent two webhooks (Transaction.Ready and its outcome's):
	// poll the receiver until all six have arrived.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(10 * time.Second); len(hooks.received()) < 6 && time.Now().Before(deadline); {
		<-tick.C
	}
	file := filepath.Join(t.TempDir(), "webhooks.json")
	b, _ := json.Marshal(hooks.received())
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "server-sdk.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORTONE_BASE_URL="+srv.URL, "PORTONE_SECRET="+emulator.DefaultV2APISecret,
		"PORTONE_WEBHOOK_SECRET="+emulator.DefaultV2WebhookSecret, "WEBHOOKS_FILE="+file)
	out, err := cmd.CombinedOutput()
	t.Logf("node server-sdk.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("PortOne's server SDK against the sandbox: %v", err)
	}
}
