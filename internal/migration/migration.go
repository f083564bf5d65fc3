// Package migration reads a store's numbered schema steps and picks the
// ones a database lacks. Applying them, and keeping two processes from
// applying them at once, is each store's own business.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Step is one numbered schema step, read from a file such as
// 0001_init.sql.
type Step struct {
	Version int
	Name    string // the file's name, without its directory
	SQL     string
}

// Load reads the steps in dir of fsys (every *.sql file there, each named
// with its version and an underscore) in version order.
func Load(fsys fs.FS, dir string) ([]Step, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var steps []Step
	for _, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: no leading number", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		steps = append(steps, Step{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Version < steps[j].Version })
	return steps, nil
}

// Pending returns the steps of steps (in version order) newer than
// applied, the database's newest applied version. A database newer than
// every step was migrated by a later payresult, which this one must not
// write to.
func Pending(steps []Step, applied int) ([]Step, error) {
	if len(steps) > 0 && applied > steps[len(steps)-1].Version {
		return nil, fmt.Errorf("database schema version %d is newer than this payresult (%d)", applied, steps[len(steps)-1].Version)
	}
	for i, s := range steps {
		if s.Version > applied {
			return steps[i:], nil
		}
	}
	return nil, nil
}
