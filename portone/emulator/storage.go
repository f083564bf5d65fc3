package emulator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Storage keeps a sandbox's state across restarts: its payments, prepared
// amounts, tokens and id sequence. It is stated in basic types so that a
// database adapter need not import this package; payresult's SQLite and
// PostgreSQL stores implement it (their Sandbox method), in tables of
// their own beside the orders.
//
// An entry is a value under a kind ("payment", "prepared", "token", ...)
// and an id unique within its kind. The emulator writes an entry before
// it answers the request that changed it, so an answer a client has seen
// is never lost by a restart.
type Storage interface {
	// Load returns every entry of kind, by id.
	Load(ctx context.Context, kind string) (map[string][]byte, error)
	// Insert saves a new entry. It reports false, and changes nothing,
	// when kind already has an entry with id.
	Insert(ctx context.Context, kind, id string, value []byte) (bool, error)
	// Put saves an entry, replacing the one of the same kind and id.
	Put(ctx context.Context, kind, id string, value []byte) error
	// Next adds one to the counter name and returns its new value; a
	// counter starts at 0, so the first call returns 1.
	Next(ctx context.Context, name string) (int64, error)
	// Clear deletes every entry. Counters are kept, so that ids drawn
	// after a reset still differ from every earlier one.
	Clear(ctx context.Context) error
}

// MemoryStorage is a Storage in memory: a restart of the process forgets
// it, but two Emulators opened on it one after the other behave as one
// that restarted. It is safe for concurrent use.
type MemoryStorage struct {
	mu       sync.Mutex
	entries  map[string]map[string][]byte
	counters map[string]int64
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{entries: map[string]map[string][]byte{}, counters: map[string]int64{}}
}

// Load returns copies of the entries of kind.
func (m *MemoryStorage) Load(_ context.Context, kind string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]byte, len(m.entries[kind]))
	for id, v := range m.entries[kind] {
		out[id] = append([]byte(nil), v...)
	}
	return out, nil
}

// Insert saves a new entry unless id is taken.
func (m *MemoryStorage) Insert(_ context.Context, kind, id string, value []byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.entries[kind][id]; taken {
		return false, nil
	}
	m.put(kind, id, value)
	return true, nil
}

// Put saves an entry.
func (m *MemoryStorage) Put(_ context.Context, kind, id string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put(kind, id, value)
	return nil
}

func (m *MemoryStorage) put(kind, id string, value []byte) {
	if m.entries[kind] == nil {
		m.entries[kind] = map[string][]byte{}
	}
	m.entries[kind][id] = append([]byte(nil), value...)
}

// Next advances the counter name.
func (m *MemoryStorage) Next(_ context.Context, name string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counters[name]++
	return m.counters[name], nil
}

// Clear deletes every entry and keeps the counters.
func (m *MemoryStorage) Clear(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.entries)
	return nil
}

// Kinds of entries and names of counters the emulator keeps.
const (
	kindPayment  = "payment"  // a V1 payment attempt, by imp_uid
	kindPrepared = "prepared" // a V1 prepared amount, by merchant_uid
	kindToken    = "token"    // tokens in force, by their issuer
	counterBoot  = "boot"     // one per start or reset: seeds the ids
)

// storageTimeout bounds one write to the Storage: the emulator holds its
// lock meanwhile.
const storageTimeout = 10 * time.Second

// ErrStorage wraps a failure of the Storage: the change it was saving
// was not made.
var ErrStorage = errors.New("emulator: sandbox storage failed")

// storeErr wraps err as ErrStorage.
func storeErr(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrStorage, what, err)
}

// persist runs one write against the Storage, if there is one. Callers
// hold mu, so that writes reach the Storage in the order they happened.
func (e *Emulator) persist(what string, f func(ctx context.Context, s Storage) error) error {
	if e.store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	if err := f(ctx, e.store); err != nil {
		return storeErr(what, err)
	}
	return nil
}

// loadKind reads every entry of kind in a stable order, decoding each
// with decode.
func loadKind(ctx context.Context, s Storage, kind string, decode func(id string, v []byte) error) error {
	entries, err := s.Load(ctx, kind)
	if err != nil {
		return storeErr("loading "+kind, err)
	}
	for _, id := range slices.Sorted(maps.Keys(entries)) {
		if err := decode(id, entries[id]); err != nil {
			return fmt.Errorf("emulator: saved %s %s: %w", kind, id, err)
		}
	}
	return nil
}
