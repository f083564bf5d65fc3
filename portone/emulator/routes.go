package emulator

import (
	"net/http"
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
	mux.Handle("/", e.counted(e.apiFaults(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.isV2(r) {
			v2.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}))))
	e.browserRoutes(mux)
	e.v2WindowRoutes(mux)
	e.controlRoutes(mux)
	return mux
}
