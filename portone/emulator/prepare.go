package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/payresult/payresult/portone"
)

// maxMerchantUID is PortOne's length limit on merchant_uid.
const maxMerchantUID = 40

// readPrepared reads the body of POST and PUT /payments/prepare. The
// amount must count in the minor unit of the currency (KRW when none is
// given).
func readPrepared(r *http.Request) (portone.Prepared, error) {
	p, err := readParams(r)
	if err != nil {
		return portone.Prepared{}, err
	}
	m := p.get("merchant_uid")
	amount, ok, err := p.amount("amount")
	switch {
	case err != nil:
		return portone.Prepared{}, err
	case m == "" || len(m) > maxMerchantUID:
		return portone.Prepared{}, fmt.Errorf("merchant_uid: give 1 to %d characters", maxMerchantUID)
	case !ok || amount.Sign() < 0:
		return portone.Prepared{}, errors.New("amount: give a number, 0 or more")
	}
	prep := portone.Prepared{MerchantUID: m, Amount: amount, Currency: p.get("currency")}
	if err := checkAmount("amount", amount, prep.Currency); err != nil {
		return portone.Prepared{}, err
	}
	return prep, nil
}

// failPrepareParams answers a prepare request PortOne refuses, with what
// is wrong after PortOne's message.
func failPrepareParams(w http.ResponseWriter, err error) {
	writeFail(w, http.StatusBadRequest, -1, portone.MsgPrepareParams+" ("+err.Error()+")")
}

// preparedAnswer is a prepared amount as PortOne answers it
// (PaymentPrepareAnnotation): currency is null when the amount was
// registered without one.
type preparedAnswer struct {
	MerchantUID string             `json:"merchant_uid"`
	Amount      portone.Amount     `json:"amount"`
	Currency    portone.NullString `json:"currency"`
}

func answerPrepared(p portone.Prepared) preparedAnswer {
	a := preparedAnswer{MerchantUID: p.MerchantUID, Amount: p.Amount}
	if p.Currency != "" {
		a.Currency = portone.NewNullString(p.Currency)
	}
	return a
}

// setPrepared saves and records prep. Callers hold mu.
func (e *Emulator) setPrepared(prep portone.Prepared) error {
	if err := e.persist("saving prepared amount "+prep.MerchantUID, func(ctx context.Context, s Storage) error {
		return s.Put(ctx, kindPrepared, prep.MerchantUID, phpJSON(answerPrepared(prep)))
	}); err != nil {
		return err
	}
	e.ledger.prepared[prep.MerchantUID] = prep
	return nil
}

// handlePrepare serves POST /payments/prepare. A merchant_uid can be
// registered once; a second registration is a business error (HTTP 200).
func (e *Emulator) handlePrepare(w http.ResponseWriter, r *http.Request) {
	prep, err := readPrepared(r)
	if err != nil {
		failPrepareParams(w, err)
		return
	}
	e.mu.Lock()
	_, dup := e.ledger.prepared[prep.MerchantUID]
	if !dup {
		err = e.setPrepared(prep)
	}
	e.mu.Unlock()
	switch {
	case err != nil:
		writeFail(w, http.StatusInternalServerError, -1, err.Error())
	case dup:
		writeFail(w, http.StatusOK, 1, portone.MsgPrepareDuplicate)
	default:
		writeOK(w, answerPrepared(prep))
	}
}

// handleUpdatePrepared serves PUT /payments/prepare: 404 unless the
// merchant_uid was registered. The registration is replaced whole: an
// update without a currency drops the currency check, as PortOne
// documents (null means no currency check).
func (e *Emulator) handleUpdatePrepared(w http.ResponseWriter, r *http.Request) {
	prep, err := readPrepared(r)
	if err != nil {
		failPrepareParams(w, err)
		return
	}
	e.mu.Lock()
	_, found := e.ledger.prepared[prep.MerchantUID]
	if found {
		err = e.setPrepared(prep)
	}
	e.mu.Unlock()
	switch {
	case err != nil:
		writeFail(w, http.StatusInternalServerError, -1, err.Error())
	case !found:
		writeFail(w, http.StatusNotFound, -1, portone.MsgPrepareNotFound)
	default:
		writeOK(w, answerPrepared(prep))
	}
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
	writeOK(w, answerPrepared(prep))
}

// Prepare registers amount for merchantUID as POST /payments/prepare
// would, replacing an earlier registration.
func (e *Emulator) Prepare(p portone.Prepared) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.setPrepared(p)
}
