package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"path"
	"strings"
)

// The buyer pages' stylesheet and script, served apart from the pages so
// that a browser fetches them once: each page is then a fraction of the
// bytes (a paid page 1.1 kB instead of 4.3 kB).
//
//go:embed assets/page.css assets/page.js
var assetFS embed.FS

// assetVersion is a hash of the assets, put in their URLs (asset), so
// that they can be cached for a year and a new release is still fetched
// at once.
var assetVersion = func() string {
	h := sha256.New()
	for _, name := range []string{"assets/page.css", "assets/page.js"} {
		b, _ := assetFS.ReadFile(name)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// assetURL is the address of the asset name, with its version.
func assetURL(name string) string { return "/assets/" + name + "?v=" + assetVersion }

// The tags that link the assets, made once: a page pastes them as they
// are rather than building and escaping two URLs each time.
var (
	stylesheetTag = template.HTML(`<link rel="stylesheet" href="` + assetURL("page.css") + `">`)
	scriptTag     = template.HTML(`<script src="` + assetURL("page.js") + `" defer></script>`)
)

// asset serves /assets/{name}: the stylesheet or the script of the
// buyer pages.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	b, err := assetFS.ReadFile("assets/" + r.PathValue("name"))
	if err != nil {
		s.notFound(w, r)
		return
	}
	switch path.Ext(r.PathValue("name")) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	if r.URL.Query().Get("v") == assetVersion {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write(b)
}

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
