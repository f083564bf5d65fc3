package emulator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// PortOne V2 keeps an Idempotency-Key and its answer for three hours.
const idempotencyLifetime = 3 * time.Hour

// idemEntry is one Idempotency-Key: the request it was first sent with
// and, once that finished, its answer.
type idemEntry struct {
	Fingerprint string    `json:"fingerprint"`
	Done        bool      `json:"done"`
	Status      int       `json:"status,omitempty"`
	Body        []byte    `json:"body,omitempty"`
	Expires     time.Time `json:"expires"`
}

// idempotencyKey reads the Idempotency-Key header: an RFC 8941 string
// ("..."), or the bare text, of 16 to 256 ASCII characters. ok is false
// for a header that breaks those rules.
func idempotencyKey(r *http.Request) (key string, present, ok bool) {
	h := r.Header.Get("Idempotency-Key")
	if h == "" {
		return "", false, true
	}
	key = h
	if strings.HasPrefix(h, `"`) {
		k, err := strconv.Unquote(h)
		if err != nil {
			return "", true, false
		}
		key = k
	}
	if len(key) < 16 || len(key) > 256 {
		return "", true, false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", true, false
		}
	}
	return key, true, true
}

// idempotent wraps a V2 POST as PortOne honours Idempotency-Key: the
// first request with a key runs; a repeat of it, once it finished, gets
// the same status and body and changes nothing; a repeat while the first
// is still running gets 409 IDEMPOTENCY_OUTSTANDING_REQUEST; the same key
// with another request is refused. Keys are kept three hours, and saved
// in the Storage so that a restart forgets none.
func (e *Emulator) idempotent(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, present, ok := idempotencyKey(r)
		if !present {
			h(w, r)
			return
		}
		if !ok {
			writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", "Idempotency-Key must be 16 to 256 ASCII characters, as an RFC 8941 string")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", errBody.Error())
			return
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		fp := hex.EncodeToString(sum[:])
		if ent, fresh := e.claimKey(key, fp); !fresh {
			switch {
			case ent.Fingerprint != fp:
				writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", "this Idempotency-Key was used with another request")
			case !ent.Done:
				writeV2Error(w, http.StatusConflict, "IDEMPOTENCY_OUTSTANDING_REQUEST", "a request with this Idempotency-Key is still being processed")
			default:
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(ent.Status)
				w.Write(ent.Body)
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h(rec, r)
		e.finishKey(key, rec.Code, rec.Body.Bytes())
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}
}

// claimKey returns the entry of key; fresh is true when there was none (or
// it had expired), and a new one, running, now holds the key.
func (e *Emulator) claimKey(key, fp string) (idemEntry, bool) {
	e.idemMu.Lock()
	defer e.idemMu.Unlock()
	now := e.now()
	if ent, ok := e.idem[key]; ok && now.Before(ent.Expires) {
		return *ent, false
	}
	e.idem[key] = &idemEntry{Fingerprint: fp, Expires: now.Add(idempotencyLifetime)}
	return idemEntry{}, true
}

// finishKey records the answer of key's request. A 5xx answer frees the
// key, so that a retry runs again, as a request that failed inside PortOne
// changed nothing.
func (e *Emulator) finishKey(key string, status int, body []byte) {
	e.idemMu.Lock()
	defer e.idemMu.Unlock()
	ent := e.idem[key]
	if ent == nil {
		return
	}
	if status >= 500 {
		delete(e.idem, key)
		return
	}
	ent.Done, ent.Status, ent.Body = true, status, append([]byte(nil), body...)
	if err := e.persist("saving an Idempotency-Key", func(ctx context.Context, s Storage) error {
		return s.Put(ctx, kindV2Idempotency, key, mustMarshal(ent))
	}); err != nil {
		e.log.Error("emulator: Idempotency-Key not saved; a retry after a restart would run again", "err", err)
	}
}

// loadIdempotency reads the keys still in force.
func (e *Emulator) loadIdempotency(ctx context.Context) error {
	now := e.now()
	keys := map[string]*idemEntry{}
	err := loadKind(ctx, e.store, kindV2Idempotency, func(id string, v []byte) error {
		var ent idemEntry
		if err := json.Unmarshal(v, &ent); err != nil {
			return err
		}
		if ent.Done && now.Before(ent.Expires) {
			keys[id] = &ent
		}
		return nil
	})
	if err == nil {
		e.idemMu.Lock()
		e.idem = keys
		e.idemMu.Unlock()
	}
	return err
}
