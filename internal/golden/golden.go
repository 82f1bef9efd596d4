// Package golden compares tests' results with golden files in testdata,
// rewriting them under -update.
package golden

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Hashes checks got (named lists of content hashes) against the JSON
// golden file at path, or rewrites the file when update is set. A
// mismatch means samples changed: a MAJOR version bump, or -update if
// intended.
func Hashes(t testing.TB, path string, got map[string][]string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	var want map[string][]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for name, hs := range want {
		if !slices.Equal(got[name], hs) {
			t.Errorf("%s: samples changed (%d hashes, golden %d): a MAJOR version bump, or -update if intended", name, len(got[name]), len(hs))
		}
	}
	if len(want) != len(got) {
		t.Errorf("golden file has %d configs, the test renders %d; run -update", len(want), len(got))
	}
}
