package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
)

// authorized reports whether r carries the admin user and password. Both
// are compared through their SHA-256 in constant time, so neither their
// content nor their length leaks through timing.
func (h *Handler) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	userOK := equalSecret(user, User)
	passOK := equalSecret(pass, h.cfg.Password)
	return userOK&passOK == 1
}

// equalSecret compares two strings in time that depends on neither.
func equalSecret(got, want string) int {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:])
}

// formToken is the hidden token of the admin's forms. A browser sends the
// Basic credentials with any request to this origin, so a form posted
// from another site would carry them too: the cross-origin check refuses
// such requests, and the token, which only a page of this origin can
// read, refuses what slips past it (an old browser without Sec-Fetch-Site
// or Origin).
func formToken(password string) string {
	m := hmac.New(sha256.New, []byte(password))
	m.Write([]byte("payresult admin form token"))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// validToken reports whether the form's token is the admin's.
func (h *Handler) validToken(r *http.Request) bool {
	return hmac.Equal([]byte(r.PostFormValue("token")), []byte(h.csrf))
}

// checkToken refuses an action whose form does not carry the admin's
// token.
func (h *Handler) checkToken(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.validToken(r) {
			h.message(w, http.StatusForbidden, "양식이 오래되었거나 관리자 콘솔에서 보낸 것이 아닙니다. 새로 고친 뒤 다시 하세요 · "+
				"The form is stale or was not sent by the admin console; reload it and try again.")
			return
		}
		next(w, r)
	}
}
