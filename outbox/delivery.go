package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/payresult/payresult"
)

// maxErrorBody is how much of a failed answer is kept as the last error.
const maxErrorBody = 256

// Body returns the JSON body that delivers ev: its
// payresult.EventEnvelope.
func Body(ev *payresult.Event) ([]byte, error) {
	return json.Marshal(ev.Envelope())
}

// send POSTs ev to the app once. It returns nil only for a 2xx answer.
func (w *Worker) send(ctx context.Context, ev *payresult.Event) error {
	body, err := Body(ev)
	if err != nil {
		return fmt.Errorf("encoding the event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := w.now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "payresult-events/1")
	req.Header.Set(payresult.HeaderWebhookID, ev.ID)
	req.Header.Set(payresult.HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(payresult.HeaderWebhookSignature, payresult.SignWebhook(w.Secret, ev.ID, ts, body))
	res, err := w.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	// Drain a little more so that the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 == 2 {
		return nil
	}
	text := strings.TrimSpace(string(snippet))
	if text == "" {
		return fmt.Errorf("the app answered HTTP %d", res.StatusCode)
	}
	return fmt.Errorf("the app answered HTTP %d: %s", res.StatusCode, text)
}

var defaultHTTPClient = sync.OnceValue(func() *http.Client {
	return &http.Client{
		// A redirect would turn the POST into a GET; treat it as a failure
		// that the app's operator can see in the last error.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
})

func (w *Worker) httpClient() *http.Client {
	if w.HTTPClient != nil {
		return w.HTTPClient
	}
	return defaultHTTPClient()
}
