package emulator

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
)

// V2PaymentRequest is what PortOne.requestPayment sends, in Go.
type V2PaymentRequest struct {
	StoreID    string
	ChannelKey string
	PaymentID  string
	OrderName  string
	// TotalAmount and TaxFreeAmount are in minor units of Currency.
	TotalAmount   int64
	TaxFreeAmount int64
	Currency      string // KRW, or CURRENCY_KRW as the SDK also accepts
	// PayMethod is CARD, VIRTUAL_ACCOUNT, TRANSFER, MOBILE or EASY_PAY.
	PayMethod   string
	Customer    portonev2.Customer
	RedirectURL string
	NoticeURLs  []string
	// CustomData is JSON text.
	CustomData string
	Products   []portonev2.Product
	// VirtualAccountDue is the deposit deadline; zero means three days,
	// 23:59:59 KST.
	VirtualAccountDue time.Time
	Mobile            bool
	UserAgent         string
	PageURL           string
}

// v2RequestJSON is requestPayment's argument as the browser sends it.
type v2RequestJSON struct {
	StoreID       string          `json:"storeId"`
	ChannelKey    string          `json:"channelKey"`
	PaymentID     string          `json:"paymentId"`
	OrderName     string          `json:"orderName"`
	TotalAmount   json.Number     `json:"totalAmount"`
	TaxFreeAmount json.Number     `json:"taxFreeAmount"`
	Currency      string          `json:"currency"`
	PayMethod     string          `json:"payMethod"`
	RedirectURL   string          `json:"redirectUrl"`
	NoticeURLs    []string        `json:"noticeUrls"`
	CustomData    json.RawMessage `json:"customData"`
	Products      []struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Code     string `json:"code"`
		Amount   int64  `json:"amount"`
		Quantity int32  `json:"quantity"`
		Tag      string `json:"tag"`
		Link     string `json:"link"`
	} `json:"products"`
	Customer struct {
		CustomerID  string `json:"customerId"`
		FullName    string `json:"fullName"`
		FirstName   string `json:"firstName"`
		LastName    string `json:"lastName"`
		PhoneNumber string `json:"phoneNumber"`
		Email       string `json:"email"`
		Zipcode     string `json:"zipcode"`
		Gender      string `json:"gender"`
		BirthYear   string `json:"birthYear"`
		BirthMonth  string `json:"birthMonth"`
		BirthDay    string `json:"birthDay"`
	} `json:"customer"`
	VirtualAccount struct {
		AccountExpiry struct {
			ValidHours int    `json:"validHours"`
			DueDate    string `json:"dueDate"`
		} `json:"accountExpiry"`
	} `json:"virtualAccount"`
	// What the stand-in script adds.
	Mobile    bool   `json:"__mobile"`
	UserAgent string `json:"__userAgent"`
	PageURL   string `json:"__pageUrl"`
}

// V2Refusal is how a V2 payment request was refused before any window
// opened: the code and message of the PaymentError PortOne's browser SDK
// rejects with (BadRequest, StoreNotFound, ChannelNotFound,
// AmountNotEqualToPredefined, PaymentAlreadyPaid). PayV2's error wraps
// it, and ErrV2Refused.
type V2Refusal struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns the refusal with its code and message.
func (r *V2Refusal) Error() string {
	return "emulator: V2 payment request refused: " + r.Code + ": " + r.Message
}

func badRequest(format string, args ...any) *V2Refusal {
	return &V2Refusal{Code: "BadRequest", Message: fmt.Sprintf(format, args...)}
}

// parseV2Request reads requestPayment's argument. Amounts must be whole
// numbers of minor units: a string, a fraction or an exponent is refused,
// naming the field.
func parseV2Request(body []byte, now time.Time) (V2PaymentRequest, *V2Refusal) {
	var j v2RequestJSON
	if err := decodeV2JSON(body, &j); err != nil {
		return V2PaymentRequest{}, badRequest("결제요청 파라메터가 올바르지 않습니다: %v", err)
	}
	req := V2PaymentRequest{StoreID: j.StoreID, ChannelKey: j.ChannelKey, PaymentID: j.PaymentID, OrderName: j.OrderName,
		Currency: j.Currency, PayMethod: j.PayMethod, RedirectURL: j.RedirectURL, NoticeURLs: j.NoticeURLs,
		Mobile: j.Mobile, UserAgent: j.UserAgent, PageURL: j.PageURL}
	var err error
	if req.TotalAmount, err = minorUnits("totalAmount", j.TotalAmount); err != nil {
		return req, badRequest("%v", err)
	}
	if j.TaxFreeAmount != "" {
		if req.TaxFreeAmount, err = minorUnits("taxFreeAmount", j.TaxFreeAmount); err != nil {
			return req, badRequest("%v", err)
		}
	}
	if len(j.CustomData) > 0 && string(j.CustomData) != "null" {
		var s string
		if json.Unmarshal(j.CustomData, &s) == nil {
			req.CustomData = s
		} else {
			req.CustomData = string(j.CustomData)
		}
	}
	c := j.Customer
	name := c.FullName
	if name == "" {
		name = strings.TrimSpace(c.LastName + c.FirstName)
	}
	req.Customer = portonev2.Customer{ID: c.CustomerID, Name: name, PhoneNumber: c.PhoneNumber, Email: c.Email,
		Zipcode: c.Zipcode, Gender: c.Gender, BirthYear: c.BirthYear, BirthMonth: c.BirthMonth, BirthDay: c.BirthDay}
	for _, p := range j.Products {
		req.Products = append(req.Products, portonev2.Product{ID: p.ID, Name: p.Name, Code: p.Code, Amount: p.Amount,
			Quantity: p.Quantity, Tag: p.Tag, Link: p.Link})
	}
	exp := j.VirtualAccount.AccountExpiry
	switch {
	case exp.DueDate != "":
		due, err := time.Parse(time.RFC3339, exp.DueDate)
		if err != nil {
			return req, badRequest("virtualAccount.accountExpiry.dueDate %q is not an RFC 3339 time", exp.DueDate)
		}
		req.VirtualAccountDue = due
	case exp.ValidHours > 0:
		req.VirtualAccountDue = now.Add(time.Duration(exp.ValidHours) * time.Hour)
	}
	return req, nil
}

