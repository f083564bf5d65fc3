package emulator

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/payresult/payresult/portone"
)

// Paging and lookup limits of PortOne (protocol reference §3).
const (
	defaultLimit   = 20
	maxLimit       = 1000
	maxMultiLookup = 100
	maxStatusRange = 90 * 24 * 60 * 60 // seconds
)

// handlePayment serves GET /payments/{imp_uid}. Test-channel payments
// are hidden unless include_sandbox=true, as PortOne does since 2026-01-26.
func (e *Emulator) handlePayment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("imp_uid")
	e.mu.RLock()
	rec, ok := e.ledger.byImpUID[id]
	var wire []byte
	if ok && (!rec.p.Sandbox || r.URL.Query().Get("include_sandbox") == "true") {
		wire = rec.wire
	}
	e.mu.RUnlock()
	if wire == nil {
		writeFail(w, http.StatusNotFound, -1, portone.MsgPaymentNotFound)
		return
	}
	writeRaw(w, http.StatusOK, 0, "", wire)
}

// handlePayments serves GET /payments?imp_uid[]=...&merchant_uid[]=...:
// 200 when every id was found, 207 with the ones found, 404 for none.
func (e *Emulator) handlePayments(w http.ResponseWriter, r *http.Request) {
	q := queryParams(r.URL.Query())
	impUIDs, merchantUIDs := q.list("imp_uid"), q.list("merchant_uid")
	asked := len(impUIDs) + len(merchantUIDs)
	if asked == 0 || asked > maxMultiLookup {
		writeFail(w, http.StatusBadRequest, -1, portone.MsgMultiLookupIDs)
		return
	}
	e.mu.RLock()
	var found []*record
	for _, id := range impUIDs {
		if rec, ok := e.ledger.byImpUID[id]; ok {
			found = append(found, rec)
		}
	}
	for _, m := range merchantUIDs {
		if list := e.ledger.byMerchant[m]; len(list) > 0 {
			found = append(found, latest(list))
		}
	}
	body := appendPaymentList(nil, found)
	e.mu.RUnlock()
	switch {
	case len(found) == 0:
		writeFail(w, http.StatusNotFound, -1, portone.MsgPaymentNotFound)
	case len(found) < asked:
		writeRaw(w, http.StatusMultiStatus, 0, "", body)
	default:
		writeRaw(w, http.StatusOK, 0, "", body)
	}
}

// latest is the attempt of a merchant_uid that started last.
func latest(list []*record) *record {
	best := list[0]
	for _, r := range list[1:] {
		if r.p.StartedAt >= best.p.StartedAt {
			best = r
		}
	}
	return best
}

// handleFind serves GET /payments/find/{merchant_uid}[/][{payment_status}]:
// the first attempt by sorting, optionally of one status.
func (e *Emulator) handleFind(w http.ResponseWriter, r *http.Request) {
	status, ok := pathStatus(r.PathValue("payment_status"), false)
	if !ok {
		writeFail(w, http.StatusBadRequest, -1, portone.MsgUnsupportedStatus)
		return
	}
	sorting, ok := parseSorting(r.URL.Query().Get("sorting"))
	if !ok {
		writeFail(w, http.StatusBadRequest, -1, portone.MsgUnsupportedSorting)
		return
	}
	e.mu.RLock()
	recs := filterStatus(e.ledger.byMerchant[r.PathValue("merchant_uid")], status)
	sortRecords(recs, sorting)
	var wire []byte
	if len(recs) > 0 {
		wire = recs[0].wire
	}
	e.mu.RUnlock()
	if wire == nil {
		writeFail(w, http.StatusNotFound, -1, portone.MsgPaymentNotFound)
		return
	}
	writeRaw(w, http.StatusOK, 0, "", wire)
}

