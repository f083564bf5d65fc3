package emulator

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/payresult/payresult/portone"
)

// Token rules of PortOne (protocol reference §2.1).
const (
	tokenLifetime  = 30 * 60 // seconds
	tokenExtendIn  = 60      // a re-request this close to expiry...
	tokenExtension = 5 * 60  // ...pushes the expiry out by this much
)

// accessToken is the one token in force. It is replaced, never mutated,
// so the lookup path can read it without a lock.
type accessToken struct {
	value     string
	expiredAt portone.Time
}

// tokenV1 is the id under which the V1 token in force is saved.
const tokenV1 = "v1"

// savedToken is an accessToken as the Storage keeps it.
type savedToken struct {
	Value     string       `json:"value"`
	ExpiredAt portone.Time `json:"expired_at"`
}

func (t *accessToken) encode() []byte {
	return phpJSON(savedToken{Value: t.value, ExpiredAt: t.expiredAt})
}

func decodeToken(b []byte) (*accessToken, error) {
	var s savedToken
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &accessToken{value: s.Value, expiredAt: s.ExpiredAt}, nil
}

// tokenAnswer is the response of POST /users/getToken, in PortOne's key order.
type tokenAnswer struct {
	AccessToken string       `json:"access_token"`
	Now         portone.Time `json:"now"`
	ExpiredAt   portone.Time `json:"expired_at"`
}

// issueToken applies §2.1: the same token before expiry, five more
// minutes when at most one minute is left, a new token after expiry. A
// token that changed is saved before it is handed out.
func (e *Emulator) issueToken() (tokenAnswer, error) {
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	now := e.nowUnix()
	cur := e.token.Load()
	next := cur
	switch {
	case cur != nil && now < cur.expiredAt:
		if cur.expiredAt-now <= tokenExtendIn {
			next = &accessToken{value: cur.value, expiredAt: cur.expiredAt + tokenExtension}
		}
	default:
		e.mu.Lock()
		var raw [20]byte
		for i := range raw {
			raw[i] = byte(e.rng.UintN(256))
		}
		e.mu.Unlock()
		next = &accessToken{value: hex.EncodeToString(raw[:]), expiredAt: now + tokenLifetime}
	}
	if next != cur {
		e.mu.Lock()
		err := e.persist("saving the access token", func(ctx context.Context, s Storage) error {
			return s.Put(ctx, kindToken, tokenV1, next.encode())
		})
		e.mu.Unlock()
		if err != nil {
			return tokenAnswer{}, err
		}
		e.token.Store(next)
	}
	return tokenAnswer{AccessToken: next.value, Now: now, ExpiredAt: next.expiredAt}, nil
}

// handleGetToken serves POST /users/getToken.
func (e *Emulator) handleGetToken(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil || !p.has("imp_key") || !p.has("imp_secret") {
		writeFail(w, http.StatusBadRequest, -1, portone.MsgMissingKeySecret)
		return
	}
	keyOK := subtle.ConstantTimeCompare([]byte(p.get("imp_key")), []byte(e.cfg.APIKey)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(p.get("imp_secret")), []byte(e.cfg.APISecret)) == 1
	if !keyOK || !secretOK {
		writeFail(w, http.StatusUnauthorized, -1, portone.MsgUnauthorized)
		return
	}
	tok, err := e.issueToken()
	if err != nil {
		writeFail(w, http.StatusInternalServerError, -1, err.Error())
		return
	}
	writeOK(w, tok)
}

// requestToken finds the token in any of the three forms PortOne
// accepts: "Authorization: Bearer t", "Authorization: t", and
// "X-ImpTokenHeader: t". Authorization wins when both are present.
func requestToken(r *http.Request) string {
	if a := r.Header.Get("Authorization"); a != "" {
		if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			return strings.TrimSpace(a[7:])
		}
		return strings.TrimSpace(a)
	}
	return strings.TrimSpace(r.Header.Get("X-ImpTokenHeader"))
}

// authorized reports whether r carries the token in force, unexpired.
func (e *Emulator) authorized(r *http.Request) bool {
	t := requestToken(r)
	cur := e.token.Load()
	return t != "" && cur != nil && e.nowUnix() < cur.expiredAt &&
		subtle.ConstantTimeCompare([]byte(t), []byte(cur.value)) == 1
}

// auth wraps a protected endpoint: 401 with PortOne's envelope unless the
// request carries a valid token.
func (e *Emulator) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !e.authorized(r) {
			writeFail(w, http.StatusUnauthorized, -1, portone.MsgUnauthorized)
			return
		}
		h(w, r)
	}
}
