package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// tinySuite trains two small models for one epoch on 256 samples: enough
// to exercise every part of the harness in about a second.
func tinySuite() Suite {
	t := shapesTask("tiny", map[string]string{"holdout": "red square"}, 256, 96, Budget{Epochs: 1, Batch: 32, LR: 2e-3}, []uint64{1, 2}, nil)
	t.Models = []ModelSpec{{Name: "multilabel", Arch: "multilabel", Conv: []int{4, 8}, Hidden: 16}, {Name: "combo", Arch: "combo", Conv: []int{4, 8}, Hidden: 16}}
	return Suite{Name: "tiny", Tasks: []Task{t}}
}

func TestRunRecordsResumesAndVerifies(t *testing.T) {
	dir := t.TempDir()
	opt := Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "cache"), Verify: true}
	recs, err := Run(context.Background(), tinySuite(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 2 models × 2 seeds", len(recs))
	}
	r := recs[0]
	for _, name := range []string{"subset_accuracy", "heldout_subset_accuracy", "shape_accuracy", "color_accuracy", "hamming_loss", "macro_f1", "params"} {
		if _, ok := r.Metrics[name]; !ok {
			t.Errorf("record lacks metric %s: %v", name, r.Metrics)
		}
	}
	if r.Metrics["subset_accuracy"].CI95 == nil || r.Dataset.Splits["train"] == "" || r.Env.GOMAXPROCS == 0 || r.Params == 0 {
		t.Errorf("incomplete record: %+v", r)
	}
	// A rerun skips every recorded run and writes nothing new.
	before, _ := os.ReadFile(opt.Out)
	var log bytes.Buffer
	opt.Log, opt.Verify = &log, false
	again, err := Run(context.Background(), tinySuite(), opt)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(opt.Out)
	if !bytes.Equal(before, after) || strings.Count(log.String(), "skipped") != 4 {
		t.Fatalf("rerun changed the file or did not skip:\n%s", log.String())
	}
	// A fresh run into another file reproduces every record id.
	opt.Out = filepath.Join(dir, "r2.jsonl")
	fresh, err := Run(context.Background(), tinySuite(), opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range fresh {
		if fresh[i].RecordID != again[i].RecordID {
			t.Errorf("run %d: record id %s, first time %s", i, fresh[i].RecordID[:12], again[i].RecordID[:12])
		}
	}
}

func TestRecordIDIgnoresTimingsOnly(t *testing.T) {
	r := Record{Task: "t", Model: "m", Metrics: map[string]Metric{"subset_accuracy": {Value: 0.5}}}
	r.seal()
	a := r.RecordID
	r.Timings.TrainSeconds, r.Env.CPU = 99, "other"
	r.seal()
	if r.RecordID != a {
		t.Fatal("timings or hardware changed the record id")
	}
	r.Metrics["subset_accuracy"] = Metric{Value: 0.51}
	r.seal()
	if r.RecordID == a {
		t.Fatal("a different score kept the record id")
	}
}

func TestCacheRegeneratesATamperedDataset(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	spec := tinySuite().Tasks[0].Dataset
	dir, err := c.Dataset(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := generators.ReadManifest(dir)
	os.Remove(filepath.Join(dir, "train", "images", "000003.png"))
	if generators.Verify(dir) == nil {
		t.Fatal("tampering not seen")
	}
	dir2, err := c.Dataset(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := generators.ReadManifest(dir2)
	if dir2 != dir || generators.Verify(dir2) != nil || m1.Splits["train"].SHA256 != m2.Splits["train"].SHA256 {
		t.Fatal("the cache did not regenerate the same dataset")
	}
}

func TestExpectationsAndUnknownSuite(t *testing.T) {
	s := tinySuite()
	s.Tasks[0].Seeds = []uint64{1}
	s.Tasks[0].Expect = []Expectation{{Model: "multilabel", Metric: "subset_accuracy", Min: 1.01}}
	dir := t.TempDir()
	_, err := Run(context.Background(), s, Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "c")})
	if !errors.Is(err, ErrExpectation) {
		t.Fatalf("Run = %v, want ErrExpectation", err)
	}
	if _, err := LookupSuite("quik"); err == nil || !strings.Contains(err.Error(), "known: full, quick, standard") {
		t.Fatalf("LookupSuite: %v", err)
	}
}

func TestLeaderboardRanksByDirection(t *testing.T) {
	mk := func(model string, seed uint64, acc, loss float64) Record {
		return Record{Task: "t", Model: model, Seed: seed, Primary: "hamming_loss",
			Metrics: map[string]Metric{"hamming_loss": {Value: loss}, "subset_accuracy": Wilson(int(acc*100), 100)}}
	}
	boards := Aggregate([]Record{mk("a", 1, 0.9, 0.2), mk("a", 2, 0.8, 0.3), mk("b", 1, 0.7, 0.1), mk("b", 2, 0.6, 0.1)})
	e := boards[0].Entries
	if e[0].Model != "b" || e[1].Model != "a" {
		t.Fatalf("lower hamming loss should rank first: %+v", e)
	}
	if a := e[1].Metrics["hamming_loss"]; a.Value != 0.25 || a.CI95 == nil {
		t.Fatalf("mean over seeds %+v", a)
	}
	// Two seeds, 0.2 and 0.3: 0.25 ± t(0.975, 1)·0.05 = 0.25 ± 0.6353, whose
	// lower end is clamped to a proportion's range.
	if a := e[1].Metrics["hamming_loss"].CI95; a[0] != 0 || !near(a[1], 0.25+12.7062047*0.05, 1e-6) {
		t.Fatalf("interval %v, want [0, 0.8853]", *a)
	}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := WriteBoards(&buf, boards, f); err != nil || !strings.Contains(buf.String(), "hamming_loss") {
			t.Errorf("format %s: %v\n%s", f, err, buf.String())
		}
	}
	var buf bytes.Buffer
	WriteBoards(&buf, boards, "table")
	if !strings.Contains(buf.String(), "hamming_loss ↓") || !strings.Contains(buf.String(), "subset_accuracy ↑") {
		t.Errorf("headers lack directions:\n%s", buf.String())
	}
}
