package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/sqlite"
)

// TestServeStoreKeepsNoNotesInMemory opens the store as serve does and
// checks that a change's notes, and notes alone, are in the database when
// Apply returns: another process on the same file reads them at once.
// Nothing waits in memory to be written later, so nothing can pile up
// there while the database refuses writes, nor be lost with the process.
func TestServeStoreKeepsNoNotesInMemory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "payresult.db")
	st, err := openStore(ctx, &serveConfig{DB: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	other, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	now := time.Now().UTC()
	note := func(detail string) payresult.Note {
		return payresult.Note{MerchantUID: "m-1", Source: payresult.SourceWebhook, Kind: "notice", Detail: detail, At: now}
	}
	o := &payresult.Order{MerchantUID: "m-1", Name: "tea", Currency: "KRW", Status: payresult.StatusPending, CreatedAt: now, UpdatedAt: now}
	if err := st.Apply(ctx, &payresult.Change{Order: o, Notes: []payresult.Note{note("with the change")}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(ctx, &payresult.Change{Notes: []payresult.Note{note("alone")}}); err != nil {
		t.Fatal(err)
	}
	notes, err := other.Notes(ctx, "m-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range notes {
		got = append(got, n.Detail)
	}
	if len(got) != 2 || got[0] != "with the change" || got[1] != "alone" {
		t.Errorf("another store on the file reads notes %q, want both, in order", got)
	}
}
