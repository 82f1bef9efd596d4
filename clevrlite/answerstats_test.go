package clevrlite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

func TestAnswerStats(t *testing.T) {
	s := NewAnswerStats()
	q := func(typ, fam, ans string, idx int) Question {
		return Question{Type: typ, Family: fam, Answer: ans, AnswerIndex: idx}
	}
	for _, x := range []Question{
		q("binary", "closest_shape", "square", 2), q("binary", "closest_shape", "circle", 3), q("binary", "closest_shape", "circle", 3),
		q("binary", "count_same_shape", "1", 4), q("binary", "count_same_shape", "1", 4), q("binary", "count_same_shape", "1", 4),
		q("ternary", "count_between", "0", 4), q("ternary", "on_line", "yes", 0),
		q("sequence", "seq_color_at", "red", -1),
	} {
		s.Add(x)
	}
	for _, tt := range []struct {
		name   string
		answer string
		share  float64
		n      int
	}{
		{"closest_shape", "circle", 2.0 / 3, 3},
		{"count_same_shape", "1", 1, 3},
		{"binary", "#4", 3.0 / 6, 6},  // the count 1, index 4, beats circle (2 of 6)
		{"ternary", "#0", 1.0 / 2, 2}, // a tie: "#0" sorts before "#4"
		{"sequence", "red", 1, 1},     // no vocabulary index: the text
		{"never", "", 0, 0},
	} {
		a, share, n := s.Majority(tt.name)
		if a != tt.answer || share != tt.share || n != tt.n {
			t.Errorf("Majority(%s) = %q, %v, %d; want %q, %v, %d", tt.name, a, share, n, tt.answer, tt.share, tt.n)
		}
	}
	want := `| type | subtype | questions | majority answer | baseline | answers (questions) |
| --- | --- | ---: | --- | ---: | --- |
| binary | all | 6 | 1 #4 | 50.0% | 1 #4: 3, circle #3: 2, square #2: 1 |
|  | closest_shape | 3 | circle | 66.7% | circle: 2, square: 1 |
|  | count_same_shape | 3 | 1 | 100.0% | 1: 3 |
| ternary | all | 2 | yes #0 | 50.0% | yes #0: 1, 0 #4: 1 |
|  | count_between | 1 | 0 | 100.0% | 0: 1 |
|  | on_line | 1 | yes | 100.0% | yes: 1 |
| sequence | all | 1 | red | 100.0% | red: 1 |
|  | seq_color_at | 1 | red | 100.0% | red: 1 |
`
	if got := s.Markdown(); got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}
}

// The README's table of majority-answer baselines lies between these.
const (
	statsBegin = "<!-- clevrlite-answer-stats:begin -->\n"
	statsEnd   = "<!-- clevrlite-answer-stats:end -->"
)

// TestREADMEAnswerTable computes the majority-answer baselines of the
// default test split — what `hiddendim generate clevrlite` writes: seed 0,
// 200 test images of 30 questions — and holds the README's table to them.
// -update rewrites the table; -v prints it.
func TestREADMEAnswerTable(t *testing.T) {
	dir := t.TempDir()
	ds := SortOfCLEVR{}
	var test generators.SplitSize
	for _, sp := range ds.DefaultSplits() {
		if sp.Name == "test" {
			test = sp
		}
	}
	spec := generators.Spec{Dataset: ds, Config: ds.DefaultConfig(), Seed: 0, Splits: []generators.SplitSize{test}}
	if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: dir}); err != nil {
		t.Fatal(err)
	}
	r, err := generators.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := r.Split("test")
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	stats := NewAnswerStats()
	for sr.Next() {
		var ex Example
		if err := sr.Record().Decode(&ex); err != nil {
			t.Fatal(err)
		}
		for _, q := range ex.Questions {
			stats.Add(q)
		}
	}
	if err := sr.Err(); err != nil {
		t.Fatal(err)
	}
	table := stats.Markdown()
	t.Logf("the default test split (%d images, seed 0):\n%s", test.Count, table)

	path := filepath.Join("..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(readme, []byte(statsBegin)), bytes.Index(readme, []byte(statsEnd))
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q block", strings.TrimSpace(statsBegin), statsEnd)
	}
	got := string(readme[i+len(statsBegin) : j])
	if got == table {
		return
	}
	if !*update {
		t.Fatalf("README.md's answer table is stale; run go test ./clevrlite -run TestREADMEAnswerTable -update\nREADME:\n%s\ncomputed:\n%s", got, table)
	}
	out := append(append(append([]byte(nil), readme[:i+len(statsBegin)]...), table...), readme[j:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
