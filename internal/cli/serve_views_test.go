package cli

import "encoding/json"

// The API's answers, as the tests read them.
type (
	orderView struct {
		MerchantUID    string          `json:"merchant_uid"`
		Status         string          `json:"status"`
		Amount         json.Number     `json:"amount"`
		ImpUID         string          `json:"imp_uid"`
		RefundedAmount json.Number     `json:"refunded_amount"`
		FailReason     string          `json:"fail_reason"`
		Version        int64           `json:"version"`
		Vbank          json.RawMessage `json:"vbank"`
	}
	eventView struct {
		ID          string `json:"id"`
		Seq         int64  `json:"seq"`
		Type        string `json:"type"`
		MerchantUID string `json:"merchant_uid"`
	}
	orderDetailView struct {
		Order    orderView         `json:"order"`
		Attempts []json.RawMessage `json:"attempts"`
		Events   []eventView       `json:"events"`
	}
	eventPageView struct {
		Events []eventView `json:"events"`
		Next   string      `json:"next"`
	}
)

// newOrderBody is the body of POST /api/orders.
func newOrderBody(merchantUID string, amount int64) map[string]any {
	return map[string]any{"merchant_uid": merchantUID, "name": "테스트 상품", "amount": amount}
}
