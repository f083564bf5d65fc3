package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// errRefused stops the writing of a group with arrays at its first
// refused change (or any other failure before the commit).
var errRefused = errors.New("postgres: a change of the group was refused")

// applyArrays writes every change of cs in tx with one batch of at most
// seven statements, whatever their number: the new orders, the orders'
// compare-and-sets, the attempts, the notes, the writes to idempotency
// keys' records, the taking of seqs for all the events, and the events,
// each statement for the whole group through arrays. The event_seq lock
// is held from the end of the batch to the commit only. Any refusal (a
// row count short of the group's: an order that exists, a lost
// compare-and-set, an imp_uid bound elsewhere, a key no longer held; or an
// error: an event that exists, a missing order, a value PostgreSQL
// refuses) fails it with errRefused, and writeWithArrays writes the group
// again change by change.
func applyArrays(ctx context.Context, tx batcher, cs []*payresult.Change) error {
	var g groupRows
	for _, c := range cs {
		if err := g.add(c); err != nil {
			return errRefused // a virtual account that does not encode: applyEach says whose
		}
	}
	b := &pgx.Batch{}
	g.queue(b)
	br := tx.SendBatch(ctx, b)
	err := g.read(br)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = errRefused
	}
	if err != nil {
		return err
	}
	seq := g.last - int64(len(g.evID)) + 1
	for _, c := range cs {
		for i := range c.Events {
			c.Events[i].Seq = seq
			seq++
		}
	}
	return nil
}

// groupRows holds a group's rows as columns, one array per column.
type groupRows struct {
	// new orders: their state, and their terms
	created                                   orderRows
	cName, cCurrency, cSuccess, cFailTo, cAPI []string
	cAmount                                   []int64
	cCreated                                  []pgtype.Timestamptz
	// orders' compare-and-sets: their state, from their version
	updated orderRows
	uFrom   []int64
	// attempts
	aImp, aUID, aStatus, aMethod, aPG, aCurrency, aFail []string
	aAmount, aCancel                                    []int64
	aSandbox                                            []bool
	aCreated, aUpdated                                  []pgtype.Timestamptz
	// notes
	nUID, nImp, nSource, nKind, nDetail []string
	nAt                                 []pgtype.Timestamptz
	// writes to idempotency keys' records
	keys idempotencyRows
	// events, in seq order
	evID, evType, evUID, evState, evError []string
	evData                                [][]byte
	evAttempts                            []int32
	evCreated, evNext, evDelivered        []pgtype.Timestamptz

	last int64 // the last seq taken
}

// vbankText is v as the JSON text of a nullable jsonb column.
func vbankText(v *payresult.VirtualAccount) (pgtype.Text, error) {
	j, err := sqlstore.VbankJSON(v)
	if b, ok := j.([]byte); ok && err == nil {
		return pgtype.Text{String: string(b), Valid: true}, nil
	}
	return pgtype.Text{}, err
}

// tsz is t as a nullable timestamptz, to the microsecond.
func tsz(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t.Truncate(time.Microsecond), Valid: !t.IsZero()}
}

// orderRows holds the columns of orders' state, which new orders and
// compare-and-sets both write.
type orderRows struct {
	uid, status, imp, fail     []string
	paid, refunded             []int64
	vbank                      []pgtype.Text
	forgery                    []bool
	updated, paidAt, nextCheck []pgtype.Timestamptz
	checks                     []int32
}

// add appends o's state.
func (r *orderRows) add(o *payresult.Order) error {
	vb, err := vbankText(o.Vbank)
	if err != nil {
		return err
	}
	r.uid = append(r.uid, o.MerchantUID)
	r.status = append(r.status, string(o.Status))
	r.imp = append(r.imp, o.ImpUID)
	r.paid = append(r.paid, o.PaidAmount.Scaled())
	r.refunded = append(r.refunded, o.RefundedAmount.Scaled())
	r.fail = append(r.fail, o.FailReason)
	r.vbank = append(r.vbank, vb)
	r.forgery = append(r.forgery, o.ForgeryCancelled)
	r.updated = append(r.updated, tsz(sqlstore.NowOr(o.UpdatedAt)))
	r.paidAt = append(r.paidAt, tsz(o.PaidAt))
	r.nextCheck = append(r.nextCheck, tsz(o.NextCheckAt))
	r.checks = append(r.checks, int32(o.Checks))
	return nil
}