// handleFindAll serves GET /payments/findAll/{merchant_uid}[/][{payment_status}].
func (e *Emulator) handleFindAll(w http.ResponseWriter, r *http.Request) {
	status, ok := pathStatus(r.PathValue("payment_status"), false)
	if !ok {
		writeFail(w, http.StatusBadRequest, -1, portone.MsgUnsupportedStatus)
		return
	}
	pg, msg := parsePaging(r)
	if msg != "" {
		writeFail(w, http.StatusBadRequest, -1, msg)
		return
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	recs := filterStatus(e.ledger.byMerchant[r.PathValue("merchant_uid")], status)
	if len(recs) == 0 {
		writeFail(w, http.StatusNotFound, -1, portone.MsgPaymentNotFound)
		return
	}
	e.writePage(w, recs, pg)
}

// handleStatus serves GET /payments/status/{payment_status}: payments
// whose time column (by their status) falls in [from, to].
func (e *Emulator) handleStatus(w http.ResponseWriter, r *http.Request) {
	status, ok := pathStatus(r.PathValue("payment_status"), true)
	if !ok {
		writeFail(w, http.StatusBadRequest, -1, portone.MsgUnsupportedStatus)
		return
	}
	pg, msg := parsePaging(r)
	from, to, rangeMsg := e.parseRange(r)
	if msg == "" {
		msg = rangeMsg
	}
	if msg != "" {
		writeFail(w, http.StatusBadRequest, -1, msg)
		return
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var recs []*record
	for _, rec := range filterStatus(e.ledger.all, status) {
		if t := statusTime(&rec.p); t >= from && t <= to {
			recs = append(recs, rec)
		}
	}
	e.writePage(w, recs, pg)
}

// statusTime is the column that /payments/status filters on: it depends
// on the payment's final status.
func statusTime(p *portone.Payment) portone.Time {
	switch p.Status {
	case portone.StatusPaid:
		return p.PaidAt
	case portone.StatusCancelled:
		return p.CancelledAt
	case portone.StatusFailed:
		return p.FailedAt
	}
	return p.StartedAt
}

func (e *Emulator) parseRange(r *http.Request) (from, to portone.Time, msg string) {
	q := r.URL.Query()
	to = e.nowUnix()
	if s := q.Get("to"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, portone.MsgBadTimeRange
		}
		to = portone.Time(n)
	}
	from = to - maxStatusRange
	if s := q.Get("from"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, portone.MsgBadTimeRange
		}
		from = portone.Time(n)
	}
	if from > to || to-from > maxStatusRange {
		return 0, 0, portone.MsgBadTimeRange
	}
	return from, to, ""
}

// paging is a validated page request.
type paging struct {
	page, limit int
	sorting     portone.Sorting
}

func parsePaging(r *http.Request) (paging, string) {
	q := r.URL.Query()
	pg := paging{page: 1, limit: defaultLimit}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return pg, portone.MsgPageOutOfRange
		}
		pg.page = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return pg, portone.MsgPageOutOfRange
		}
		pg.limit = min(n, maxLimit)
	}
	var ok bool
	if pg.sorting, ok = parseSorting(q.Get("sorting")); !ok {
		return pg, portone.MsgUnsupportedSorting
	}
	return pg, ""
}

// writePage sorts recs and writes one page of them. A page past the end
// is refused with 400, as PortOne does; page 1 of nothing is an empty list.
func (e *Emulator) writePage(w http.ResponseWriter, recs []*record, pg paging) {
	sortRecords(recs, pg.sorting)
	start := (pg.page - 1) * pg.limit
	if pg.page > 1 && start >= len(recs) {
		writeFail(w, http.StatusBadRequest, -1, portone.MsgPageOutOfRange)
		return
	}
	end := min(start+pg.limit, len(recs))
	prev, next := 0, 0
	if pg.page > 1 {
		prev = pg.page - 1
	}
	if end < len(recs) {
		next = pg.page + 1
	}
	buf := make([]byte, 0, 64+(end-start)*1500)
	buf = append(buf, `{"total":`...)
	buf = strconv.AppendInt(buf, int64(len(recs)), 10)
	buf = append(buf, `,"previous":`...)
	buf = strconv.AppendInt(buf, int64(prev), 10)
	buf = append(buf, `,"next":`...)
	buf = strconv.AppendInt(buf, int64(next), 10)
	buf = append(buf, `,"list":`...)
	buf = appendPaymentList(buf, recs[start:end])
	buf = append(buf, '}')
	writeRaw(w, http.StatusOK, 0, "", buf)
}

// pathStatus reads a status path segment; "" means any, and "all" is
// allowed only where PortOne allows it.
func pathStatus(s string, allowAll bool) (portone.Status, bool) {
	switch {
	case s == "":
		return "", !allowAll
	case s == "all" && allowAll:
		return "", true
	}
	st := portone.Status(s)
	return st, st.Valid()
}

// filterStatus returns a fresh slice of the records of status ("" = all).
func filterStatus(recs []*record, status portone.Status) []*record {
	out := make([]*record, 0, len(recs))
	for _, r := range recs {
		if status == "" || r.p.Status == status {
			out = append(out, r)
		}
	}
	return out
}

func parseSorting(s string) (portone.Sorting, bool) {
	switch st := portone.Sorting(s); st {
	case "":
		return portone.SortStartedDesc, true
	case portone.SortStartedDesc, portone.SortStartedAsc, portone.SortPaidDesc,
		portone.SortPaidAsc, portone.SortUpdatedDesc, portone.SortUpdatedAsc:
		return st, true
	}
	return "", false
}

// sortRecords orders recs by sorting, ties broken by creation order in
// the same direction.
func sortRecords(recs []*record, sorting portone.Sorting) {
	key := func(r *record) portone.Time {
		switch sorting {
		case portone.SortPaidAsc, portone.SortPaidDesc:
			return r.p.PaidAt
		case portone.SortUpdatedAsc, portone.SortUpdatedDesc:
			return r.updated
		}
		return r.p.StartedAt
	}
	desc := sorting[0] == '-'
	slices.SortStableFunc(recs, func(a, b *record) int {
		c := cmpInt(int64(key(a)), int64(key(b)))
		if c == 0 {
			c = cmpInt(int64(a.seq), int64(b.seq))
		}
		if desc {
			return -c
		}
		return c
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
