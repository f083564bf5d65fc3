package emulator

import (
	"strings"
)

// pgProfile is how one PG behaves in the flows PortOne relays: which
// success flag its redirect carries, what a user cancel does, and what its
// ids and receipts look like. Values come from the protocol reference §1.4,
// §1.3 and §8; codes and texts are realistic examples, since no PG
// publishes a complete table.
type pgProfile struct {
	provider   string
	defaultMID string
	// flavour is the redirect's success flag on PC, mobileFlavour on mobile.
	flavour, mobileFlavour Flavour
	// userCancelFails: a user cancel leaves the payment failed (KG Inicis)
	// rather than ready (most others).
	userCancelFails bool
	cancelCode      string
	declineCode     string
	declineMsg      string
	vbankHolder     string
	receipt         string // receipt URL prefix; the pg_tid is appended
}

var pgProfiles = map[string]pgProfile{
	"html5_inicis": {provider: "html5_inicis", defaultMID: "INIpayTest", flavour: FlavourImpSuccess, userCancelFails: true,
		cancelCode: "V801", declineCode: "F113", declineMsg: "카드정보 인증에 실패하였습니다. [F113]거래거절 카드번호틀림",
		vbankHolder: "（주）케이지이니시", receipt: "https://iniweb.inicis.com/DefaultWebApp/mall/cr/cm/mCmReceipt_head.jsp?noTid="},
	"kcp": {provider: "kcp", defaultMID: "T0000", flavour: FlavourImpSuccess,
		cancelCode: "3001", declineCode: "8104", declineMsg: "[8104]카드 한도초과 - 카드사 문의 요망",
		vbankHolder: "한국사이버결제", receipt: "https://admin8.kcp.co.kr/assist/bill.BillActionNew.do?cmd=card_bill&tno="},
	"kakaopay": {provider: "kakaopay", defaultMID: "TC0ONETIME", flavour: FlavourImpSuccess,
		cancelCode: "USER_CANCEL", declineCode: "-782", declineMsg: "결제 승인에 실패하였습니다. (카드 한도 초과)",
		receipt: "https://mockup-pg-web.kakao.com/v1/confirmation/p/"},
	"tosspayments": {provider: "tosspayments", defaultMID: "tosstest", flavour: FlavourNone, userCancelFails: true,
		cancelCode: "PAY_PROCESS_CANCELED", declineCode: "REJECT_CARD_COMPANY", declineMsg: "카드사에서 결제를 거절했습니다.",
		vbankHolder: "토스페이먼츠", receipt: "https://dashboard.tosspayments.com/receipt/redirection?transactionId="},
	"daou": {provider: "daou", defaultMID: "CTS16745", flavour: FlavourSuccess, mobileFlavour: FlavourImpSuccess,
		cancelCode: "0100", declineCode: "0302", declineMsg: "카드 승인 거절(한도초과)",
		vbankHolder: "키움페이", receipt: "https://agent.kiwoompay.co.kr/receipt?tid="},
}

// pgsWithoutFlag are the "new" PG modules whose redirects carry neither
// imp_success nor success (§1.4).
var pgsWithoutFlag = []string{"nice_v2", "smartro_v2", "ksnet", "welcome", "paypal_v2"}

// pgsWithImpSuccess are the other PGs the emulator knows; they behave
// like KCP except for their names.
var pgsWithImpSuccess = []string{"uplus", "nice", "danal", "danal_tpay", "kicc", "mobilians", "payco",
	"naverpay", "settle", "tosspay", "smilepay", "paypal", "eximbay", "inicis"}

// lookupPG parses request_pay's pg ("html5_inicis" or "kcp.T0000"); ""
// is the console's default PG, KG Inicis.
func lookupPG(pg string) (pgProfile, string, bool) {
	provider, mid, _ := strings.Cut(pg, ".")
	if provider == "" {
		provider = "html5_inicis"
	}
	prof, ok := pgProfiles[provider]
	if !ok {
		prof, ok = genericPG(provider)
	}
	if mid == "" {
		mid = prof.defaultMID
	}
	return prof, mid, ok
}

func genericPG(provider string) (pgProfile, bool) {
	base := pgProfiles["kcp"]
	base.provider, base.defaultMID, base.vbankHolder = provider, "sandbox_"+provider, "(주)페이리절트"
	base.receipt = "https://sandbox.payresult.invalid/receipt/" + provider + "/"
	for _, p := range pgsWithoutFlag {
		if p == provider {
			base.flavour = FlavourNone
			base.cancelCode, base.declineCode = "PAY_PROCESS_CANCELED", "REJECT_CARD_COMPANY"
			return base, true
		}
	}
	for _, p := range pgsWithImpSuccess {
		if p == provider {
			return base, true
		}
	}
	return pgProfile{}, false
}

// flag returns the success flag for a redirect from this PG.
func (p pgProfile) flag(mobile bool, override Flavour) Flavour {
	if override != FlavourPG {
		return override
	}
	if mobile && p.mobileFlavour != FlavourPG {
		return p.mobileFlavour
	}
	return p.flavour
}
