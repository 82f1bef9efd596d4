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

func readToy(t *testing.T, h *Harness, extra string) Suite {
	t.Helper()
	s, err := h.ReadSuite("tiny.json", toySuite(extra))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunRecordsResumesAndVerifies(t *testing.T) {
	closed := 0
	h := toyHarness(toyKind{closed: &closed})
	dir := t.TempDir()
	opt := Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "cache"), Verify: true}
	recs, err := h.Run(context.Background(), readToy(t, h, ""), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 2 models × 2 seeds", len(recs))
	}
	if closed != 1 {
		t.Errorf("the task's data was closed %d times, want once", closed)
	}
	r := recs[1] // model a, seed 2
	if r.Model != "a" || r.Seed != 2 || r.Metrics["score"].Value != 0.5+0.2 || r.Metrics["params"].Value != 7 || r.Params != 7 {
		t.Errorf("record of a, seed 2: %+v", r)
	}
	if string(r.ModelConfig) != `{"bias":0.5}` || r.Dataset.Splits["train"] == "" || r.Dataset.Splits["test"] == "" || r.Dataset.Generator != "shapes" || r.Env.GOMAXPROCS == 0 {
		t.Errorf("incomplete record: %+v", r)
	}
	// A rerun skips every recorded run and writes nothing new.
	before, _ := os.ReadFile(opt.Out)
	var log bytes.Buffer
	opt.Log, opt.Verify = &log, false
	again, err := h.Run(context.Background(), readToy(t, h, ""), opt)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(opt.Out)
	if !bytes.Equal(before, after) || strings.Count(log.String(), "skipped") != 4 {
		t.Fatalf("rerun changed the file or did not skip:\n%s", log.String())
	}
	// A fresh run into another file reproduces every record id.
	opt.Out = filepath.Join(dir, "r2.jsonl")
	fresh, err := h.Run(context.Background(), readToy(t, h, ""), opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range fresh {
		if fresh[i].RecordID != again[i].RecordID {
			t.Errorf("run %d: record id %s, first time %s", i, fresh[i].RecordID[:12], again[i].RecordID[:12])
		}
	}
}

func TestVerifyCatchesAScoreThatDiffers(t *testing.T) {
	n := 0
	h := toyHarness(toyKind{flaky: &n})
	dir := t.TempDir()
	_, err := h.Run(context.Background(), readToy(t, h, ""), Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "c"), Verify: true})
	if !errors.Is(err, ErrNotReproducible) || !strings.Contains(err.Error(), "score") {
		t.Fatalf("Run = %v, want ErrNotReproducible naming the metric", err)
	}
	if recs, _ := ReadRecordsSoFar(filepath.Join(dir, "r.jsonl")); len(recs) != 0 {
		t.Errorf("a run that failed --verify was recorded: %d records", len(recs))
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
	h := toyHarness(toyKind{})
	c := &Cache{Dir: t.TempDir(), Datasets: h.Datasets}
	spec := readToy(t, h, "").Tasks[0].Dataset
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

func TestExpectations(t *testing.T) {
	h := toyHarness(toyKind{})
	dir := t.TempDir()
	// Model b scores 0.3 and 0.4 over its seeds: mean 0.35.
	for _, tt := range []struct {
		min  float64
		fail bool
	}{{0.35, false}, {0.3501, true}} {
		s := readToy(t, h, `, "expect": [{"model": "b", "metric": "score", "min": `+strings.TrimRight(strings.TrimRight(fmtFloat(tt.min), "0"), ".")+`}]`)
		_, err := h.Run(context.Background(), s, Options{Out: filepath.Join(dir, fmtFloat(tt.min)+".jsonl"), CacheDir: filepath.Join(dir, "c")})
		if got := errors.Is(err, ErrExpectation); got != tt.fail {
			t.Errorf("min %v: Run = %v, want a missed target: %v", tt.min, err, tt.fail)
		}
	}
}

func TestLeaderboardRanksByDirection(t *testing.T) {
	h := toyHarness(toyKind{})
	mk := func(model string, seed uint64, acc, loss float64) Record {
		return Record{Task: "t", Model: model, Seed: seed, Primary: "loss",
			Metrics: map[string]Metric{"loss": {Value: loss}, "score": Wilson(int(acc*100), 100)}}
	}
	boards := h.Aggregate([]Record{mk("a", 1, 0.9, 0.2), mk("a", 2, 0.8, 0.3), mk("b", 1, 0.7, 0.1), mk("b", 2, 0.6, 0.1)})
	e := boards[0].Entries
	if e[0].Model != "b" || e[1].Model != "a" {
		t.Fatalf("lower loss should rank first: %+v", e)
	}
	if a := e[1].Metrics["loss"]; a.Value != 0.25 || a.CI95 == nil {
		t.Fatalf("mean over seeds %+v", a)
	}
	// Two seeds, 0.2 and 0.3: 0.25 ± t(0.975, 1)·0.05 = 0.25 ± 0.6353, whose
	// lower end is clamped to the metric's range [0, ∞); the upper is not.
	if a := e[1].Metrics["loss"].CI95; a[0] != 0 || !near(a[1], 0.25+12.7062047*0.05, 1e-6) {
		t.Fatalf("interval %v, want [0, 0.8853]", *a)
	}
	// score, a proportion, is clamped to [0, 1]: 0.85 ± 0.635.
	if a := e[1].Metrics["score"].CI95; a[1] != 1 {
		t.Fatalf("score interval %v, want its upper end clamped to 1", *a)
	}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := WriteBoards(&buf, boards, f); err != nil || !strings.Contains(buf.String(), "loss") {
			t.Errorf("format %s: %v\n%s", f, err, buf.String())
		}
	}
	var buf bytes.Buffer
	WriteBoards(&buf, boards, "table")
	if !strings.Contains(buf.String(), "loss ↓") || !strings.Contains(buf.String(), "score ↑") {
		t.Errorf("headers lack directions:\n%s", buf.String())
	}
}

