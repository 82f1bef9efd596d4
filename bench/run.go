package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

// Options configure Run.
type Options struct {
	// Out is the JSONL file records are appended to.
	Out string
	// CacheDir holds generated datasets; "" means DefaultCacheDir.
	CacheDir string
	// Verify runs every (task, model, seed) twice and fails if any score differs.
	Verify bool
	// BLAS names the linear-algebra backend, for the records.
	BLAS string
	// Log receives one line per run; nil means none.
	Log io.Writer
	// Progress, if set, reports long work: what, done, total.
	Progress func(what string, done, total int)
	// Shard limits the run to one shard of the suite's runs, as
	// Harness.Plan deals them; the zero value runs the whole suite. The
	// records are those the whole suite's run writes for those runs.
	Shard generators.Shard
	// Pictures, if set, is the folder runs draw what their models learned
	// into, one folder per run: Pictures/<task>/<model>/seed-<seed> (see
	// Job.Pictures). "" means no pictures.
	Pictures string
}

// ErrNotReproducible is wrapped when --verify finds a score that differs.
var ErrNotReproducible = errors.New("scores differ between two identical runs")

// ErrExpectation is wrapped when a sanity target is missed.
var ErrExpectation = errors.New("sanity target missed")

// Run runs every task of the suite, skipping runs the output file already
// records, appending each new record as it finishes. It returns every
// record of the suite's runs (old and new).
func (h *Harness) Run(ctx context.Context, s Suite, opt Options) ([]Record, error) {
	if opt.Out == "" {
		return nil, errors.New("bench: no output file")
	}
	if opt.CacheDir == "" {
		opt.CacheDir = DefaultCacheDir()
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	for _, task := range s.Tasks {
		if _, err := h.Kind(task.Kind); err != nil {
			return nil, fmt.Errorf("bench: task %s: %w", task.Name, err)
		}
	}
	if dir := filepath.Dir(opt.Out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	old, err := ReadRecordsSoFar(opt.Out)
	if err != nil {
		return nil, err
	}
	have := map[string]Record{}
	for _, r := range old {
		have[r.RunKey] = r
	}
	only, err := h.shardRuns(s, opt.Shard)
	if err != nil {
		return nil, err
	}
	cache := &Cache{Dir: opt.CacheDir, Datasets: h.Datasets, Progress: opt.Progress}
	var out []Record
	for _, task := range s.Tasks {
		recs, err := h.runTask(ctx, s.Name, task, cache, have, only, opt)
		out = append(out, recs...)
		if err != nil {
			return out, err
		}
	}
	return out, checkExpectations(s, out)
}

// runTask runs every (model, seed) of a task that have does not record
// (of those in only, unless it is nil), loading its data once if any must
// run, and returns the task's records.
func (h *Harness) runTask(ctx context.Context, suite string, task Task, cache *Cache, have map[string]Record, only runSet, opt Options) ([]Record, error) {
	kind, _ := h.Kind(task.Kind)
	var data Data
	var ds DatasetRecord
	defer func() { closeData(data) }()
	var out []Record
	for _, m := range task.Models {
		for _, seed := range task.Seeds {
			if only != nil && !only[runID{task.Name, m.Name, seed}] {
				continue
			}
			job := Job{Suite: suite, Task: task, Model: m, Seed: seed, Progress: opt.Progress, Pictures: opt.picturesOf(task, m, seed)}
			if r, ok := have[RunKey(task, m, seed)]; ok {
				fmt.Fprintf(opt.Log, "%s: recorded already (%s), skipped\n", job, r.RecordID[:12])
				out = append(out, r)
				continue
			}
			if data == nil {
				dir, err := cache.Dataset(ctx, task.Dataset)
				if err != nil {
					return out, fmt.Errorf("bench: task %s: %w", task.Name, err)
				}
				if data, err = kind.Load(ctx, dir, task); err != nil {
					return out, err
				}
				if ds, err = newDatasetRecord(h.Datasets, task, data.SplitHashes()); err != nil {
					return out, err
				}
			}
			rec, err := runOnce(ctx, kind, job, data, ds, opt)
			if err != nil {
				return out, err
			}
			if opt.Verify {
				job.Pass, job.Pictures = 1, ""
				again, err := runOnce(ctx, kind, job, data, ds, opt)
				if err != nil {
					return out, err
				}
				if diff := diffMetrics(rec.Metrics, again.Metrics); diff != "" {
					return out, fmt.Errorf("bench: %s: %w:\n%s", job, ErrNotReproducible, diff)
				}
				fmt.Fprintf(opt.Log, "%s: verified, both runs scored identically (record %s)\n", job, rec.RecordID[:12])
			}
			if err := appendRecord(opt.Out, rec); err != nil {
				return out, err
			}
			out = append(out, rec)
			fmt.Fprintf(opt.Log, "%s: %s %.4f, trained in %.1fs (%.0f samples/s)\n", job,
				task.Primary, rec.Metrics[task.Primary].Value, rec.Timings.TrainSeconds, rec.Timings.TrainSamplesPerSec)
		}
	}
	return out, nil
}

// picturesOf is the folder of a run's pictures, or "" for none.
func (o Options) picturesOf(t Task, m ModelSpec, seed uint64) string {
	if o.Pictures == "" {
		return ""
	}
	return filepath.Join(o.Pictures, t.Name, m.Name, fmt.Sprintf("seed-%d", seed))
}

// closeData closes a task's data if it holds what must be freed.
func closeData(d Data) {
	if c, ok := d.(io.Closer); ok {
		c.Close()
	}
}

// runOnce runs one job and seals its record.
func runOnce(ctx context.Context, kind Kind, j Job, d Data, ds DatasetRecord, opt Options) (Record, error) {
	res, err := kind.Run(ctx, j, d)
	if err != nil {
		return Record{}, err
	}
	return newRecord(j, ds, res, opt), nil
}

// RunKey hashes a run's inputs: the harness version, the task's name,
// version, dataset and labels, the model, the budget and the seed. A run
// whose key the output file already holds is skipped.
func RunKey(t Task, m ModelSpec, seed uint64) string {
	return hashJSON(struct {
		Harness, Task, Version string
		Dataset                string
		Labels                 []string
		Model                  ModelSpec
		Budget                 Budget
		Seed                   uint64
	}{HarnessVersion, t.Name, t.Version, t.Dataset.Hash(), t.Labels, m, t.Budget, seed})
}

// newRecord seals one run's record; its scores gain the model's parameter
// count.
func newRecord(j Job, ds DatasetRecord, res Result, opt Options) Record {
	t := j.Task
	scores := map[string]Metric{}
	for k, v := range res.Scores {
		scores[k] = v
	}
	scores["params"] = Exact(float64(res.Params))
	cfgJSON, _ := json.Marshal(res.Config)
	rec := Record{
		RunKey: RunKey(t, j.Model, j.Seed), Suite: j.Suite, Task: t.Name, TaskVersion: t.Version, Model: j.Model.Name, Seed: j.Seed,
		Seeds:   Seeds{Dataset: t.Dataset.Seed, Init: j.Seed, Shuffle: j.Seed},
		Dataset: ds, ModelConfig: cfgJSON, ModelSHA256: hashJSON(res.Config), Params: res.Params, Budget: t.Budget,
		Primary: t.Primary, Metrics: scores, Timings: res.Timings, Env: CurrentEnv(opt.BLAS),
	}
	rec.seal()
	return rec
}

// newDatasetRecord names a task's data in its records.
func newDatasetRecord(reg *generators.Registry, t Task, splits map[string]string) (DatasetRecord, error) {
	gs, err := t.Dataset.Spec(reg)
	if err != nil {
		return DatasetRecord{}, err
	}
	return DatasetRecord{Generator: t.Dataset.Generator, Version: t.Dataset.Version, SpecSHA256: t.Dataset.Hash(),
		ConfigSHA256: generators.ConfigHash(gs.Config), Splits: splits}, nil
}

// diffMetrics lists the metrics whose values or intervals differ at all.
func diffMetrics(a, b map[string]Metric) string {
	var lines []string
	for _, k := range sortedKeys(a) {
		x, y := a[k], b[k]
		same := x.Value == y.Value || (math.IsNaN(x.Value) && math.IsNaN(y.Value))
		if (x.CI95 == nil) != (y.CI95 == nil) || (x.CI95 != nil && *x.CI95 != *y.CI95) {
			same = false
		}
		if !same {
			lines = append(lines, fmt.Sprintf("  %s: %v vs %v", k, x.Value, y.Value))
		}
	}
	return strings.Join(lines, "\n")
}

// checkExpectations checks each sanity target whose model recs hold with
// every seed of the task: a shard that runs only some of a model's seeds
// leaves its target to a run that holds them all (Harness.Check).
func checkExpectations(s Suite, recs []Record) error {
	var missed []string
	for _, t := range s.Tasks {
		for _, e := range t.Expect {
			var vals []float64
			for _, r := range recs {
				if r.Task == t.Name && r.Model == e.Model {
					vals = append(vals, r.Metrics[e.Metric].Value)
				}
			}
			if len(vals) == len(t.Seeds) && MeanCI(vals).Value < e.Min {
				missed = append(missed, fmt.Sprintf("%s: %s %s mean %.4f over %d seeds, want at least %.4f", t.Name, e.Model, e.Metric, MeanCI(vals).Value, len(vals), e.Min))
			}
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("bench: %w — the harness or the model is wrong:\n  %s", ErrExpectation, strings.Join(missed, "\n  "))
	}
	return nil
}

// Check holds recs, the records of a suite's run taken together (from its
// shards, say, by MergeRecordFiles), to the suite: it is an error for a run
// of s to have no record among them, naming the runs missing, or for a
// model to miss a sanity target over its seeds (ErrExpectation).
func (h *Harness) Check(s Suite, recs []Record) error {
	have := map[string]bool{}
	for _, r := range recs {
		have[r.RunKey] = true
	}
	var missing []string
	runs := 0
	for _, t := range s.Tasks {
		for _, m := range t.Models {
			for _, seed := range t.Seeds {
				runs++
				if !have[RunKey(t, m, seed)] {
					missing = append(missing, fmt.Sprintf("%s %s seed %d", t.Name, m.Name, seed))
				}
			}
		}
	}
	if n := len(missing); n > 0 {
		if n > 10 {
			missing = append(missing[:10], fmt.Sprintf("and %d more", n-10))
		}
		return fmt.Errorf("bench: the records lack %d of the %d runs of suite %s (a shard not given, or not finished?): %s", n, runs, s.Name, strings.Join(missing, ", "))
	}
	return checkExpectations(s, recs)
}
