package payresult

import (
	"context"

	"github.com/payresult/payresult/portone"
)

// Gateway is what the processor needs from PortOne. *portone.Client
// implements it for V1, and *V2Gateway for V2 (which shows V2's payments
// in V1's shape); tests may use the emulator through a real client.
type Gateway interface {
	// Payment looks one payment up by imp_uid, test-channel payments
	// included (the processor checks the sandbox flag itself).
	Payment(ctx context.Context, impUID string, includeSandbox bool) (*portone.Payment, error)
	// FindPayment returns the latest attempt for a merchant_uid, optionally
	// only one with the given status (empty for any).
	FindPayment(ctx context.Context, merchantUID string, status portone.Status) (*portone.Payment, error)
	// Prepare pre-registers the amount of a merchant_uid.
	Prepare(ctx context.Context, merchantUID string, amount portone.Amount, currency string) (*portone.Prepared, error)
	// Cancel cancels (refunds) all or part of a payment.
	Cancel(ctx context.Context, req *portone.CancelRequest) (*portone.Payment, error)
}
