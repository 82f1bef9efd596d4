package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportDirection holds the layering: datasets build on generators and
// never on each other; models knows nothing of datasets; only bench wires
// datasets to models; nothing imports the command line.
func TestImportDirection(t *testing.T) {
	const mod = "github.com/hiddendim/hiddendim/"
	forbidden := map[string][]string{
		"generators": {"scenes", "clevrlite", "webpages", "models", "bench", "cmd"},
		"models":     {"generators", "scenes", "clevrlite", "webpages", "bench", "cmd"},
		"scenes":     {"clevrlite", "webpages", "models", "bench", "cmd"},
		"clevrlite":  {"scenes", "webpages", "models", "bench", "cmd"},
		"webpages":   {"scenes", "clevrlite", "models", "bench", "cmd"},
		"bench":      {"cmd"},
	}
	root := filepath.Join("..", "..")
	for pkg, bad := range forbidden {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, b := range bad {
					if path == mod+b || strings.HasPrefix(path, mod+b+"/") {
						t.Errorf("%s imports %s: %s must not depend on %s", f, path, pkg, b)
					}
				}
			}
		}
	}
}
