package metrics

import (
	"context"

	"github.com/payresult/payresult"
)

// Delivery results, the values of the result label of
// payresult_event_deliveries_total.
const (
	resultDelivered = "delivered"
	resultRetried   = "retried"
	resultDead      = "dead"
)

// DeliveryStore returns s with UpdateDelivery counting each outcome it
// records as delivered, retried or dead. Give it to the outbox worker
// only: other writers of deliveries (an operator resending a dead event)
// are not delivery attempts.
func (m *Metrics) DeliveryStore(s payresult.Store) payresult.Store {
	return &deliveryStore{Store: s, m: m}
}

// deliveryStore counts the outcomes of delivery attempts as they are
// stored; a failed write counts nothing, as the attempt is then repeated.
type deliveryStore struct {
	payresult.Store
	m *Metrics
}

// UpdateDelivery implements payresult.Store.
func (s *deliveryStore) UpdateDelivery(ctx context.Context, d *payresult.Delivery) error {
	if err := s.Store.UpdateDelivery(ctx, d); err != nil {
		return err
	}
	switch d.State {
	case payresult.DeliveryDelivered:
		s.m.deliveries.WithLabelValues(resultDelivered).Inc()
	case payresult.DeliveryPending:
		s.m.deliveries.WithLabelValues(resultRetried).Inc()
	case payresult.DeliveryDead:
		s.m.deliveries.WithLabelValues(resultDead).Inc()
	}
	return nil
}
