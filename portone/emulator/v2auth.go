package emulator

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// v2Token is a token V2's login handed out.
type v2Token struct {
	Kind    string    `json:"kind"` // "access" or "refresh"
	Expires time.Time `json:"expires"`
}

// v2Tokens are the V2 tokens in force. The Emulator's mu guards them.
type v2Tokens struct {
	byValue map[string]v2Token
	refresh string // the one refresh token in force: each login or refresh retires the last
}

func newV2Tokens() v2Tokens { return v2Tokens{byValue: map[string]v2Token{}} }

// writeV2Error answers PortOne V2's error envelope, type first.
func writeV2Error(w http.ResponseWriter, status int, typ, message string) {
	writeJSON(w, status, struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}{typ, message})
}

// isV2Token reports whether t is an access token V2's login issued, in
// force or not.
func (e *Emulator) isV2Token(t string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	tok, ok := e.ledger.v2tokens.byValue[t]
	return ok && tok.Kind == "access"
}

// v2Authorized checks r's credentials: the API secret, or an access token
// in force.
func (e *Emulator) v2Authorized(r *http.Request) bool {
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	value = strings.TrimSpace(value)
	switch {
	case strings.EqualFold(scheme, "PortOne"):
		return subtle.ConstantTimeCompare([]byte(value), []byte(e.cfg.V2.APISecret)) == 1
	case strings.EqualFold(scheme, "Bearer"):
		e.mu.RLock()
		tok, ok := e.ledger.v2tokens.byValue[value]
		e.mu.RUnlock()
		return ok && tok.Kind == "access" && e.now().Before(tok.Expires)
	}
	return false
}

// v2Auth wraps a V2 endpoint: 401 UNAUTHORIZED unless the request carries
// the API secret or an access token in force.
func (e *Emulator) v2Auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !e.v2Authorized(r) {
			writeV2Error(w, http.StatusUnauthorized, "UNAUTHORIZED", "인증 정보가 올바르지 않습니다. (Authorization: PortOne <V2 API Secret>)")
			return
		}
		h(w, r)
	}
}

// handleV2Login serves POST /login/api-secret.
func (e *Emulator) handleV2Login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		APISecret *string `json:"apiSecret"`
	}
	if err := readV2Body(r, &body); err != nil || body.APISecret == nil {
		writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", "apiSecret is required")
		return
	}
	if subtle.ConstantTimeCompare([]byte(*body.APISecret), []byte(e.cfg.V2.APISecret)) != 1 {
		writeV2Error(w, http.StatusUnauthorized, "UNAUTHORIZED", "API Secret이 올바르지 않습니다.")
		return
	}
	e.answerV2Tokens(w)
}

// handleV2Refresh serves POST /token/refresh: only the refresh token in
// force is good, and it is good once.
func (e *Emulator) handleV2Refresh(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RefreshToken *string `json:"refreshToken"`
	}
	if err := readV2Body(r, &body); err != nil || body.RefreshToken == nil {
		writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", "refreshToken is required")
		return
	}
	e.mu.RLock()
	tok, ok := e.ledger.v2tokens.byValue[*body.RefreshToken]
	current := ok && tok.Kind == "refresh" && *body.RefreshToken == e.ledger.v2tokens.refresh && e.now().Before(tok.Expires)
	e.mu.RUnlock()
	if !current {
		writeV2Error(w, http.StatusUnauthorized, "UNAUTHORIZED", "refreshToken이 만료되었거나 올바르지 않습니다.")
		return
	}
	e.answerV2Tokens(w)
}

// answerV2Tokens issues an access and a refresh token, retiring the
// refresh token in force, and answers them.
func (e *Emulator) answerV2Tokens(w http.ResponseWriter) {
	now := e.now()
	e.mu.Lock()
	access, refresh := e.jwtLike("access", now), e.jwtLike("refresh", now)
	err := e.persist("saving V2 tokens", func(ctx context.Context, s Storage) error {
		for value, kind := range map[string]string{access: "access", refresh: "refresh"} {
			life := v2AccessTokenLifetime
			if kind == "refresh" {
				life = v2RefreshTokenLifetime
			}
			if err := s.Put(ctx, kindV2Token, value, mustMarshal(v2Token{Kind: kind, Expires: now.Add(life)})); err != nil {
				return err
			}
		}
		return s.Put(ctx, kindV2Token, v2RefreshInForce, []byte(refresh))
	})
	if err == nil {
		t := &e.ledger.v2tokens
		delete(t.byValue, t.refresh)
		t.byValue[access] = v2Token{Kind: "access", Expires: now.Add(v2AccessTokenLifetime)}
		t.byValue[refresh] = v2Token{Kind: "refresh", Expires: now.Add(v2RefreshTokenLifetime)}
		t.refresh = refresh
	}
	e.mu.Unlock()
	if err != nil {
		writeV2Error(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"accessToken": access, "refreshToken": refresh})
}

// v2RefreshInForce is the id of the entry that names the refresh token
// in force.
const v2RefreshInForce = "refresh-in-force"

// jwtLike makes a token shaped like PortOne's JWTs: three base64url parts,
// the middle one naming its kind and issue time. Only the sandbox reads
// it back, by looking it up. Callers hold mu.
func (e *Emulator) jwtLike(kind string, now time.Time) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body := enc.EncodeToString(mustMarshal(map[string]any{"sub": e.cfg.V2.StoreID, "kind": kind, "iat": now.Unix(), "jti": e.alnum(16)}))
	return head + "." + body + "." + enc.EncodeToString([]byte(e.alnum(32)))
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("emulator: encoding " + err.Error())
	}
	return b
}
