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
	"time"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
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
}

// ErrNotReproducible is wrapped when --verify finds a score that differs.
var ErrNotReproducible = errors.New("scores differ between two identical runs")

// ErrExpectation is wrapped when a sanity target is missed.
var ErrExpectation = errors.New("sanity target missed")

// Run runs every task of the suite, skipping runs the output file already
// records, appending each new record as it finishes. It returns every
// record of the suite's runs (old and new).
func Run(ctx context.Context, s Suite, opt Options) ([]Record, error) {
	if opt.Out == "" {
		return nil, errors.New("bench: no output file")
	}
	if opt.CacheDir == "" {
		opt.CacheDir = DefaultCacheDir()
	}
	if opt.Log == nil {
		opt.Log = io.Discard
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
	cache := &Cache{Dir: opt.CacheDir, Progress: opt.Progress}
	var out []Record
	for _, task := range s.Tasks {
		run, ok := runners[task.Kind]
		if !ok {
			return out, fmt.Errorf("bench: task %s: unknown kind %q", task.Name, task.Kind)
		}
		var data *taskData
		for _, m := range task.Models {
			for _, seed := range task.Seeds {
				key := runKey(task, m, seed)
				if r, ok := have[key]; ok {
					fmt.Fprintf(opt.Log, "%s %s seed %d: recorded already (%s), skipped\n", task.Name, m.Name, seed, r.RecordID[:12])
					out = append(out, r)
					continue
				}
				if data == nil {
					if data, err = loadTask(ctx, cache, task); err != nil {
						return out, err
					}
				}
				rec, err := run(ctx, s.Name, task, m, seed, data, opt)
				if err != nil {
					return out, err
				}
				if opt.Verify {
					again, err := run(ctx, s.Name, task, m, seed, data, opt)
					if err != nil {
						return out, err
					}
					if diff := diffMetrics(rec.Metrics, again.Metrics); diff != "" {
						return out, fmt.Errorf("bench: %s %s seed %d: %w:\n%s", task.Name, m.Name, seed, ErrNotReproducible, diff)
					}
					fmt.Fprintf(opt.Log, "%s %s seed %d: verified, both runs scored identically (record %s)\n", task.Name, m.Name, seed, rec.RecordID[:12])
				}
				if err := appendRecord(opt.Out, rec); err != nil {
					return out, err
				}
				out = append(out, rec)
				fmt.Fprintf(opt.Log, "%s %s seed %d: %s %.4f, trained in %.1fs (%.0f samples/s)\n", task.Name, m.Name, seed,
					task.Primary, rec.Metrics[task.Primary].Value, rec.Timings.TrainSeconds, rec.Timings.TrainSamplesPerSec)
			}
		}
	}
	return out, checkExpectations(s, out)
}

func runKey(t Task, m ModelSpec, seed uint64) string {
	return hashJSON(struct {
		Harness, Task, Version string
		Dataset                string
		Labels                 []string
		Model                  ModelSpec
		Budget                 Budget
		Seed                   uint64
	}{HarnessVersion, t.Name, t.Version, t.Dataset.Hash(), t.Labels, m, t.Budget, seed})
}

// runner trains and scores one (task, model, seed).
type runner func(ctx context.Context, suite string, t Task, m ModelSpec, seed uint64, d *taskData, opt Options) (Record, error)

var runners = map[string]runner{"classification": runClassification, "vae": runVAE, "captioning": runCaptioning}

type taskData struct {
	train, test       *LabeledImages
	vaeTrain, vaeTest *VAEData
	capTrain, capTest *CaptionSet
	// trained holds captioners shared between decodings; passes counts
	// each (model, seed)'s runs (see runCaptioning).
	trained map[string]*trainedCaptioner
	passes  map[string]int
	dataset DatasetRecord
}

func loadTask(ctx context.Context, cache *Cache, t Task) (*taskData, error) {
	dir, err := cache.Dataset(ctx, t.Dataset)
	if err != nil {
		return nil, fmt.Errorf("bench: task %s: %w", t.Name, err)
	}
	switch t.Kind {
	case "vae":
		return loadVAETask(dir, t)
	case "captioning":
		return loadCaptionTask(dir, t)
	}
	train, err := LoadLabeledImages(dir, t.Dataset.Train, t.Labels)
	if err != nil {
		return nil, err
	}
	test, err := LoadLabeledImages(dir, t.Dataset.Test, t.Labels)
	if err != nil {
		return nil, err
	}
	return &taskData{train: train, test: test, dataset: newDatasetRecord(t, train.SplitSHA256, test.SplitSHA256)}, nil
}

func runClassification(ctx context.Context, suite string, t Task, m ModelSpec, seed uint64, d *taskData, opt Options) (Record, error) {
	var heads []int
	for _, c := range d.train.Classes {
		heads = append(heads, len(c))
	}
	cfg := models.ClassifierConfig{Arch: m.Arch, Input: d.train.Examples.Shape, Heads: heads, Conv: m.Conv, Hidden: m.Hidden, Seed: seed}
	c, err := models.NewClassifier(cfg)
	if err != nil {
		return Record{}, err
	}
	defer c.Close()
	tim, err := trainForTask(ctx, t, m, seed, c, d.train.Examples.Len(), c.Feeder(d.train.Examples), opt)
	if err != nil {
		return Record{}, err
	}
	start := time.Now()
	pred, err := c.PredictLabels(d.test.Examples, 256)
	if err != nil {
		return Record{}, err
	}
	tim.EvalSeconds = time.Since(start).Seconds()
	scores := ClassificationScores(t.Labels, heads, d.test.Examples.Labels, pred, d.test.Heldout, seed)
	return newRecord(suite, t, m, seed, d.dataset, cfg, models.Count(c.Params()), scores, tim, opt), nil
}

// trainForTask trains one (task, model, seed) on n examples with the
// task's budget, reporting progress, and returns the training timings.
func trainForTask(ctx context.Context, t Task, m ModelSpec, seed uint64, model models.Model, n int, feed models.Feeder, opt Options) (Timings, error) {
	tc := models.TrainConfig{Epochs: t.Budget.Epochs, Batch: t.Budget.Batch, LR: t.Budget.LR, Schedule: t.Budget.Schedule, Seed: seed}
	what := fmt.Sprintf("%s %s seed %d", t.Name, m.Name, seed)
	if opt.Progress != nil {
		tc.OnStep = func(step, total int, _ float64) { opt.Progress(what, step, total) }
	}
	start := time.Now()
	st, err := models.Train(ctx, model, n, feed, tc, nil)
	if err != nil {
		return Timings{}, fmt.Errorf("bench: %s: %w", what, err)
	}
	secs := time.Since(start).Seconds()
	return Timings{TrainSeconds: secs, TrainSamplesPerSec: float64(st.Step*t.Budget.Batch) / secs}, nil
}

// newRecord seals one run's record; scores gain the model's parameter count.
func newRecord(suite string, t Task, m ModelSpec, seed uint64, ds DatasetRecord, cfg any, params int, scores map[string]Metric, tim Timings, opt Options) Record {
	scores["params"] = exact(float64(params))
	cfgJSON, _ := json.Marshal(cfg)
	rec := Record{
		RunKey: runKey(t, m, seed), Suite: suite, Task: t.Name, TaskVersion: t.Version, Model: m.Name, Seed: seed,
		Seeds:   Seeds{Dataset: t.Dataset.Seed, Init: seed, Shuffle: seed},
		Dataset: ds, ModelConfig: cfgJSON, ModelSHA256: hashJSON(cfg), Params: params, Budget: t.Budget,
		Primary: t.Primary, Metrics: scores, Timings: tim, Env: CurrentEnv(opt.BLAS),
	}
	rec.seal()
	return rec
}

// newDatasetRecord names a task's data in its records.
func newDatasetRecord(t Task, trainSHA, testSHA string) DatasetRecord {
	gs, _ := t.Dataset.Spec()
	return DatasetRecord{Generator: t.Dataset.Generator, Version: t.Dataset.Version, SpecSHA256: t.Dataset.Hash(),
		ConfigSHA256: generators.ConfigHash(gs.Config), Splits: map[string]string{t.Dataset.Train: trainSHA, t.Dataset.Test: testSHA}}
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
			if len(vals) > 0 && MeanCI(vals).Value < e.Min {
				missed = append(missed, fmt.Sprintf("%s: %s %s mean %.4f over %d seeds, want at least %.4f", t.Name, e.Model, e.Metric, MeanCI(vals).Value, len(vals), e.Min))
			}
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("bench: %w — the harness or the model is wrong:\n  %s", ErrExpectation, strings.Join(missed, "\n  "))
	}
	return nil
}
