package webpages

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestGolden(t *testing.T) {
	configs := map[string]func(*Config){
		"default":  nil,
		"pix2code": func(c *Config) { c.Pix2Code = true },
		"parts":    func(c *Config) { c.Parts, c.Menu, c.Footer = true, "right", "yes" },
	}
	got := map[string][]string{}
	for name, mod := range configs {
		pages(t, testPlan(t, mod), 5, func(_ int, _ *Example, _ *renderer, s generators.Sample) {
			got[name] = append(got[name], generators.ContentHash(s))
		})
	}
	golden.Hashes(t, filepath.Join("testdata", "golden.json"), got, *update)
}

// The same bytes on disk whatever the number of workers.
func TestWorkersDoNotChangeTheBytes(t *testing.T) {
	var sums []string
	for _, workers := range []int{1, 3} {
		out := filepath.Join(t.TempDir(), "p")
		spec := generators.Spec{Dataset: Pages{}, Config: Pages{}.DefaultConfig(), Seed: 4, Splits: []generators.SplitSize{{Name: "train", Count: 24}}}
		if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: out, Workers: workers}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(out, "train", generators.SumsFile))
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, string(b))
	}
	if sums[0] != sums[1] {
		t.Error("1 and 3 workers wrote different files")
	}
}
