package report

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hiddendim/hiddendim/bench"
)

var tagStart = regexp.MustCompile(`<[a-zA-Z/!?]`)

// FuzzWriteEscapes writes the report of a record whose task, model and
// primary metric have any names: the page is written, holds none of them
// raw where they would be markup, and each cell reads back with its names
// exactly.
func FuzzWriteEscapes(f *testing.F) {
	for _, s := range [][3]string{
		{"shapes-multilabel", "perlabel", "subset_accuracy"},
		{`<script>alert(1)</script>`, `" onmouseover="x`, "a&b"},
		{"../../etc", "..", "."},
		{"täsk ✓", "", "m/é"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	rec := readQuick(f)[0]
	h := harness()
	f.Fuzz(func(t *testing.T, task, model, metric string) {
		for _, s := range []string{task, model, metric} {
			// Records are JSON: names are valid UTF-8, and html/template
			// replaces NUL, which a name could not round-trip.
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || strings.TrimSpace(s) != s || s == "" {
				t.Skip()
			}
		}
		if metric == "params" {
			t.Skip()
		}
		r := rec
		r.Task, r.Model, r.Primary = task, model, metric
		r.Metrics = map[string]bench.Metric{metric: r.Metrics[rec.Primary], "params": r.Metrics["params"]}
		out := filepath.Join(t.TempDir(), "r")
		page, err := Write(h, []bench.Record{r}, Options{Out: out})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		// A name that could open a tag must not appear raw; a quote that
		// broke out of an attribute would break the cells' names below.
		for _, s := range []string{task, model, metric} {
			if tagStart.MatchString(s) && strings.Contains(string(b), s) {
				t.Errorf("the page holds %q unescaped", s)
			}
		}
		cells := cellsOf(t, b)
		if len(cells) != 3 { // the metric, params and train seconds
			t.Fatalf("%d cells read back, want 3", len(cells))
		}
		for _, c := range cells {
			if c.Task != task || c.Model != model {
				t.Errorf("cell names (%q, %q), want (%q, %q)", c.Task, c.Model, task, model)
			}
		}
		checkCells(t, h, []bench.Record{r}, cells)
		for _, s := range imageSources(b) {
			if rel, err := filepath.Rel(out, filepath.Join(out, s)); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("image %q is outside the report", s)
			}
		}
	})
}
