package emulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/payresult/payresult/portone"
)

// PortOne's webhook transport (protocol reference §6.3).
const (
	webhookConnectTimeout = 10 * time.Second
	webhookReadTimeout    = 30 * time.Second
	webhookResendTimeout  = 15 * time.Second
	maxWebhookRetries     = 5
)

// webhookTarget is where one payment's webhooks go: its notice_url(s), or
// the console URL, in the console's content type.
type webhookTarget struct {
	urls        []string
	contentType string
}

// defaultHookTarget is the console setting. Callers may hold mu.
func (e *Emulator) defaultHookTarget() webhookTarget {
	t := webhookTarget{contentType: e.cfg.WebhookContentType}
	if e.cfg.WebhookURL != "" {
		t.urls = []string{e.cfg.WebhookURL}
	}
	return t
}

// notice is the body of a V1 webhook, in PortOne's key order.
type notice struct {
	ImpUID         string         `json:"imp_uid"`
	MerchantUID    string         `json:"merchant_uid"`
	Status         portone.Status `json:"status"`
	CancellationID string         `json:"cancellation_id,omitempty"`
}

// encode returns the body in contentType.
func (n notice) encode(contentType string) []byte {
	if contentType == contentTypeForm {
		s := "imp_uid=" + url.QueryEscape(n.ImpUID) + "&merchant_uid=" + url.QueryEscape(n.MerchantUID) +
			"&status=" + url.QueryEscape(string(n.Status))
		if n.CancellationID != "" {
			s += "&cancellation_id=" + url.QueryEscape(n.CancellationID)
		}
		return []byte(s)
	}
	return phpJSON(n)
}

// WebhookDelivery is one webhook delivery attempt and its answer, or a
// delivery that a fault dropped.
type WebhookDelivery struct {
	ID             int            `json:"id"`
	ImpUID         string         `json:"imp_uid"`
	MerchantUID    string         `json:"merchant_uid"`
	Status         portone.Status `json:"status"`
	CancellationID string         `json:"cancellation_id,omitempty"`
	URL            string         `json:"url"`
	ContentType    string         `json:"content_type"`
	Body           string         `json:"body"`
	// Copy is 1, or 2 for the second copy a duplicate fault sends.
	Copy int `json:"copy"`
	// Attempt is 1 for the first try and counts the retries after it.
	Attempt int `json:"attempt"`
	// Dropped is true when a fault swallowed the webhook: it was never sent.
	Dropped bool `json:"dropped"`
	// StatusCode is the receiver's HTTP status; 0 on a network error.
	StatusCode int       `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	At         time.Time `json:"at"`
}

// webhookSender delivers webhooks in the background and logs every attempt.
type webhookSender struct {
	e      *Emulator
	client *http.Client

	mu     sync.Mutex
	ctx    context.Context
	stop   context.CancelFunc
	wg     *sync.WaitGroup
	closed bool
	log    []WebhookDelivery
}

func newWebhookSender(e *Emulator, client *http.Client) *webhookSender {
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: webhookConnectTimeout}).DialContext,
			ResponseHeaderTimeout: webhookReadTimeout,
			MaxIdleConnsPerHost:   16,
		}}
	}
	s := &webhookSender{e: e, client: client}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.wg = new(sync.WaitGroup)
	return s
}

// send delivers n to every URL of t in the background, with the faults in
// force. Delivery waits until gate is closed (nil: no wait). The returned
// channel is closed when every attempt has finished.
func (s *webhookSender) send(t webhookTarget, n notice, gate <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	f := s.e.Faults()
	s.mu.Lock()
	if s.closed || len(t.urls) == 0 {
		s.mu.Unlock()
		close(done)
		return done
	}
	ctx, wg := s.ctx, s.wg
	wg.Add(1)
	s.mu.Unlock()
	drop, dup := s.e.webhookFaultDecision(f)
	ct := t.contentType
	if f.WebhookContentType != "" {
		ct = f.WebhookContentType
	}
	go func() {
		defer wg.Done()
		defer close(done)
		if !waitGate(ctx, gate, time.Duration(f.WebhookDelay)) {
			return
		}
		var each sync.WaitGroup
		for _, u := range t.urls {
			each.Go(func() {
				copies := 1
				if dup {
					copies = 2
				}
				for c := 1; c <= copies; c++ {
					s.deliver(ctx, u, ct, n, c, drop, f)
				}
			})
		}
		each.Wait()
	}()
	return done
}

// waitGate waits for gate and then delay; false if the sender stopped.
func waitGate(ctx context.Context, gate <-chan struct{}, delay time.Duration) bool {
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return false
		}
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// deliver makes the first attempt and the retries the policy allows:
// retry on network errors and 5xx, stop on 2xx and 4xx.
func (s *webhookSender) deliver(ctx context.Context, u, ct string, n notice, copyNo int, drop bool, f Faults) {
	body := n.encode(ct)
	entry := WebhookDelivery{
		ImpUID: n.ImpUID, MerchantUID: n.MerchantUID, Status: n.Status, CancellationID: n.CancellationID,
		URL: u, ContentType: ct, Body: string(body), Copy: copyNo,
	}
	if drop {
		entry.Attempt, entry.Dropped, entry.At = 1, true, s.e.now()
		s.record(entry)
		return
	}
	for attempt := 1; attempt <= 1+f.WebhookRetries; attempt++ {
		if attempt > 1 && !waitGate(ctx, nil, time.Duration(f.WebhookRetryInterval)) {
			return
		}
		entry.Attempt, entry.At = attempt, s.e.now()
		entry.StatusCode, entry.Error = s.post(ctx, u, ct, body, attempt == 1)
		s.record(entry)
		s.e.log.Info("emulator webhook", "url", u, "imp_uid", n.ImpUID, "status", n.Status,
			"attempt", attempt, "answer", entry.StatusCode, "error", entry.Error)
		if entry.Error == "" && entry.StatusCode < 500 {
			return
		}
	}
}

// post makes one HTTP attempt with PortOne's timeouts: connect 10 s and
// read 30 s for the first, 15 s in all for a resend.
func (s *webhookSender) post(ctx context.Context, u, ct string, body []byte, first bool) (int, string) {
	timeout := webhookResendTimeout
	if first {
		timeout = webhookConnectTimeout + webhookReadTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", ct)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, ""
}

func (s *webhookSender) record(d WebhookDelivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = len(s.log) + 1
	s.log = append(s.log, d)
}

// Webhooks returns every webhook delivery attempt so far, in the order
// the attempts finished.
func (e *Emulator) Webhooks() []WebhookDelivery {
	s := e.hooks
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WebhookDelivery{}, s.log...)
}

// close stops deliveries in flight and waits for them.
func (s *webhookSender) close() {
	s.mu.Lock()
	s.closed = true
	s.stop()
	wg := s.wg
	s.mu.Unlock()
	wg.Wait()
}

// reset stops deliveries in flight, forgets the log and starts afresh.
func (s *webhookSender) reset() {
	s.mu.Lock()
	s.stop()
	wg := s.wg
	s.mu.Unlock()
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	if !s.closed {
		s.ctx, s.stop = context.WithCancel(context.Background())
		s.wg = new(sync.WaitGroup)
	}
}

// String describes a delivery for test failure messages.
func (d WebhookDelivery) String() string {
	return fmt.Sprintf("#%d %s %s copy=%d attempt=%d dropped=%v answer=%d %s", d.ID, d.URL, d.Body, d.Copy, d.Attempt, d.Dropped, d.StatusCode, d.Error)
}
