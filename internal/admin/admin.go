// Package admin is payresult's operator page at /admin: orders with
// counts by status, search by merchant_uid or imp_uid, an order's whole
// timeline (attempts, notices, PortOne look-ups, transitions, events and
// their deliveries), dead events with a resend action, the reconciler's
// state, and a chart of payments per minute.
//
// It reads everything from the Store, so it shows the same picture from
// every instance that shares a database. It is plain server-rendered HTML
// (the chart is inline SVG) with a few lines of JavaScript, protected by
// HTTP Basic authentication with its own password; the one action that
// changes anything (resending an event) is a POST guarded against
// cross-site requests.
package admin

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/payresult/payresult"
)

// Prefix is where the admin page is mounted.
const Prefix = "/admin"

// User is the Basic authentication user name of the admin page.
const User = "admin"

// MinPasswordLen keeps a live admin password out of guessing range.
const MinPasswordLen = 12

//go:embed templates/*.html
var templateFS embed.FS

// Config is what the admin page needs. Store and Password are required.
type Config struct {
	Store payresult.Store
	// Password is what operators type with the user name "admin".
	Password string
	// Now defaults to time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Handler serves the admin page. Create it with New.
type Handler struct {
	cfg  Config
	log  *slog.Logger
	tmpl *template.Template
	mux  http.Handler
	csrf string // the form token of the resend action
}

// New returns the admin page for cfg, or an error when cfg lacks its
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

// routes lists the admin page's own surface, under Prefix.
func (h *Handler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET "+Prefix+"/{$}", h.dashboard)
	mux.HandleFunc("GET "+Prefix+"/orders/{merchant_uid}", h.orderPage)
	mux.Handle("POST "+Prefix+"/events/{id}/resend", http.NewCrossOriginProtection().Handler(http.HandlerFunc(h.resend)))
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		h.message(w, http.StatusNotFound, "No such admin page.")
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
		h.message(w, http.StatusUnauthorized, "The admin page needs its password (user admin).")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// render executes a page template into a buffer first, so that a failure
// half-way never sends half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("admin: rendering a page", "page", name, "err", err)
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
	h.render(w, status, "message.html", messageData{Title: http.StatusText(status), Text: text})
}

// fail logs err and shows the operator what kind of failure it was,
// without internal detail.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, text := http.StatusInternalServerError, "Something failed; see payresult's log."
	switch payresult.KindOf(err) {
	case payresult.KindNotFound:
		status, text = http.StatusNotFound, "Not found."
	case payresult.KindInvalid:
		status, text = http.StatusBadRequest, err.Error()
	case payresult.KindTransient:
		status, text = http.StatusServiceUnavailable, "The database does not answer; try again shortly."
	}
	if status >= 500 {
		h.log.Error("admin", "path", r.URL.Path, "err", err)
	}
	h.message(w, status, text)
}
