package main

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// layers says which of the module's packages each part may import (by
// path prefix, the longest rule wins): nothing imports a package above it.
// A daemon service (daemon/<name>) may not import the daemon nor another
// service; it is given what it needs by the daemon. Likewise a part of the
// store (store/<name>) imports neither the store nor another part, only
// the shared vocabulary and the writer the engines share; an engine
// (store/sqlite, store/postgres) imports that writer and the vocabulary
// alone, and the parts' test helpers (store/internal/storetest) open
// either engine.
var layers = []struct {
	part    string
	imports []string
}{
	{"protocols", []string{"protocols"}},
	{"internal", []string{"internal", "protocols"}},
	{"configs", []string{"protocols"}},
	{"store", []string{"store", "protocols", "internal"}},
	{"store/", []string{"store/core", "store/engine", "protocols", "internal"}},
	{"store/core", []string{"protocols"}},
	{"store/engine", []string{"store/core"}},
	{"store/sqlite", []string{"store/core", "store/engine"}},
	{"store/postgres", []string{"store/core", "store/engine"}},
	{"store/internal/storetest", []string{"store/core", "store/engine", "store/sqlite", "store/postgres", "internal"}},
	{"receiver", []string{"receiver", "protocols", "store", "internal"}},
	{"daemon/", []string{"receiver", "protocols", "store", "internal"}},
	{"daemon", []string{"daemon", "receiver", "protocols", "store", "internal", "configs"}},
	{"cmd", []string{"daemon", "receiver", "protocols", "store", "internal", "configs"}},
}

func TestLayering(t *testing.T) {
	const module = "github.com/alarmrx/alarmrx/"
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(filepath.Base(path), ".") && rel != "." || filepath.Base(path) == "testdata" {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files here
		}
		rule := -1
		for i, l := range layers {
			if (rel == l.part || strings.HasPrefix(rel, strings.TrimSuffix(l.part, "/")+"/")) &&
				(rule < 0 || len(l.part) > len(layers[rule].part)) {
				rule = i
			}
		}
		if rule < 0 {
			t.Errorf("package %s is in no layer: add it to the table", rel)
			return nil
		}
		checked++
		service := "" // daemon/<service> or store/<part>: its own subpackages are its own
		if strings.HasPrefix(rel, "daemon/") || strings.HasPrefix(rel, "store/") {
			service = rel[:strings.Index(rel, "/")] + "/" + strings.SplitN(rel, "/", 3)[1]
		}
		for _, imp := range pkg.Imports { // test files may reach further: they assemble
			if !strings.HasPrefix(imp, module) {
				continue
			}
			target := strings.TrimPrefix(imp, module)
			if service != "" && (target == service || strings.HasPrefix(target, service+"/")) {
				continue
			}
			ok := false
			for _, allowed := range layers[rule].imports {
				if target == allowed || strings.HasPrefix(target, allowed+"/") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s imports %s, which is above it or beside it", rel, target)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked %d packages: the walk missed the tree", checked)
	}
}
