package outbox_test

import (
	"context"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
)

// TestWorkersNeverSendOneEventTogether runs two workers, as two instances
// would, against one PostgreSQL database (and SQLite, which serialises
// claims anyway) and checks that no event is ever in flight twice at the
// same time and that every event is delivered exactly once when the app
// always accepts.
func TestWorkersNeverSendOneEventTogether(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s payresult.Store) {
		const events = 120
		c := newClock()
		ids := seedEvents(t, s, c, events)

		var mu sync.Mutex
		inFlight := map[string]int{}
		delivered := map[string]int{}
		overlaps := 0
		a := newApp(t, c, func(n int, r *http.Request) int {
			id := r.Header.Get("webhook-id")
			mu.Lock()
			inFlight[id]++
			if inFlight[id] > 1 {
				overlaps++
			}
			mu.Unlock()
			// Yield to the other worker while this event is in flight, so
			// that a second send of it would be seen overlapping.
			for range 50 {
				runtime.Gosched()
			}
			mu.Lock()
			inFlight[id]--
			delivered[id]++
			mu.Unlock()
			return http.StatusOK
		})

		workers := []int{0, 0}
		var wg sync.WaitGroup
		deadline := time.Now().Add(20 * time.Second)
		for i := range workers {
			w := newWorker(s, c, a.srv.URL)
			w.BatchSize = 7
			wg.Go(func() {
				for time.Now().Before(deadline) {
					n, err := w.Step(context.Background())
					if err != nil {
						t.Errorf("worker %d: Step: %v", i, err)
						return
					}
					if n == 0 {
						return
					}
					workers[i] += n
				}
			})
		}
		wg.Wait()

		if overlaps != 0 {
			t.Errorf("%d sends overlapped with another send of the same event", overlaps)
		}
		for _, id := range ids {
			if delivered[id] != 1 {
				t.Errorf("event %s delivered %d times, want 1", id, delivered[id])
			}
			if ev := event(t, s, id); ev.State != payresult.DeliveryDelivered {
				t.Errorf("event %s is %s, want delivered", id, ev.State)
			}
		}
		if workers[0]+workers[1] != events {
			t.Errorf("workers attempted %d + %d events, want %d in all", workers[0], workers[1], events)
		}
		t.Logf("worker 0 sent %d events, worker 1 sent %d", workers[0], workers[1])
	})
}