// add appends c's rows.
func (g *groupRows) add(c *payresult.Change) error {
	if o := c.Order; o != nil && c.FromVersion == 0 {
		if err := g.created.add(o); err != nil {
			return err
		}
		g.cName = append(g.cName, o.Name)
		g.cAmount = append(g.cAmount, o.Amount.Scaled())
		g.cCurrency = append(g.cCurrency, o.Currency)
		g.cSuccess = append(g.cSuccess, o.SuccessURL)
		g.cFailTo = append(g.cFailTo, o.FailURL)
		g.cAPI = append(g.cAPI, string(o.API))
		g.cCreated = append(g.cCreated, tsz(sqlstore.NowOr(o.CreatedAt)))
	} else if o != nil {
		if err := g.updated.add(o); err != nil {
			return err
		}
		g.uFrom = append(g.uFrom, c.FromVersion)
	}
	if a := c.Attempt; a != nil {
		g.aImp = append(g.aImp, a.ImpUID)
		g.aUID = append(g.aUID, a.MerchantUID)
		g.aStatus = append(g.aStatus, string(a.Status))
		g.aMethod = append(g.aMethod, string(a.PayMethod))
		g.aPG = append(g.aPG, a.PGProvider)
		g.aAmount = append(g.aAmount, a.Amount.Scaled())
		g.aCancel = append(g.aCancel, a.CancelAmount.Scaled())
		g.aCurrency = append(g.aCurrency, a.Currency)
		g.aSandbox = append(g.aSandbox, a.Sandbox)
		g.aFail = append(g.aFail, a.FailReason)
		g.aCreated = append(g.aCreated, tsz(sqlstore.NowOr(a.CreatedAt)))
		g.aUpdated = append(g.aUpdated, tsz(sqlstore.NowOr(a.UpdatedAt)))
	}
	for _, n := range c.Notes {
		g.nUID = append(g.nUID, n.MerchantUID)
		g.nImp = append(g.nImp, n.ImpUID)
		g.nSource = append(g.nSource, string(n.Source))
		g.nKind = append(g.nKind, n.Kind)
		g.nDetail = append(g.nDetail, n.Detail)
		g.nAt = append(g.nAt, tsz(sqlstore.NowOr(n.At)))
	}
	g.keys.add(c.Idempotency)
	for i := range c.Events {
		e := &c.Events[i]
		created := sqlstore.NowOr(e.CreatedAt)
		state := sqlstore.DeliveryStateOr(e.State)
		next := e.NextAttempt
		if next.IsZero() && state == payresult.DeliveryPending {
			next = created // a pending event with no next attempt is due at once
		}
		g.evID = append(g.evID, e.ID)
		g.evType = append(g.evType, string(e.Type))
		g.evUID = append(g.evUID, e.MerchantUID)
		g.evCreated = append(g.evCreated, tsz(created))
		g.evData = append(g.evData, []byte(e.Data))
		g.evState = append(g.evState, string(state))
		g.evAttempts = append(g.evAttempts, int32(e.Attempts))
		g.evNext = append(g.evNext, tsz(next))
		g.evError = append(g.evError, e.LastError)
		g.evDelivered = append(g.evDelivered, tsz(e.DeliveredAt))
	}
	return nil
}

