package web

import (
	_ "embed"
	"net/http"
	"strings"
)

// faviconSVG is payresult's icon: a tick on blue.
//
//go:embed favicon.svg
var faviconSVG []byte

// favicon serves the icon at /favicon.svg, which the pages link, and at
// /favicon.ico, where browsers look by themselves.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(faviconSVG)
}

// wantsHTML reports whether r comes from a browser navigating to a page
// rather than from a program: its Accept names HTML. API clients send
// application/json or */*, and get JSON errors.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html") && !strings.HasPrefix(r.URL.Path, "/api/")
}

// notFoundPage is the 404 a browser sees: a page with a way home.
func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, r, http.StatusNotFound, "notfound.html", &pageData{Title: "페이지를 찾을 수 없습니다 · Page not found", Sandbox: s.cfg.Sandbox})
}
