// Package admin is payresult's operator console at /admin, in Korean with
// English: orders with counts by status, search by merchant_uid or
// imp_uid, a filter for forged deposits that wait for the buyer's bank
// account, an order's whole timeline (attempts, notes, events and their
// deliveries), the reconciler's backlog, events delivery gave up on, and a
// chart of payments per minute.
//
// Three actions change things: re-check an order at PortOne now, refund
// an order (in full or in part, to the buyer's bank account for a deposit
// into a virtual account), and send an event to the app again. Each is a
// POST that the page asks the operator to confirm, guarded against
// cross-site requests, and written to the order's timeline with who asked.
//
// It reads everything from the Store, so it shows the same picture from
// every instance that shares a database. It is plain server-rendered HTML
// (the chart is inline SVG) with a few lines of JavaScript, protected by
// HTTP Basic authentication with its own password.
package admin

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/reconcile"
)

// Prefix is where the admin console is mounted.
const Prefix = "/admin"

// User is the Basic authentication user name of the admin console.
const User = "admin"

// MinPasswordLen keeps a live admin password out of guessing range.
const MinPasswordLen = 12

//go:embed templates/*.html
var templateFS embed.FS

// Store is what the admin console needs from a store: reading orders,
// their attempts, notes and events, and the three writes its actions
// make (a change of notes alone for the timeline, through Apply; an event
// put back in the outbox). payresult.Store has it all.
type Store interface {
	payresult.OrderStore
	Orders(ctx context.Context, f payresult.OrderFilter) ([]*payresult.Order, error)
	CountByStatus(ctx context.Context) (map[payresult.Status]int, error)
	Attempts(ctx context.Context, merchantUID string) ([]payresult.Attempt, error)
	Notes(ctx context.Context, merchantUID string) ([]payresult.Note, error)
	Events(ctx context.Context, after int64, limit int) ([]payresult.Event, error)
	OrderEvents(ctx context.Context, merchantUID string) ([]payresult.Event, error)
	ResendEvent(ctx context.Context, eventID string, at time.Time) error
}

// Config is what the admin console needs. Store and Password are
// required.
type Config struct {
	Store Store
	// Processor runs the re-check and refund actions; without one they
	// are not offered.
	Processor *payresult.Processor
	// Password is what operators type with the user name "admin".
	Password string
	// FeedOnly says that no events URL is configured: events stay in the
	// feed and are never delivered, so the console says "feed only"
	// rather than "pending", and offers no resend.
	FeedOnly bool
	// ClientAddr names who sent a request, for the timeline; nil means
	// the connection's address.
	ClientAddr func(*http.Request) string
	// Now defaults to time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Sweeps, when set, reports the reconciler's sweeps, shown beside its
	// backlog.
	Sweeps func() reconcile.SweepStatus
}

// Handler serves the admin console. Create it with New.
type Handler struct {
	cfg  Config
	log  *slog.Logger
	tmpl *template.Template
	mux  http.Handler
	csrf string // the form token of the actions
}

// New returns the admin console for cfg, or an error when cfg lacks its
// store or password.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("admin: no store")
	case cfg.Password == "":
		return nil, errors.New("admin: no password")
	}
	h := &Handler{cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.cfg.Now == nil {
		h.cfg.Now = time.Now
	}
	tmpl, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	h.tmpl = tmpl
	h.csrf = formToken(cfg.Password)
	h.mux = h.routes()
	return h, nil
}

// routes lists the admin console's own surface, under Prefix. Every
// action is a POST behind the cross-origin check and the form token.
func (h *Handler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET "+Prefix+"/{$}", h.dashboard)
	mux.HandleFunc("GET "+Prefix+"/orders/{merchant_uid}", h.orderPage)
	cross := http.NewCrossOriginProtection()
	cross.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.log.WarnContext(r.Context(), "admin: cross-origin action refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		h.message(w, http.StatusForbidden, "다른 사이트에서 보낸 요청은 받지 않습니다 · A request sent from another site is refused.")
	}))
	action := func(f http.HandlerFunc) http.Handler { return cross.Handler(h.checkToken(f)) }
	mux.Handle("POST "+Prefix+"/orders/{merchant_uid}/recheck", action(h.recheck))
	mux.Handle("POST "+Prefix+"/orders/{merchant_uid}/refund", action(h.refund))
	mux.Handle("POST "+Prefix+"/events/{id}/resend", action(h.resend))
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		h.message(w, http.StatusNotFound, "없는 페이지입니다 · No such admin page.")
	})
	return mux
}

// ServeHTTP implements http.Handler: every admin request must carry the
// password.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'")
	hd.Set("Referrer-Policy", "same-origin")
	if !h.authorized(r) {
		hd.Set("WWW-Authenticate", `Basic realm="payresult admin", charset="UTF-8"`)
		h.message(w, http.StatusUnauthorized, "관리자 비밀번호가 필요합니다 (사용자 admin) · The admin console needs its password (user admin).")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// render executes a page template into a buffer first, so that a failure
// half-way never sends half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.ErrorContext(r.Context(), "admin: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// messageData is the data of the message page.
type messageData struct {
	Title, Text string
}

// message renders a short page with text, for errors.
func (h *Handler) message(w http.ResponseWriter, status int, text string) {
	var buf bytes.Buffer
	_ = h.tmpl.ExecuteTemplate(&buf, "message.html", messageData{Title: http.StatusText(status), Text: text})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows the operator what kind of failure err was (see explain).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, text := h.explain(r, err)
	h.message(w, status, text)
}

// explain is how the console answers err: the app API's status for it
// (payresult.HTTPError), and payresult's own message for a refusal (a bad
// amount, an order that cannot be refunded, PortOne's refusal) or the
// operator's words for what is not one, never internal detail. A 5xx is
// logged.
func (h *Handler) explain(r *http.Request, err error) (int, string) {
	status, kind, text := payresult.HTTPError(err)
	switch kind {
	case payresult.KindIdempotencyKeyInUse:
		text = "같은 양식의 환불이 아직 진행 중입니다. 잠시 뒤 새로 고쳐 결과를 보세요 · The same form's refund is still running; reload in a moment to see how it ended"
	case payresult.KindIdempotencyMismatch:
		text = "이 페이지의 양식은 이미 다른 내용으로 보내졌습니다. 새로 고친 뒤 다시 정하세요 · This page's form was sent already with other details; reload it and decide again"
	case payresult.KindTransient:
		text = "PortOne 또는 데이터베이스가 응답하지 않습니다. 잠시 후 다시 하세요 · PortOne or the database does not answer; try again shortly"
	case payresult.KindInternal:
		text = "실패했습니다. payresult의 로그를 보세요 · Something failed; see payresult's log"
	}
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "admin: request failed", "path", r.URL.Path, "err", err)
	}
	return status, text
}
