package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migration is one NNNN_name.sql file: the schema version it produces, its
// name and its SQL.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the migrations in fsys (its *.sql files at the top)
// ordered by version. File names are NNNN_name.sql; the number is the
// schema version the file produces, and the versions run on from the
// first without a gap, so that every database reaches each version by the
// same files. The first is 1, unless baseline: then it may be any positive
// number (a baseline file, the whole schema at that version).
func Migrations(fsys fs.FS, baseline bool) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %q: name must start with a positive version number", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: migration %q: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	if len(out) == 0 {
		return nil, errors.New("store: no migrations")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	first := 1
	if baseline {
		first = out[0].Version
	}
	for i, m := range out {
		if want := first + i; m.Version != want {
			return nil, fmt.Errorf("store: migration %q: expected version %d", m.Name, want)
		}
	}
	return out, nil
}
