package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hiddendim/hiddendim/models"
)

// Training is what every training run outside the suites needs: where its data
// and results are, its budget and seed, and its progress hooks.
type Training struct {
	Data string // dataset folder
	Out  string // folder for model.ckpt and metrics.json
	// Train and Test are split names; Test "" skips scoring.
	Train, Test string
	Budget      Budget
	Seed        uint64
	// Overwrite lets a run without resume replace a checkpoint in Out.
	Overwrite bool
	// OnStep and OnEpoch report progress.
	OnStep  func(step, total int, loss float64)
	OnEpoch func(epoch int, loss float64)
}

// CheckpointFile is the checkpoint's name in a training folder.
const CheckpointFile = "model.ckpt"

// ErrCheckpointExists is wrapped when a training run would replace a
// checkpoint without being told to resume from it or overwrite it.
var ErrCheckpointExists = errors.New("already holds a checkpoint")

// Fit trains model on n examples with the run's budget, saving a
// checkpoint of kind with meta into Out after every epoch. With resume it
// continues from the checkpoint there (see resumeFrom); without, a
// checkpoint there is an error unless Overwrite, which removes it and the
// old metrics.json first. feed gets the steps already made (so a resumed
// VAE's noise continues where it stopped). It returns the training seconds.
func (o Training) Fit(ctx context.Context, kind string, meta any, model models.Model, n int, feed func(start int) models.Feeder, resume bool) (float64, error) {
	if resume && o.Overwrite {
		return 0, Mismatchf("bench: resume or overwrite, not both")
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	ckpt := filepath.Join(o.Out, CheckpointFile)
	_, statErr := os.Stat(ckpt)
	exists := statErr == nil
	var st *models.State
	switch {
	case exists && resume:
		var err error
		if st, err = resumeFrom(ckpt, kind, meta, o.Budget, model.Params()); err != nil {
			return 0, err
		}
	case exists && !o.Overwrite:
		return 0, fmt.Errorf("bench: %s %w; pass --resume to continue it or --overwrite to train afresh", o.Out, ErrCheckpointExists)
	case exists:
		// The old run's files go first, so that an interrupted new run never
		// leaves the old checkpoint or scores looking like its own.
		for _, f := range []string{ckpt, filepath.Join(o.Out, "metrics.json")} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return 0, fmt.Errorf("bench: %w", err)
			}
		}
	}
	start := 0
	if st != nil {
		start = st.Step
	}
	tc := models.TrainConfig{Epochs: o.Budget.Epochs, Batch: o.Budget.Batch, LR: o.Budget.LR, Schedule: o.Budget.Schedule, Seed: o.Seed, OnStep: o.OnStep,
		OnEpoch: saveEachEpoch(kind, meta, model.Params(), ckpt, o.OnEpoch)}
	t0 := time.Now()
	if _, err := models.Train(ctx, model, n, feed(start), tc, st); err != nil {
		return 0, err
	}
	return time.Since(t0).Seconds(), nil
}

// saveEachEpoch is a training hook that saves a checkpoint of kind with
// meta after every epoch (so an interrupted run loses at most one) and
// then reports the epoch's mean loss.
func saveEachEpoch(kind string, meta any, params []*models.Param, path string, report func(epoch int, loss float64)) func(int, *models.State) error {
	return func(epoch int, st *models.State) error {
		ck, err := models.NewCheckpoint(kind, meta, params, st)
		if err != nil {
			return err
		}
		if err := ck.Save(path); err != nil {
			return err
		}
		if report != nil {
			report(epoch, st.Losses[len(st.Losses)-1])
		}
		return nil
	}
}

