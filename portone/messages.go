package portone

// PortOne's own error messages, byte for byte. Merchant code (and payresult)
// recognises some failures only by these texts, so the client matches on
// them and the emulator sends them.
const (
	MsgUnauthorized       = "Unauthorized"
	MsgMissingKeySecret   = "imp_key, imp_secret 파라메터가 누락되었습니다."
	MsgPaymentNotFound    = "존재하지 않는 결제정보입니다."
	MsgPrepareNotFound    = "사전등록된 결제정보가 존재하지 않습니다."
	MsgPrepareDuplicate   = "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다)."
	MsgCancelNotFound     = "취소할 결제건이 존재하지 않습니다."
	MsgAlreadyCancelled   = "이미 전액취소된 주문입니다."
	MsgCancelFailedPrefix = "결제취소에 실패하였습니다. "
	MsgUnsupportedStatus  = "지원되지 않는 상태값입니다."
	MsgCancelIDRequired   = "imp_uid 또는 merchant_uid 중 하나는 지정해주셔야합니다."
	// PortOne's exact wording for a checksum refusal is not published; the
	// client recognises it by the "checksum" it contains.
	MsgChecksumMismatch = "취소 가능 잔액(checksum)이 일치하지 않습니다. 취소요청금액을 다시 확인해주세요."
	MsgCancelExceeds    = MsgCancelFailedPrefix + "(requested cancel amount is bigger than cancelable amount)"
)

// Messages PortOne does not publish word for word. The emulator sends
// these; code should recognise the cases by HTTP status and code, not by
// these texts.
const (
	MsgMultiLookupIDs      = "imp_uid 또는 merchant_uid를 1개 이상 100개 이하로 지정해주셔야합니다."
	MsgPageOutOfRange      = "요청하신 페이지가 범위를 벗어났습니다."
	MsgUnsupportedSorting  = "지원되지 않는 정렬방식입니다."
	MsgBadTimeRange        = "조회기간(from, to)이 올바르지 않습니다. 최대 90일까지 조회할 수 있습니다."
	MsgPrepareParams       = "merchant_uid, amount 파라메터가 올바르지 않습니다."
	MsgCancelBadAmount     = MsgCancelFailedPrefix + "(cancel amount is invalid)"
	MsgCancelRefundAccount = MsgCancelFailedPrefix + "가상계좌 환불은 환불계좌정보(refund_holder, refund_bank, refund_account)가 필요합니다."
	// Pre-validation refusals of IMP.request_pay (no payment is created).
	MsgPayAlreadyPaid    = "이미 결제가 완료된 merchant_uid입니다."
	MsgPayAmountMismatch = "사전등록된 결제금액과 요청된 결제금액이 일치하지 않습니다."
	MsgPayBadParams      = "결제요청 파라메터가 올바르지 않습니다."
	MsgPayUnknownPG      = "등록되지 않은 PG사입니다."
	MsgPayUserCancelled  = "사용자가 결제를 취소하셨습니다"
)
