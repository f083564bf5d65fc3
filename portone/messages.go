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
