package emulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
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
	ID int `json:"id"`
	// API is "v1" or "v2".
	API            string         `json:"api"`
	ImpUID         string         `json:"imp_uid,omitempty"`
	MerchantUID    string         `json:"merchant_uid,omitempty"`
	Status         portone.Status `json:"status,omitempty"`
	CancellationID string         `json:"cancellation_id,omitempty"`
	// PaymentID and Type are a V2 webhook's paymentId and type
	// (Transaction.Paid, ...).
	PaymentID string `json:"payment_id,omitempty"`
	Type      string `json:"type,omitempty"`
	// Headers are a V2 webhook's Standard Webhooks headers, as sent.
	Headers     map[string]string `json:"headers,omitempty"`
	URL         string            `json:"url"`
	ContentType string            `json:"content_type"`
	Body        string            `json:"body"`
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

// message is one webhook to deliver, V1's or V2's.
type message struct {
	// entry is what the log records of every attempt.
	entry       WebhookDelivery
	body        []byte
	contentType string
	// sign gives the headers of one attempt; nil for V1's unsigned ones.
	sign func(at time.Time) http.Header
	// retries is how many times a failed delivery is sent again, and
	// wait how long before retry n (1, 2, ...).
	retries int
	wait    func(n int) time.Duration
	// first is the timeout of the first attempt, resend of the others.
	first, resend time.Duration
}

// v1Message is a V1 notice as the faults and the console send it.
func v1Message(n notice, contentType string, f Faults) message {
	if f.WebhookContentType != "" {
		contentType = f.WebhookContentType
	}
	interval := time.Duration(f.WebhookRetryInterval)
	return message{
		entry: WebhookDelivery{API: "v1", ImpUID: n.ImpUID, MerchantUID: n.MerchantUID, Status: n.Status,
			CancellationID: n.CancellationID},
		body: n.encode(contentType), contentType: contentType, retries: f.WebhookRetries,
		wait:  func(int) time.Duration { return interval },
		first: webhookConnectTimeout + webhookReadTimeout, resend: webhookResendTimeout,
	}
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

// send delivers the V1 notice n to every URL of t in the background,
// with the faults in force. Delivery waits until gate is closed (nil: no
// wait). The returned channel is closed when every attempt has finished.
func (s *webhookSender) send(t webhookTarget, n notice, gate <-chan struct{}) <-chan struct{} {
	f := s.e.Faults()
	return s.deliverAll(t.urls, v1Message(n, t.contentType, f), gate, f)
}

// deliverAll delivers m to every URL in the background.
func (s *webhookSender) deliverAll(urls []string, m message, gate <-chan struct{}, f Faults) <-chan struct{} {
	done := make(chan struct{})
	s.mu.Lock()
	if s.closed || len(urls) == 0 {
		s.mu.Unlock()
		close(done)
		return done
	}
	ctx, wg := s.ctx, s.wg
	wg.Add(1)
	s.mu.Unlock()
	drop, dup := s.e.webhookFaultDecision(f)
	go func() {
		defer wg.Done()
		defer close(done)
		if !waitGate(ctx, gate, time.Duration(f.WebhookDelay)) {
			return
		}
		var each sync.WaitGroup
		for _, u := range urls {
			each.Go(func() {
				copies := 1
				if dup {
					copies = 2
				}
				for c := 1; c <= copies; c++ {
					s.deliver(ctx, u, m, c, drop)
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
func (s *webhookSender) deliver(ctx context.Context, u string, m message, copyNo int, drop bool) {
	entry := m.entry
	entry.URL, entry.ContentType, entry.Body, entry.Copy = u, m.contentType, string(m.body), copyNo
	if drop {
		entry.Attempt, entry.Dropped, entry.At = 1, true, s.e.now()
		s.record(entry)
		return
	}
	for attempt := 1; attempt <= 1+m.retries; attempt++ {
		if attempt > 1 && !waitGate(ctx, nil, m.wait(attempt-1)) {
			return
		}
		entry.Attempt, entry.At = attempt, s.e.now()
		var h http.Header
		if m.sign != nil {
			h = m.sign(entry.At)
			entry.Headers = map[string]string{}
			for k := range h {
				entry.Headers[strings.ToLower(k)] = h.Get(k)
			}
		}
		timeout := m.resend
		if attempt == 1 {
			timeout = m.first
		}
		entry.StatusCode, entry.Error = s.post(ctx, u, m.contentType, m.body, h, timeout)
		s.record(entry)
		s.e.log.Info("emulator webhook", "api", entry.API, "url", u, "imp_uid", entry.ImpUID, "payment_id", entry.PaymentID,
			"status", entry.Status, "type", entry.Type, "attempt", attempt, "answer", entry.StatusCode, "error", entry.Error)
		if entry.Error == "" && entry.StatusCode < 500 {
			return
		}
	}
}

// post makes one HTTP attempt within timeout.
func (s *webhookSender) post(ctx context.Context, u, ct string, body []byte, h http.Header, timeout time.Duration) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	for k, vs := range h {
		req.Header[k] = vs
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
