package emulator

import (
	"net/http"

	"github.com/payresult/payresult/portone"
)

// maxMerchantUID is PortOne's length limit on merchant_uid.
const maxMerchantUID = 40

// readPrepared reads the body of POST and PUT /payments/prepare.
func readPrepared(r *http.Request) (portone.Prepared, bool) {
	p, err := readParams(r)
	if err != nil {
		return portone.Prepared{}, false
	}
	m := p.get("merchant_uid")
	amount, ok, err := p.amount("amount")
	if m == "" || len(m) > maxMerchantUID || !ok || err != nil || amount.Sign() < 0 {
		return portone.Prepared{}, false
	}
	return portone.Prepared{MerchantUID: m, Amount: amount, Currency: p.get("currency")}, true
}

// handlePrepare serves POST /payments/prepare. A merchant_uid can be
// registered once; a second registration is a business error (HTTP 200).
func (e *Emulator) handlePrepare(w http.ResponseWriter, r *http.Request) {
	prep, ok := readPrepared(r)
	if !ok {
		writeFail(w, http.StatusBadRequest, -1, portone.MsgPrepareParams)
		return
	}
	e.mu.Lock()
	_, dup := e.ledger.prepared[prep.MerchantUID]
	if !dup {
		e.ledger.prepared[prep.MerchantUID] = prep
	}
	e.mu.Unlock()
	if dup {
		writeFail(w, http.StatusOK, 1, portone.MsgPrepareDuplicate)
		return
	}
	writeOK(w, prep)
}

// handleUpdatePrepared serves PUT /payments/prepare: 404 unless the
// merchant_uid was registered.
func (e *Emulator) handleUpdatePrepared(w http.ResponseWriter, r *http.Request) {
	prep, ok := readPrepared(r)
	if !ok {
		writeFail(w, http.StatusBadRequest, -1, portone.MsgPrepareParams)
		return
	}
	e.mu.Lock()
	_, found := e.ledger.prepared[prep.MerchantUID]
	if found {
		e.ledger.prepared[prep.MerchantUID] = prep
	}
	e.mu.Unlock()
	if !found {
		writeFail(w, http.StatusNotFound, -1, portone.MsgPrepareNotFound)
		return
	}
	writeOK(w, prep)
}

// handlePrepared serves GET /payments/prepare/{merchant_uid}.
func (e *Emulator) handlePrepared(w http.ResponseWriter, r *http.Request) {
	e.mu.RLock()
	prep, ok := e.ledger.prepared[r.PathValue("merchant_uid")]
	e.mu.RUnlock()
	if !ok {
		writeFail(w, http.StatusNotFound, -1, portone.MsgPrepareNotFound)
		return
	}
	writeOK(w, prep)
}

// Prepare registers amount for merchantUID as POST /payments/prepare
// would, replacing an earlier registration.
func (e *Emulator) Prepare(p portone.Prepared) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ledger.prepared[p.MerchantUID] = p
}
