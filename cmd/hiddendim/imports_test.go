package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportDirection holds the layering, for every package and its
// sub-packages: datasets build on generators and never on each other;
// models knows nothing of datasets; only bench wires datasets to models;
// the bench kernel imports no kind of task and the kinds do not import each
// other, but for page structure, which runs its end-to-end models through
// the captioning kind; the command line reaches models only through bench; nothing
// imports the command line.
func TestImportDirection(t *testing.T) {
	const mod = "github.com/hiddendim/hiddendim/"
	kinds := []string{"bench/classify", "bench/vae", "bench/caption", "bench/reason", "bench/questions", "bench/structure"}
	forbidden := map[string][]string{
		"generators":      {"scenes", "clevrlite", "webpages", "models", "bench", "cmd"},
		"models":          {"generators", "scenes", "clevrlite", "webpages", "bench", "cmd"},
		"scenes":          {"clevrlite", "webpages", "models", "bench", "cmd"},
		"clevrlite":       {"scenes", "webpages", "models", "bench", "cmd"},
		"webpages":        {"scenes", "clevrlite", "models", "bench", "cmd"},
		"bench":           append([]string{"cmd", "scenes", "clevrlite", "webpages"}, kinds...),
		"bench/classify":  {"cmd", "bench/vae", "bench/caption", "bench/reason", "bench/structure"},
		"bench/vae":       {"cmd", "bench/classify", "bench/caption", "bench/reason", "bench/structure"},
		"bench/caption":   {"cmd", "bench/classify", "bench/vae", "bench/reason", "bench/structure"},
		"bench/reason":    {"cmd", "bench/classify", "bench/vae", "bench/caption", "bench/structure"},
		"bench/structure": {"cmd", "bench/classify", "bench/vae", "bench/reason", "bench/questions"},
		"bench/questions": {"cmd", "bench/classify", "bench/vae", "bench/caption", "bench/reason", "bench/structure"},
		"cmd":             {"models"},
	}
	root := filepath.Join("..", "..")
	// Every non-test Go file's package directory, relative to the module.
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		rules := rulesFor(rel, forbidden)
		if rules == nil {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		af, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range rules {
				if p == mod+bad || strings.HasPrefix(p, mod+bad+"/") {
					t.Errorf("%s imports %s: %s must not depend on %s", path, p, rel, bad)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The walk must have found what the rules are about, or it checked nothing.
	for _, pkg := range []string{"bench", "bench/classify", "bench/vae", "bench/caption", "bench/reason", "bench/questions", "bench/structure", "cmd/hiddendim", "models", "models/latent", "generators"} {
		if !seen[pkg] {
			t.Errorf("found no Go files in %s", pkg)
		}
	}
}

// rulesFor returns the rules of the most specific package that holds dir:
// bench/vae/x follows bench/vae; models/latent follows models.
func rulesFor(dir string, forbidden map[string][]string) []string {
	for d := dir; d != "." && d != ""; d = filepath.ToSlash(filepath.Dir(d)) {
		if r, ok := forbidden[d]; ok {
			return r
		}
	}
	return nil
}