// TestBoardWithoutTimingsShowsNoTrainSeconds: a one-model board of scores
// alone (what train and eval print) shows "–" for its training time, not a
// made-up 0.0.
func TestBoardWithoutTimingsShowsNoTrainSeconds(t *testing.T) {
	h := toyHarness(toyKind{})
	rec := Record{Task: "scores", Model: "model", Primary: "score", Metrics: map[string]Metric{"score": {Value: 0.5}}}
	var buf bytes.Buffer
	if err := WriteBoards(&buf, h.Aggregate([]Record{rec}), "table"); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "–") || strings.Contains(out, "0.0 ") {
		t.Errorf("board of untimed scores:\n%s", out)
	}
}

// TestComparisonTellsSameScoresFromSameRecords: a record whose inputs
// changed (another run key) but whose scores did not is "same scores" but
// not "same records"; a changed score is neither.
func TestComparisonTellsSameScoresFromSameRecords(t *testing.T) {
	h := toyHarness(toyKind{})
	mk := func(key string, v float64) Record {
		r := Record{RunKey: key, Task: "t", Model: "m", Seed: 1, Primary: "score", Metrics: map[string]Metric{"score": {Value: v}}}
		r.seal()
		return r
	}
	for _, tt := range []struct {
		other Record
		want  string
	}{
		{mk("a", 0.5), "│ yes          │ yes         │"},
		{mk("b", 0.5), "│ no           │ yes         │"},
		{mk("a", 0.6), "│ no           │ no          │"},
	} {
		var buf bytes.Buffer
		if err := h.WriteComparison(&buf, []string{"x", "y"}, [][]Record{{mk("a", 0.5)}, {tt.other}}, "table"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), tt.want) {
			t.Errorf("comparison with %+v lacks %q:\n%s", tt.other.Metrics, tt.want, buf.String())
		}
	}
}

// TestRunGivesEachRunAPictureFolder: with Options.Pictures each run draws
// into its own folder, Pictures/<task>/<model>/seed-<seed>; a --verify
// rerun draws nothing, and without Options.Pictures no run draws.
func TestRunGivesEachRunAPictureFolder(t *testing.T) {
	var got []string
	h := toyHarness(toyKind{pictures: &got})
	dir := t.TempDir()
	pics := filepath.Join(dir, "pics")
	opt := Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "cache"), Verify: true, Pictures: pics}
	if _, err := h.Run(context.Background(), readToy(t, h, ""), opt); err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(pics, "toy-task", "a", "seed-1"), "", filepath.Join(pics, "toy-task", "a", "seed-2"), "",
		filepath.Join(pics, "toy-task", "b", "seed-1"), "", filepath.Join(pics, "toy-task", "b", "seed-2"), "",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("picture folders\n got %q\nwant %q", got, want)
	}
	got = nil
	opt.Out, opt.Pictures, opt.Verify = filepath.Join(dir, "r2.jsonl"), "", false
	if _, err := h.Run(context.Background(), readToy(t, h, ""), opt); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "") != "" || len(got) != 4 {
		t.Errorf("without Options.Pictures the runs got folders %q", got)
	}
}