// The group's statements, one per table, each taking its rows as arrays.
const (
	// ON CONFLICT DO NOTHING skips a merchant_uid that exists, so the
	// group is refused by its row count, not by an error.
	sqlGroupNewOrders = `INSERT INTO orders (
			merchant_uid, name, amount, currency, status, imp_uid, paid_amount,
			refunded_amount, fail_reason, vbank, forgery_cancelled, success_url,
			fail_url, created_at, updated_at, paid_at, next_check_at, checks, api, version)
		SELECT v.merchant_uid, v.name, v.amount, v.currency, v.status, v.imp_uid, v.paid_amount,
			v.refunded_amount, v.fail_reason, v.vbank::jsonb, v.forgery_cancelled, v.success_url,
			v.fail_url, v.created_at, v.updated_at, v.paid_at, v.next_check_at, v.checks, v.api, 1
		FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
				$7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::boolean[], $12::text[],
				$13::text[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[],
				$17::timestamptz[], $18::integer[], $19::text[])
			AS v(merchant_uid, name, amount, currency, status, imp_uid, paid_amount,
				refunded_amount, fail_reason, vbank, forgery_cancelled, success_url,
				fail_url, created_at, updated_at, paid_at, next_check_at, checks, api)
		ON CONFLICT (merchant_uid) DO NOTHING`
	sqlGroupOrders = `UPDATE orders o SET
			status = v.status, imp_uid = v.imp_uid, paid_amount = v.paid_amount,
			refunded_amount = v.refunded_amount, fail_reason = v.fail_reason,
			vbank = v.vbank::jsonb, forgery_cancelled = v.forgery_cancelled,
			updated_at = v.updated_at, paid_at = v.paid_at,
			next_check_at = v.next_check_at, checks = v.checks, version = o.version + 1
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
				$6::bigint[], $7::text[], $8::text[], $9::boolean[], $10::timestamptz[],
				$11::timestamptz[], $12::timestamptz[], $13::integer[])
			AS v(merchant_uid, from_version, status, imp_uid, paid_amount,
				refunded_amount, fail_reason, vbank, forgery_cancelled, updated_at,
				paid_at, next_check_at, checks)
		WHERE o.merchant_uid = v.merchant_uid AND o.version = v.from_version`
	sqlGroupAttempts = `INSERT INTO attempts (` + sqlstore.AttemptColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
			$6::bigint[], $7::bigint[], $8::text[], $9::boolean[], $10::text[],
			$11::timestamptz[], $12::timestamptz[]) ` + sqlstore.AttemptConflict
	// WITH ORDINALITY keeps the notes' ids in the order they were given.
	sqlGroupNotes = `INSERT INTO notes (merchant_uid, imp_uid, source, kind, detail, at)
		SELECT m, i, s, k, d, a FROM unnest($1::text[], $2::text[], $3::text[],
			$4::text[], $5::text[], $6::timestamptz[]) WITH ORDINALITY AS v(m, i, s, k, d, a, n)
		ORDER BY n`
	sqlGroupEvents = `INSERT INTO events (seq, id, type, merchant_uid, created_at,
			data, state, attempts, next_attempt_at, last_error, delivered_at)
		SELECT q.last - $1 + v.n, v.id, v.type, v.merchant_uid, v.created_at, v.data,
			v.state, v.attempts, v.next_attempt_at, v.last_error, v.delivered_at
		FROM event_seq q, unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[],
				$6::bytea[], $7::text[], $8::integer[], $9::timestamptz[], $10::text[],
				$11::timestamptz[]) WITH ORDINALITY
			AS v(id, type, merchant_uid, created_at, data, state, attempts,
				next_attempt_at, last_error, delivered_at, n)`
)

// queue queues the group's statements; a table with no row is skipped.
func (g *groupRows) queue(b *pgx.Batch) {
	if c := &g.created; len(c.uid) > 0 {
		b.Queue(sqlGroupNewOrders, c.uid, g.cName, g.cAmount, g.cCurrency, c.status, c.imp,
			c.paid, c.refunded, c.fail, c.vbank, c.forgery, g.cSuccess, g.cFailTo, g.cCreated,
			c.updated, c.paidAt, c.nextCheck, c.checks, g.cAPI)
	}
	if u := &g.updated; len(u.uid) > 0 {
		b.Queue(sqlGroupOrders, u.uid, g.uFrom, u.status, u.imp, u.paid, u.refunded,
			u.fail, u.vbank, u.forgery, u.updated, u.paidAt, u.nextCheck, u.checks)
	}
	if len(g.aImp) > 0 {
		b.Queue(sqlGroupAttempts, g.aImp, g.aUID, g.aStatus, g.aMethod, g.aPG, g.aAmount,
			g.aCancel, g.aCurrency, g.aSandbox, g.aFail, g.aCreated, g.aUpdated)
	}
	if len(g.nUID) > 0 {
		b.Queue(sqlGroupNotes, g.nUID, g.nImp, g.nSource, g.nKind, g.nDetail, g.nAt)
	}
	g.keys.queue(b)
	if n := int64(len(g.evID)); n > 0 {
		queueTakeSeqs(b, n)
		b.Queue(sqlGroupEvents, n, g.evID, g.evType, g.evUID, g.evCreated, g.evData,
			g.evState, g.evAttempts, g.evNext, g.evError, g.evDelivered)
	}
}

// read reads the answers of queue's statements: each must have written
// every row it was given.
func (g *groupRows) read(br pgx.BatchResults) error {
	for _, want := range []int{len(g.created.uid), len(g.updated.uid), len(g.aImp), len(g.nUID), len(g.keys.key)} {
		if want == 0 {
			continue
		}
		tag, err := br.Exec()
		if err != nil || tag.RowsAffected() != int64(want) {
			return errRefused
		}
	}
	if len(g.evID) == 0 {
		return nil
	}
	if err := br.QueryRow().Scan(&g.last); err != nil {
		return errRefused
	}
	tag, err := br.Exec()
	if err != nil || tag.RowsAffected() != int64(len(g.evID)) {
		return errRefused
	}
	return nil
}
