package emulator

import (
	"bytes"
	"net/http"
	"strings"
)

// msgNoSuchPath answers a path PortOne does not have.
const msgNoSuchPath = "Not Found"

// routes lists the emulator's whole HTTP surface: PortOne V1's and V2's
// REST APIs at the root, the browser scripts and windows, and the control
// API.
func (e *Emulator) routes() *http.ServeMux {
	api := http.NewServeMux()
	// PortOne's REST API, paths exactly as the real service has them.
	api.HandleFunc("POST /users/getToken", e.handleGetToken)
	api.HandleFunc("GET /payments/{imp_uid}", e.auth(e.handlePayment))
	api.HandleFunc("GET /payments", e.auth(e.handlePayments))
	api.HandleFunc("GET /payments/find/{merchant_uid}", e.auth(e.handleFind))
	api.HandleFunc("GET /payments/find/{merchant_uid}/{$}", e.auth(e.handleFind))
	api.HandleFunc("GET /payments/find/{merchant_uid}/{payment_status}", e.auth(e.handleFind))
	api.HandleFunc("GET /payments/findAll/{merchant_uid}", e.auth(e.handleFindAll))
	api.HandleFunc("GET /payments/findAll/{merchant_uid}/{$}", e.auth(e.handleFindAll))
	api.HandleFunc("GET /payments/findAll/{merchant_uid}/{payment_status}", e.auth(e.handleFindAll))
	api.HandleFunc("GET /payments/status/{payment_status}", e.auth(e.handleStatus))
	api.HandleFunc("POST /payments/prepare", e.auth(e.handlePrepare))
	api.HandleFunc("PUT /payments/prepare", e.auth(e.handleUpdatePrepared))
	api.HandleFunc("GET /payments/prepare/{merchant_uid}", e.auth(e.handlePrepared))
	api.HandleFunc("POST /payments/cancel", e.auth(e.handleCancel))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeFail(w, http.StatusNotFound, -1, msgNoSuchPath)
	})

	// V2's REST API shares the root with V1's: isV2 tells them apart.
	v2 := e.v2Routes()
	mux := http.NewServeMux()
	root := e.counted(e.apiFaults(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.isV2(r) {
			v2.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})))
	mux.Handle("/", root)
	// A browser opening the sandbox's address (serve's banner links it)
	// gets a page saying what is here; API clients get PortOne's 404.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			e.handleHome(w, r)
			return
		}
		root.ServeHTTP(w, r)
	})
	e.browserRoutes(mux)
	e.v2WindowRoutes(mux)
	e.controlRoutes(mux)
	return mux
}

// handleHome is the sandbox's page for people: its credentials, its
// browser scripts and its control API. Its links are relative, so that
// they hold under a mount prefix such as serve's /sandbox/.
func (e *Emulator) handleHome(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	err := homePage.Execute(&buf, map[string]any{
		"V1Key": e.cfg.APIKey, "V1Secret": e.cfg.APISecret, "MerchantCode": e.cfg.MerchantCode,
		"StoreID": e.cfg.V2.StoreID, "V2Secret": e.cfg.V2.APISecret, "Channels": e.cfg.V2.Channels,
		"Control": ControlAPI(),
	})
	if err != nil {
		e.log.Error("emulator: rendering the sandbox's home page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
