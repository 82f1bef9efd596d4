package reason

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/models"
)

// CheckpointKind is the kind a reasoner checkpoint records.
const CheckpointKind = "reasoner"

// Meta is what a reasoner checkpoint records besides the weights: the
// model, the data it was trained on, its budget and the majority prior of
// its training questions.
type Meta struct {
	// Model is the reasoner's full configuration.
	Model models.ReasonerConfig `json:"model"`
	// Dataset is the training data's generator@version.
	Dataset string `json:"dataset"`
	// Budget is the training budget; resuming may raise its epochs only.
	Budget bench.Budget `json:"budget"`
	// Prior is each family's majority answer on the training questions
	// (see MajorityPrior), the baseline scored beside the model.
	Prior []int `json:"prior"`
}

// TrainOptions configure Train.
type TrainOptions struct {
	bench.Training
	// Arch is models.RN, CNNMLP, StateRN, StateMLP or QuestionOnly.
	Arch models.ReasonerArch
	// Resume continues from Out/model.ckpt when it exists (see
	// bench.Training.Fit).
	Resume bool
}

// ParseArch returns the architecture named name ("rn", "cnn-mlp",
// "state-rn", "state-mlp", "question-only") and whether there is one.
func ParseArch(name string) (models.ReasonerArch, bool) {
	a, err := models.ParseReasonerArch(name)
	return a, err == nil
}

// Train trains one reference-sized reasoner outside the suites on the
// questions of a sort-of-CLEVR dataset, saving a checkpoint after every
// epoch, and scores it on the test split if there is one, writing the
// scores, the training time and questions per second to Out/metrics.json.
// A run that starts afresh also probes its binary accuracy as a suite's
// run does (binary_questions_to_90); a resumed one does not, as the steps
// before it were not probed.
func Train(ctx context.Context, o TrainOptions) (map[string]bench.Metric, error) {
	r0, err := OpenDataset(o.Data, o.Train, o.Test)
	if err != nil {
		return nil, err
	}
	pixels := readsPixels(o.Arch)
	train, err := LoadSet(o.Data, o.Train, pixels)
	if err != nil {
		return nil, err
	}
	meta := Meta{Model: ConfigFor(o.Arch, train, o.Seed), Dataset: r0.Manifest.Dataset + "@" + r0.Manifest.Version, Budget: o.Budget, Prior: MajorityPrior(train)}
	r, err := models.NewReasoner(meta.Model)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var test *Set
	var p *probe
	if o.Test != "" {
		if test, err = LoadSet(o.Data, o.Test, pixels); err != nil {
			return nil, err
		}
		if !o.Resume || !exists(filepath.Join(o.Out, bench.CheckpointFile)) {
			p = newProbe(r, test, o.Budget.Batch)
		}
	}
	steps, onStep := 0, o.OnStep
	o.OnStep = func(step, total int, loss float64) {
		steps++
		if p != nil {
			p.step(step)
		}
		if onStep != nil {
			onStep(step, total, loss)
		}
	}
	q := train.VQA(o.Arch)
	secs, err := o.Fit(ctx, CheckpointKind, meta, r, q.Len(), func(start int) models.Feeder { return r.Feeder(q, start) }, o.Resume)
	if err == nil && p != nil {
		err = p.err
	}
	if err != nil {
		return nil, err
	}
	if test == nil {
		return nil, nil
	}
	scores, err := evaluate(r, meta, test)
	if err != nil {
		return nil, err
	}
	if p != nil {
		p.record(scores)
		secs -= p.seconds
	}
	out := map[string]any{"metrics": scores, "split": o.Test, "model": meta, "train_seconds": secs,
		"train_questions_per_second": float64(steps*o.Budget.Batch) / secs}
	b, _ := json.MarshalIndent(out, "", "  ")
	return scores, os.WriteFile(filepath.Join(o.Out, "metrics.json"), append(b, '\n'), 0o644)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Load rebuilds a reasoner from its checkpoint. A checkpoint of another
// kind is a bench.MismatchError.
func Load(path string) (*models.Reasoner, Meta, error) {
	var meta Meta
	ck, err := bench.LoadCheckpoint(path, CheckpointKind, "train "+archList(), &meta)
	if err != nil {
		return nil, meta, err
	}
	r, err := models.NewReasoner(meta.Model)
	if err != nil {
		return nil, meta, err
	}
	if _, err := ck.Restore(r.Params()); err != nil {
		r.Close()
		return nil, meta, err
	}
	return r, meta, nil
}

// IsCheckpoint reports whether path holds a reasoner checkpoint.
func IsCheckpoint(path string) bool {
	ck, err := models.LoadCheckpoint(path)
	return err == nil && ck.Kind == CheckpointKind
}

// Evaluate scores a reasoner checkpoint on a split of a sort-of-CLEVR
// dataset. Images of another size than the reasoner was trained on are a
// bench.MismatchError.
func Evaluate(checkpoint, data, split string) (map[string]bench.Metric, error) {
	r, meta, err := Load(checkpoint)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	set, err := LoadSet(data, split, readsPixels(meta.Model.Arch))
	if err != nil {
		return nil, err
	}
	return evaluate(r, meta, set)
}

// evaluate scores r on set; its scores include "params".
func evaluate(r *models.Reasoner, meta Meta, set *Set) (map[string]bench.Metric, error) {
	if err := fits(meta, set); err != nil {
		return nil, err
	}
	pred, err := r.Predict(set.VQA(meta.Model.Arch), evalBatch)
	if err != nil {
		return nil, err
	}
	scores := Scores(set, pred, meta.Prior)
	scores["params"] = bench.Exact(float64(models.Count(r.Params())))
	return scores, nil
}

// fits refuses, as a bench.MismatchError, images of another size than a
// pixel reasoner was trained on, or a prior of another length.
func fits(meta Meta, set *Set) error {
	if readsPixels(meta.Model.Arch) && set.Shape != meta.Model.Input {
		return bench.Mismatchf("reason: the images are %v, the %s takes %v", set.Shape, meta.Model.Arch, meta.Model.Input)
	}
	if len(meta.Prior) != len(Families) || slices.ContainsFunc(meta.Prior, func(a int) bool { return a < 0 || a >= len(Answers) }) {
		return bench.Mismatchf("reason: the checkpoint's majority prior %v is not one answer per family", meta.Prior)
	}
	return nil
}

// ArchNames names the architectures, in the order models.ReasonerArchs
// lists them: rn, cnn-mlp, state-rn, state-mlp, question-only.
func ArchNames() []string {
	names := make([]string, len(models.ReasonerArchs))
	for i, a := range models.ReasonerArchs {
		names[i] = a.String()
	}
	return names
}