// resumeFrom restores params from the checkpoint at path and returns the
// training state to continue from. The checkpoint must be of kind and its
// meta equal to meta in everything but the budget's epochs, which may grow:
// a constant-rate run of 2 epochs resumed with 3 continues to the weights a
// 3-epoch run reaches. A cosine run's rate depends on its total epochs (it
// anneals to 0 at the last), so its epochs cannot change. Every refusal is
// a MismatchError naming what differs.
func resumeFrom(path, kind string, meta any, budget Budget, params []*models.Param) (*models.State, error) {
	ck, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if ck.Kind != kind {
		return nil, Mismatchf("bench: %s holds a %s, not a %s; train the same model, or start afresh with --overwrite", path, ck.Kind, kind)
	}
	want, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var old, now any
	if err := json.Unmarshal(ck.Config, &old); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	if err := json.Unmarshal(want, &now); err != nil {
		return nil, err
	}
	was, is := map[string]string{}, map[string]string{}
	flattenJSON("", old, was)
	flattenJSON("", now, is)
	var diffs []string
	for _, k := range sortedKeys(mergeKeys(was, is)) {
		if k == "budget.epochs" || was[k] == is[k] {
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%s %s → %s", settingName(k), orNone(was[k]), orNone(is[k])))
	}
	if len(diffs) > 0 {
		return nil, Mismatchf("bench: %s was trained with other settings (%s); resume with the same ones, or start afresh with --overwrite", path, strings.Join(diffs, ", "))
	}
	oldEpochs, _ := strconv.Atoi(was["budget.epochs"])
	switch {
	case budget.Epochs < ck.Epoch:
		return nil, Mismatchf("bench: %s has %d epochs done; --epochs %d is fewer (keep --epochs %d or more)", path, ck.Epoch, budget.Epochs, ck.Epoch)
	case budget.Epochs != oldEpochs && budget.Schedule == Cosine:
		return nil, Mismatchf("bench: %s is a cosine run of %d epochs; its rate depends on the total epochs, so --epochs %d would not give the run a %d-epoch cosine schedule gives; keep --epochs %d, or start afresh with --overwrite", path, oldEpochs, budget.Epochs, budget.Epochs, oldEpochs)
	}
	return ck.Restore(params)
}

// flattenJSON records each leaf of a decoded JSON value under its dotted
// path, as JSON; arrays are leaves.
func flattenJSON(prefix string, v any, out map[string]string) {
	if m, ok := v.(map[string]any); ok {
		for _, k := range sortedKeys(m) {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flattenJSON(p, m[k], out)
		}
		return
	}
	b, _ := json.Marshal(v)
	out[prefix] = strings.Trim(string(b), `"`)
}

func mergeKeys(a, b map[string]string) map[string]bool {
	all := map[string]bool{}
	for k := range a {
		all[k] = true
	}
	for k := range b {
		all[k] = true
	}
	return all
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// settingName names a checkpoint meta field by the train flag that sets it.
func settingName(path string) string {
	switch path {
	case "model.arch":
		return "MODEL"
	case "budget.lr":
		return "--lr"
	case "budget.batch":
		return "--batch"
	case "budget.schedule":
		return "--schedule"
	case "model.seed":
		return "--seed"
	case "model.latent":
		return "--latent"
	case "model.beta":
		return "--beta"
	case "model.likelihood", "model.sigma":
		return "--likelihood (" + path + ")"
	case "model.lambda":
		return "--lambda"
	case "labels":
		return "--labels"
	case "sampling.curriculum", "sampling.curriculum_stages":
		return "--curriculum"
	case "sampling.curriculum_questions":
		return "--curriculum-questions"
	case "sampling.curriculum_share":
		return "--curriculum-share"
	case "sampling.balance_families":
		return "--balance-families"
	case "dataset", "classes", "vocab", "model.input", "model.heads", "model.vocab", "model.steps":
		return "--data (" + path + ")"
	}
	return path
}

// Train trains model for the job on n examples with the task's budget,
// reporting progress, and returns the training timings and curve.
func (j Job) Train(ctx context.Context, model models.Model, n int, feed models.Feeder) (Timings, error) {
	b := j.Task.Budget
	tc := models.TrainConfig{Epochs: b.Epochs, Batch: b.Batch, LR: b.LR, Schedule: b.Schedule, Seed: j.Seed}
	what := j.String()
	if j.Progress != nil {
		tc.OnStep = func(step, total int, _ float64) { j.Progress(what, step, total) }
	}
	start := time.Now()
	st, err := models.Train(ctx, model, n, feed, tc, nil)
	if err != nil {
		return Timings{}, fmt.Errorf("bench: %s: %w", what, err)
	}
	secs := time.Since(start).Seconds()
	return Timings{TrainSeconds: secs, TrainSamplesPerSec: float64(st.Step*b.Batch) / secs, EpochLoss: st.Losses}, nil
}

// String names the job: "task model seed N".
func (j Job) String() string { return fmt.Sprintf("%s %s seed %d", j.Task.Name, j.Model.Name, j.Seed) }

// LoadCheckpoint reads the checkpoint at path, which must be of kind
// (else a MismatchError that says what makes one: made), and decodes its
// meta into meta.
func LoadCheckpoint(path, kind, made string, meta any) (*models.Checkpoint, error) {
	ck, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if ck.Kind != kind {
		return nil, Mismatchf("bench: %s holds a %s, not a %s (%s makes one)", path, ck.Kind, kind, made)
	}
	if err := json.Unmarshal(ck.Config, meta); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	return ck, nil
}

// CheckpointEpoch returns the epochs a checkpoint has done, for telling
// the user what an interrupted run kept.
func CheckpointEpoch(path string) (int, error) {
	ck, err := models.LoadCheckpoint(path)
	if err != nil {
		return 0, err
	}
	return ck.Epoch, nil
}

// BLASName names the BLAS this build trains with, for the records (see
// models.BLASName).
func BLASName() string { return models.BLASName() }

// Schedule shapes the learning rate over a run (see models.Schedule).
type Schedule = models.Schedule

// The learning-rate schedules.
const (
	Constant = models.Constant
	Cosine   = models.Cosine
)

// ParseSchedule returns the schedule named name; "" is Constant.
func ParseSchedule(name string) (Schedule, error) { return models.ParseSchedule(name) }

// Schedules lists every schedule.
var Schedules = models.Schedules