// minorUnits reads an amount in minor units: a JSON integer.
func minorUnits(field string, n json.Number) (int64, error) {
	if n == "" {
		return 0, fmt.Errorf("%s is required", field)
	}
	v, err := n.Int64()
	if err != nil {
		return 0, fmt.Errorf("%s: %s is not a whole number of the currency's minor unit (KRW 1000 is 1000, USD 10.50 is 1050)", field, n)
	}
	return v, nil
}

// v2Currency reads a currency as the SDK accepts it: "KRW" or the legacy
// "CURRENCY_KRW". It must be one ISO 4217 lists.
func v2Currency(c string) (string, bool) {
	c = strings.TrimPrefix(c, "CURRENCY_")
	_, ok := portone.MinorUnit(c)
	return c, ok
}

// v2PayMethods maps requestPayment's payMethod to the method type of the
// payment it makes.
var v2PayMethods = map[string]string{
	"CARD": portonev2.MethodCard, "VIRTUAL_ACCOUNT": portonev2.MethodVirtualAccount,
	"TRANSFER": portonev2.MethodTransfer, "MOBILE": portonev2.MethodMobile, "EASY_PAY": portonev2.MethodEasyPay,
}

// validate checks req as PortOne's checkout server does before a window
// opens, and normalises its currency.
func (e *Emulator) validateV2(req *V2PaymentRequest) (V2Channel, *V2Refusal) {
	switch {
	case req.StoreID == "":
		return V2Channel{}, badRequest("storeId는 필수 입력 파라메터입니다. (storeId is required)")
	case req.StoreID != e.cfg.V2.StoreID:
		return V2Channel{}, &V2Refusal{Code: "StoreNotFound", Message: "상점 정보를 찾을 수 없습니다: " + req.StoreID}
	case req.PaymentID == "":
		return V2Channel{}, badRequest("paymentId는 필수 입력 파라메터입니다. (paymentId is required)")
	case req.OrderName == "":
		return V2Channel{}, badRequest("orderName은 필수 입력 파라메터입니다. (orderName is required)")
	case req.TotalAmount <= 0:
		return V2Channel{}, badRequest("totalAmount는 0보다 커야 합니다. (totalAmount must be positive)")
	case req.TaxFreeAmount < 0 || req.TaxFreeAmount > req.TotalAmount:
		return V2Channel{}, badRequest("taxFreeAmount must be between 0 and totalAmount")
	case req.ChannelKey == "":
		return V2Channel{}, badRequest("channelKey 또는 channelGroupId는 필수 입력 파라메터입니다. (channelKey is required)")
	case v2PayMethods[req.PayMethod] == "":
		return V2Channel{}, badRequest("payMethod %q is not one of CARD, VIRTUAL_ACCOUNT, TRANSFER, MOBILE, EASY_PAY", req.PayMethod)
	case req.RedirectURL != "" && !strings.HasPrefix(req.RedirectURL, "http://") && !strings.HasPrefix(req.RedirectURL, "https://"):
		return V2Channel{}, badRequest("redirectUrl must start with http:// or https://")
	}
	cur, ok := v2Currency(req.Currency)
	if !ok {
		return V2Channel{}, badRequest("currency %q is not an ISO 4217 currency such as KRW or USD", req.Currency)
	}
	req.Currency = cur
	ch, ok := e.cfg.V2.channel(req.ChannelKey)
	if !ok {
		return V2Channel{}, &V2Refusal{Code: "ChannelNotFound", Message: "채널 정보를 찾을 수 없습니다: " + req.ChannelKey}
	}
	return ch, nil
}
