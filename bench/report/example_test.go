package report_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/classify"
	"github.com/hiddendim/hiddendim/bench/report"
	"github.com/hiddendim/hiddendim/bench/vae"
	"github.com/hiddendim/hiddendim/generators"
)

// Write the report of the quick suite's first four records, three
// classifiers and a VAE, without a dataset cache: two tasks, each with its
// plot by model and its training curve.
func ExampleWrite() {
	recs, err := bench.ReadRecords("testdata/quick.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	h := bench.NewHarness(generators.NewRegistry(generators.Shapes{}), classify.Kind{}, vae.Kind{})
	dir, err := os.MkdirTemp("", "report-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	page, err := report.Write(h, recs[:4], report.Options{Out: filepath.Join(dir, "report"), Files: []string{"testdata/quick.jsonl"}})
	if err != nil {
		log.Fatal(err)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(page))
	fmt.Println(strings.Count(string(b), "<img "), "plots")
	fmt.Println(strings.Contains(string(b), `data-task="vae-shapes" data-model="vae" data-metric="neg_elbo"`))
	// Output:
	// index.html
	// 4 plots
	// true
}
