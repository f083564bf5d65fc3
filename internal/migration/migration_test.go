package migration

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadOrdersByVersion(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0010_later.sql": {Data: []byte("B")},
		"m/0002_next.sql":  {Data: []byte("A")},
		"m/0001_init.sql":  {Data: []byte("I")},
		"m/README":         {Data: []byte("not a step")},
	}
	steps, err := Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range steps {
		got = append(got, s.Name+"="+s.SQL)
	}
	if want := "0001_init.sql=I 0002_next.sql=A 0010_later.sql=B"; strings.Join(got, " ") != want {
		t.Errorf("Load = %v, want %s", got, want)
	}
	if steps[2].Version != 10 {
		t.Errorf("version %d, want 10", steps[2].Version)
	}
}

func TestLoadRefusesAnUnnumberedStep(t *testing.T) {
	fsys := fstest.MapFS{"m/init.sql": {Data: []byte("I")}}
	if _, err := Load(fsys, "m"); err == nil || !strings.Contains(err.Error(), "no leading number") {
		t.Errorf("Load = %v, want a refusal", err)
	}
}

func TestPending(t *testing.T) {
	steps := []Step{{Version: 1}, {Version: 2}, {Version: 3}}
	for _, tc := range []struct{ applied, first, n int }{{0, 1, 3}, {1, 2, 2}, {3, 0, 0}} {
		got, err := Pending(steps, tc.applied)
		if err != nil || len(got) != tc.n || (tc.n > 0 && got[0].Version != tc.first) {
			t.Errorf("Pending(%d) = %v, %v; want %d steps from %d", tc.applied, got, err, tc.n, tc.first)
		}
	}
	if _, err := Pending(steps, 4); err == nil || !strings.Contains(err.Error(), "newer than this payresult") {
		t.Errorf("Pending(4) = %v, want the schema refused as newer", err)
	}
}
