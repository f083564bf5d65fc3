package payresult

import (
	"context"
	"log/slog"
	"net/http"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/payresult/payresult/portone"
)

// Notice is a claim that something happened to a payment: the buyer's
// redirect, PortOne's webhook, a reconciler's look-up or the app asking.
// Only its identifiers are used; Confirm asks PortOne for the rest.
type Notice struct {
	Source NoticeSource
	// ImpUID names the PortOne payment. When it is empty, Confirm looks up
	// the latest payment of MerchantUID.
	ImpUID string
	// MerchantUID names the order. When both are set, the payment must
	// belong to this order.
	MerchantUID string
	// ErrorCode and ErrorMsg come from a redirect after a failure. They are
	// shown to the buyer and kept in the timeline, never used to decide.
	ErrorCode, ErrorMsg string
	// API is the PortOne API the notice came through: APIV2 from V2's
	// redirect and webhook, where ImpUID and MerchantUID are both the
	// paymentId. Empty means V1 when ImpUID is set, else the API of the
	// order MerchantUID names.
	API API
}

// Identifier limits: PortOne's own (merchant_uid 40 characters, imp_uid
// 32), so that anything longer is refused before a PortOne call.
const (
	maxMerchantUIDLen = portone.MaxMerchantUIDLen
	maxImpUIDLen      = portone.MaxImpUIDLen
)

// validate checks that n names a payment or an order with identifiers
// PortOne could have issued.
func (n *Notice) validate() error {
	if n.ImpUID == "" && n.MerchantUID == "" {
		return Errorf(KindInvalid, "a notice needs an imp_uid or a merchant_uid")
	}
	if err := checkNoticeID("imp_uid", n.ImpUID, maxImpUIDLen); err != nil {
		return err
	}
	if err := checkNoticeID("merchant_uid", n.MerchantUID, maxMerchantUIDLen); err != nil {
		return err
	}
	if n.Source == "" {
		n.Source = SourceApp
	}
	return nil
}

// checkNoticeID refuses identifiers that no PortOne payment can have; an
// empty id is allowed (the caller checks that one of them is set).
func checkNoticeID(field, id string, max int) error {
	if id == "" {
		return nil
	}
	if !utf8.ValidString(id) || utf8.RuneCountInString(id) > max {
		return Errorf(KindInvalid, "%s must be at most %d characters of valid UTF-8", field, max)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return Errorf(KindInvalid, "%s contains a control character", field)
		}
	}
	return nil
}

// requestConfirmTimeout bounds one Confirm started by a request. It runs
// detached from the request's context: a buyer closing the tab must not
// abort a confirmation half-way through its PortOne calls.
const requestConfirmTimeout = 30 * time.Second

// confirmRequest runs Confirm for a notice that came with r, detached
// from r's cancellation and bounded by requestConfirmTimeout.
func (p *Processor) confirmRequest(r *http.Request, n Notice) (*Result, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), requestConfirmTimeout)
	defer cancel()
	return p.Confirm(ctx, n)
}

// logNotice logs how Confirm ended for a notice received over HTTP:
// loudly only when payresult itself failed.
func logNotice(log *slog.Logger, n Notice, v RedirectView, err error) {
	attrs := []any{"source", string(n.Source), "imp_uid", n.ImpUID, "merchant_uid", n.MerchantUID, "page", string(v.Page)}
	if v.Order != nil {
		attrs = append(attrs, "status", string(v.Order.Status))
	}
	switch {
	case err == nil:
		log.Info("notice confirmed", attrs...)
	case IsTransient(err):
		log.Warn("notice not confirmed yet", append(attrs, "err", err)...)
	case KindOf(err) == KindInternal:
		log.Error("notice failed", append(attrs, "err", err)...)
	default:
		log.Info("notice refused", append(attrs, "err", err)...)
	}
}

// loggerOr returns l, or slog.Default() when l is nil: the handlers'
// default, and the Processor's.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}
