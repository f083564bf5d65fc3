package admin

import (
	"html/template"
	"strconv"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// kst is Korea Standard Time, the zone PortOne and its merchants work in.
var kst = time.FixedZone("KST", 9*60*60)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"when":     when,
	"ago":      ago,
	"money":    func(a portone.Amount, currency string) string { return a.Display(currency) },
	"utc":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"status":   func(s payresult.Status) string { return statusLabels[s] },
	"delivery": deliveryLabel,
	"source":   func(s string) string { return orCode(sourceLabels[s], s) },
	"kind":     func(k string) string { return orCode(kindLabels[k], k) },
}

// statusLabels are the orders' statuses in the operator's words, Korean
// with English; the code itself stays in the page's attributes.
var statusLabels = map[payresult.Status]string{
	payresult.StatusPending:           "결제 대기 · Pending",
	payresult.StatusPaid:              "결제 완료 · Paid",
	payresult.StatusVbankIssued:       "입금 대기 · Awaiting deposit",
	payresult.StatusFailed:            "결제 실패 · Failed",
	payresult.StatusPartiallyRefunded: "부분 환불 · Partly refunded",
	payresult.StatusRefunded:          "환불 완료 · Refunded",
	payresult.StatusForged:            "위변조 · Forged",
	payresult.StatusExpired:           "기한 만료 · Expired",
}

// sourceLabels and kindLabels name the timeline's sources and kinds.
var (
	sourceLabels = map[string]string{
		"redirect": "리디렉트 · redirect", "webhook": "웹훅 · webhook", "reconciler": "대사 · reconciler",
		"app": "앱 · app", "admin": "관리자 · admin", "outbox": "이벤트 · outbox",
	}
	kindLabels = map[string]string{
		"notice": "알림 · notice", "lookup": "조회 · look-up", "transition": "상태 변경 · transition",
		"ignored": "무시 · ignored", "error": "오류 · error", "refund": "환불 · refund",
		"forgery_cancel": "위조 취소 · forgery cancel", "event": "이벤트 · event", "resend": "재전송 · resend",
	}
)

func orCode(label, code string) string {
	if label == "" {
		return code
	}
	return label
}

// deliveryLabel says where an event's delivery stands. With no events URL
// (feed only) an event is never delivered: it is read from the feed, and
// "pending, 0 attempts" would wait forever.
func deliveryLabel(ev payresult.Event, feedOnly bool) string {
	switch {
	case feedOnly && ev.State == payresult.DeliveryPending:
		return "피드 전용 · Feed only"
	case ev.State == payresult.DeliveryPending && ev.Attempts > 0:
		return "재시도 중 · Retrying"
	case ev.State == payresult.DeliveryPending:
		return "전달 대기 · Pending"
	case ev.State == payresult.DeliveryDelivered:
		return "전달됨 · Delivered"
	case ev.State == payresult.DeliveryDead:
		return "전달 포기 · Dead"
	}
	return string(ev.State)
}

// when writes a time for an operator, in KST to the second; "—" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(kst).Format("2006-01-02 15:04:05")
}

// ago writes how long before now t was ("3분 전 · 3m ago"), or how long
// after ("40초 후 · in 40s").
func ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	if d := now.Sub(t); d >= 0 {
		ko, en := short(d)
		return ko + " 전 · " + en + " ago"
	}
	ko, en := short(t.Sub(now))
	return ko + " 후 · in " + en
}

// short writes d in its largest unit: 45초 and 45s, 12분 and 12m, 5시간
// and 5h, 3일 and 3d.
func short(d time.Duration) (ko, en string) {
	n := func(unit time.Duration) string { return strconv.Itoa(int(d / unit)) }
	switch {
	case d < time.Minute:
		return n(time.Second) + "초", n(time.Second) + "s"
	case d < time.Hour:
		return n(time.Minute) + "분", n(time.Minute) + "m"
	case d < 48*time.Hour:
		return n(time.Hour) + "시간", n(time.Hour) + "h"
	}
	return n(24*time.Hour) + "일", n(24*time.Hour) + "d"
}
