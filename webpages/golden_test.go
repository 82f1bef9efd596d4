package webpages

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/golden"
	"github.com/hiddendim/hiddendim/internal/writebench"
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
	writebench.WorkersAgree(t, generators.Spec{Dataset: Pages{}, Config: Pages{}.DefaultConfig(), Seed: 4,
		Splits: []generators.SplitSize{{Name: "train", Count: 24}}})
}
