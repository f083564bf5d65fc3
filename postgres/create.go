package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/groupcommit"
	"github.com/payresult/payresult/internal/sqlstore"
)

// newOrder is one CreateOrder waiting for its group's insert. Concurrent
// CreateOrders share one INSERT through arrays, and so one transaction
// and one WAL flush: an app registering its buyers' orders under load
// costs PostgreSQL a share of a commit per order, not a commit each.
type newOrder struct {
	ctx   context.Context
	o     *payresult.Order
	vbank pgtype.Text
	// stored is the order as inserted; nil when its merchant_uid existed.
	stored *payresult.Order
}

type pendingCreate = groupcommit.Item[*newOrder]

// createGroup inserts one group's orders and answers each. Should the
// shared insert fail, each order is inserted on its own, so that one bad
// row fails only its own CreateOrder.
func (s *Store) createGroup(group []*pendingCreate) {
	live := make([]*pendingCreate, 0, len(group))
	for _, p := range group {
		if err := p.Value.ctx.Err(); err != nil {
			p.Err = classify(err, "postgres: create order %q", p.Value.o.MerchantUID)
			continue
		}
		live = append(live, p)
	}
	if len(live) > 1 {
		s.createGroups.Add(1)
	}
	if err := s.insertOrders(live); err == nil || len(live) == 1 {
		for _, p := range live {
			p.Err = err
		}
		return
	}
	for _, p := range live {
		p.Err = s.insertOrders([]*pendingCreate{p})
	}
}

// sqlGroupCreate inserts a group's orders, skipping merchant_uids that
// exist (or repeat within the group), and returns the rows it inserted.
const sqlGroupCreate = `INSERT INTO orders (
		merchant_uid, name, amount, currency, status, imp_uid, paid_amount,
		refunded_amount, fail_reason, vbank, forgery_cancelled, success_url,
		fail_url, created_at, updated_at, paid_at, next_check_at, checks, version)
	SELECT v.merchant_uid, v.name, v.amount, v.currency, v.status, v.imp_uid, v.paid_amount,
		v.refunded_amount, v.fail_reason, v.vbank::jsonb, v.forgery_cancelled, v.success_url,
		v.fail_url, v.created_at, v.updated_at, v.paid_at, v.next_check_at, v.checks, 1
	FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
			$7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::boolean[], $12::text[],
			$13::text[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[],
			$17::timestamptz[], $18::integer[])
		AS v(merchant_uid, name, amount, currency, status, imp_uid, paid_amount,
			refunded_amount, fail_reason, vbank, forgery_cancelled, success_url,
			fail_url, created_at, updated_at, paid_at, next_check_at, checks)
	ON CONFLICT (merchant_uid) DO NOTHING
	RETURNING ` + orderColumns

// createRows holds a group's new orders as columns, one array per column.
type createRows struct {
	uid, name, currency, status, imp, fail, success, failURL []string
	amount, paid, refunded                                   []int64
	vbank                                                    []pgtype.Text
	forgery                                                  []bool
	created, updated, paidAt, nextCheck                      []pgtype.Timestamptz
	checks                                                   []int32
}

func (r *createRows) add(n *newOrder) {
	o := n.o
	r.uid = append(r.uid, o.MerchantUID)
	r.name = append(r.name, o.Name)
	r.amount = append(r.amount, o.Amount.Scaled())
	r.currency = append(r.currency, o.Currency)
	r.status = append(r.status, string(statusOr(o.Status)))
	r.imp = append(r.imp, o.ImpUID)
	r.paid = append(r.paid, o.PaidAmount.Scaled())
	r.refunded = append(r.refunded, o.RefundedAmount.Scaled())
	r.fail = append(r.fail, o.FailReason)
	r.vbank = append(r.vbank, n.vbank)
	r.forgery = append(r.forgery, o.ForgeryCancelled)
	r.success = append(r.success, o.SuccessURL)
	r.failURL = append(r.failURL, o.FailURL)
	r.created = append(r.created, tsz(sqlstore.NowOr(o.CreatedAt)))
	r.updated = append(r.updated, tsz(sqlstore.NowOr(o.UpdatedAt)))
	r.paidAt = append(r.paidAt, tsz(o.PaidAt))
	r.nextCheck = append(r.nextCheck, tsz(o.NextCheckAt))
	r.checks = append(r.checks, int32(o.Checks))
}

// insertOrders inserts orders with one statement and gives each its
// stored order: the first CreateOrder of a merchant_uid the inserted row,
// any other nil (it existed). ON CONFLICT DO NOTHING waits for a
// concurrent insert of the same merchant_uid to commit, so the read that
// follows a miss finds it.
func (s *Store) insertOrders(group []*pendingCreate) error {
	if len(group) == 0 {
		return nil
	}
	var r createRows
	for _, p := range group {
		r.add(p.Value)
	}
	what := "create orders"
	if len(group) == 1 {
		what = fmt.Sprintf("create order %q", group[0].Value.o.MerchantUID)
	}
	// The group outlives any one caller's context, as a write group does.
	ctx := context.WithoutCancel(group[0].Value.ctx)
	inserted, err := queryOrders(ctx, s.pool, what, sqlGroupCreate,
		r.uid, r.name, r.amount, r.currency, r.status, r.imp, r.paid, r.refunded, r.fail,
		r.vbank, r.forgery, r.success, r.failURL, r.created, r.updated, r.paidAt, r.nextCheck, r.checks)
	if err != nil {
		return err
	}
	byUID := make(map[string]*payresult.Order, len(inserted))
	for _, o := range inserted {
		byUID[o.MerchantUID] = o
	}
	for _, p := range group {
		p.Value.stored = byUID[p.Value.o.MerchantUID]
		delete(byUID, p.Value.o.MerchantUID)
	}
	return nil
}
