package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinySuite is the report tests' smallest suite: two shapes classifiers,
// two seeds, a few seconds.
var tinySuite = filepath.Join("..", "..", "bench", "report", "testdata", "tiny-suite.json")

// TestBenchWritesTheReport runs a tiny suite: bench draws each run's
// pictures and writes the report beside its records, with them, unless
// --no-report; `report` writes one from record files.
func TestBenchWritesTheReport(t *testing.T) {
	quietStdout(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	out := filepath.Join(dir, "results", "tiny.jsonl")
	if code := run(context.Background(), []string{"bench", "--suite", tinySuite, "--out", out, "--cache", cache}); code != 0 {
		t.Fatalf("bench: exit %d", code)
	}
	page, err := os.ReadFile(filepath.Join(dir, "results", "tiny-report", "index.html"))
	if err != nil {
		t.Fatalf("bench wrote no report: %v", err)
	}
	for _, want := range []string{`data-task="shapes-tiny" data-model="combo" data-metric="subset_accuracy"`, `src="datasets/shapes-`, "hiddendim bench --suite tiny.json",
		`src="pictures/0/shapes-tiny/combo/seed-2/filters_t0.png"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	quiet := filepath.Join(dir, "quiet", "tiny.jsonl")
	if code := run(context.Background(), []string{"bench", "--suite", tinySuite, "--out", quiet, "--cache", cache, "--tasks", "shapes-tiny-shape", "--no-report"}); code != 0 {
		t.Fatalf("bench --no-report: exit %d", code)
	}
	for _, f := range []string{"tiny-report", "tiny-pictures"} {
		if _, err := os.Stat(filepath.Join(dir, "quiet", f)); err == nil {
			t.Errorf("bench --no-report wrote %s", f)
		}
	}
	rep := filepath.Join(dir, "rep")
	if code := run(context.Background(), []string{"report", out, quiet, "--out", rep, "--cache", cache}); code != 0 {
		t.Fatalf("report: exit %d", code)
	}
	b, err := os.ReadFile(filepath.Join(rep, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "5 records of suite <b>tiny</b>") {
		t.Error("report of two files that share a run: the run is not counted once")
	}
}

func TestReportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	recs := filepath.Join("..", "..", "bench", "report", "testdata", "quick.jsonl")
	full := filepath.Join(dir, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report"}, 2, "want one or more record files"},
		{[]string{"report", recs}, 2, "--out DIR is required, e.g. --out"},
		{[]string{"report", filepath.Join(dir, "none.jsonl"), "--out", filepath.Join(dir, "r")}, 1, "no such file"},
		{[]string{"report", tinySuite, "--out", filepath.Join(dir, "r")}, 1, "not a record"},
		{[]string{"report", recs, "--out", full}, 1, "holds files but no earlier report"},
		{[]string{"report", recs, "--out", filepath.Join(dir, "r"), "--pictures", filepath.Join(dir, "none")}, 2, "want a folder of PNG pictures"},
		{[]string{"report", recs, "--out", filepath.Join(dir, "r"), "--nope"}, 2, "not defined: -nope"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			err := dispatch(context.Background(), tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %q", err, tt.msg)
			}
			if code := run(context.Background(), tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(full, "notes.txt")); err != nil {
		t.Error("a refused --out lost its files")
	}
}
