package questions

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/models"
)

// CheckpointKind is the kind a text-questions checkpoint records.
const CheckpointKind = "question-reasoner"

// Meta is what a text-questions checkpoint records besides the weights:
// the model, the data it was trained on, its budget, its vocabularies,
// the scene layout and the majority prior of its training questions.
type Meta struct {
	// Name is the model (see Archs).
	Name string `json:"name"`
	// Model is the reasoner's full configuration.
	Model models.ReasonerConfig `json:"model"`
	// Dataset is the training data's generator@version.
	Dataset string `json:"dataset"`
	// Budget is the training budget; resuming may raise its epochs only.
	Budget bench.Budget `json:"budget"`
	// Vocab and Answers are the word and answer vocabularies of the
	// training questions.
	Vocab   Vocab       `json:"vocab"`
	Answers AnswerVocab `json:"answers"`
	// Layout is how the training scenes were described.
	Layout Layout `json:"layout"`
	// Prior is each family's majority training answer.
	Prior Prior `json:"prior"`
	// Aux is the auxiliary head's program arguments (with
	// Tuning.AuxArgs); none without.
	Aux AuxVocab `json:"aux,omitempty"`
	// Sampling is how training batches were drawn (a curriculum, a
	// replay share, balanced families); nil for the data's own mix.
	// Resuming compares it as every other setting.
	Sampling *Sampling `json:"sampling,omitempty"`
}

// Sampling is a training's sampling settings, as Tuning holds them.
type Sampling struct {
	Curriculum          []string   `json:"curriculum,omitempty"`
	CurriculumQuestions int        `json:"curriculum_questions,omitempty"`
	CurriculumStages    [][]string `json:"curriculum_stages,omitempty"`
	CurriculumShare     float64    `json:"curriculum_share,omitempty"`
	BalanceFamilies     bool       `json:"balance_families,omitempty"`
}

// samplingOf returns t's sampling settings, nil if it has none.
func samplingOf(t Tuning) *Sampling {
	s := Sampling{Curriculum: t.Curriculum, CurriculumQuestions: t.CurriculumQuestions, CurriculumStages: t.CurriculumStages,
		CurriculumShare: t.CurriculumShare, BalanceFamilies: t.BalanceFamilies}
	if reflect.ValueOf(s).IsZero() {
		return nil
	}
	return &s
}

// TrainOptions configure Train.
type TrainOptions struct {
	bench.Training
	// Arch is the model.
	Arch Arch
	// Width is g's and f's width; 0 means the reference's 256.
	Width int
	// Tuning departs from the reference's training.
	Tuning Tuning
	// Resume continues from Out/model.ckpt when it exists (see
	// bench.Training.Fit).
	Resume bool
}

// Train trains one model outside the suites on the questions of a
// clevrlite dataset (programs, or sortofclevr with sequence questions),
// saving a checkpoint after every epoch, and, if there is a test split,
// scores it there and writes Out/metrics.json with the scores, the
// training time and questions per second, and the pictures of the test
// questions' grouping (PictureFiles).
func Train(ctx context.Context, o TrainOptions) (map[string]bench.Metric, error) {
	r0, _, err := OpenDataset(o.Data, o.Train, o.Test)
	if err != nil {
		return nil, err
	}
	pixels := o.Arch.pixels()
	train, err := LoadSet(o.Data, o.Train, pixels)
	if err != nil {
		return nil, err
	}
	test := train
	if o.Test != "" {
		if test, err = LoadSet(o.Data, o.Test, pixels); err != nil {
			return nil, err
		}
	}
	task, err := NewTask(train, test)
	if err != nil {
		return nil, err
	}
	meta := Meta{Name: o.Arch.Name, Model: ConfigFor(o.Arch, train, task.Vocab, task.Answers, o.Width, o.Seed),
		Dataset: r0.Manifest.Dataset + "@" + r0.Manifest.Version, Budget: o.Budget,
		Vocab: task.Vocab, Answers: task.Answers, Layout: train.Layout, Prior: task.Prior}
	meta.Aux = o.Tuning.auxVocab(train)
	meta.Sampling = samplingOf(o.Tuning)
	o.Tuning.apply(&meta.Model, meta.Aux)
	r, err := models.NewReasoner(meta.Model)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	enc, err := Encode(train, nil, o.Arch, task.Vocab, task.Answers)
	if err != nil {
		return nil, err
	}
	if meta.Aux != nil {
		enc.Aux = meta.Aux.targets(train, nil)
	}
	steps, onStep := 0, o.OnStep
	o.OnStep = func(step, total int, loss float64) {
		steps++
		if onStep != nil {
			onStep(step, total, loss)
		}
	}
	draw, missing := o.Tuning.sampling(train, o.Budget.Batch)
	if missing != nil {
		return nil, bench.Mismatchf("questions: no training question is of the curriculum's families %q; %s's training questions are of %s", missing, o.Data, strings.Join(familyNames(train.Family), ", "))
	}
	secs, err := o.Fit(ctx, CheckpointKind, meta, r, enc.Len(), func(start int) models.Feeder {
		return sampledFeeder(r.Feeder(enc.VQA, start), draw, start)
	}, o.Resume)
	if err != nil || o.Test == "" {
		return nil, err
	}
	ev, err := evaluate(r, task, o.Seed)
	if err != nil {
		return nil, err
	}
	ev.Scores["params"] = bench.Exact(float64(models.Count(r.Params())))
	var pictures []string
	if ev.Trained != nil {
		if pictures, err = WritePictures(o.Out, ev.Trained, ev.Labels, ev.Texts); err != nil {
			return nil, err
		}
	}
	out := map[string]any{"metrics": ev.Scores, "split": o.Test, "model": meta, "train_seconds": secs,
		"train_questions_per_second": float64(steps*o.Budget.Batch) / secs, "pictures": pictures}
	b, _ := json.MarshalIndent(out, "", "  ")
	return ev.Scores, os.WriteFile(filepath.Join(o.Out, "metrics.json"), append(b, '\n'), 0o644)
}

// Load rebuilds a text-questions model from its checkpoint. A checkpoint
// of another kind, or whose vocabularies do not fit its model, is a
// bench.MismatchError.
func Load(path string) (*models.Reasoner, Meta, error) {
	var meta Meta
	ck, err := bench.LoadCheckpoint(path, CheckpointKind, "train "+archList(), &meta)
	if err != nil {
		return nil, meta, err
	}
	if err := meta.check(); err != nil {
		return nil, meta, bench.Mismatchf("questions: %s: %v", path, err)
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

// check refuses a meta whose vocabularies do not fit its model.
func (m Meta) check() error {
	if err := m.Vocab.check(); err != nil {
		return err
	}
	if err := m.Answers.check(); err != nil {
		return err
	}
	tc := m.Model.Text
	if tc == nil || tc.Words != m.Vocab.Size() || tc.Length != m.Vocab.Length || m.Model.Answers != len(m.Answers) {
		return fmt.Errorf("questions: the model's text config %+v and %d answers do not fit %d words of length %d and %d answers",
			tc, m.Model.Answers, m.Vocab.Size(), m.Vocab.Length, len(m.Answers))
	}
	if m.Model.Aux != len(m.Aux) {
		return fmt.Errorf("questions: the model's auxiliary head has %d targets; the meta lists %d program arguments", m.Model.Aux, len(m.Aux))
	}
	if _, ok := ParseArch(m.Name); !ok {
		return fmt.Errorf("questions: model %q: want %s", m.Name, archList())
	}
	return nil
}

// IsCheckpoint reports whether path holds a text-questions checkpoint.
func IsCheckpoint(path string) bool {
	ck, err := models.LoadCheckpoint(path)
	return err == nil && ck.Kind == CheckpointKind
}

// Evaluate scores a text-questions checkpoint on a split of a clevrlite
// dataset: the scores Train writes, with the checkpoint's vocabularies
// and prior. Scenes described otherwise than the model was trained on
// (another config's colors, shapes or object count) or images of another
// size are a bench.MismatchError.
func Evaluate(checkpoint, data, split string) (map[string]bench.Metric, error) {
	r, meta, err := Load(checkpoint)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	arch, _ := ParseArch(meta.Name)
	set, err := LoadSet(data, split, arch.pixels())
	if err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(set.Layout, meta.Layout) {
		return nil, bench.Mismatchf("questions: %s describes its scenes as %+v; the model was trained on %+v", data, set.Layout, meta.Layout)
	}
	if arch.pixels() && set.Shape != meta.Model.Input {
		return nil, bench.Mismatchf("questions: the images are %v, the %s takes %v", set.Shape, meta.Name, meta.Model.Input)
	}
	task := &Task{Train: set, Test: set, Vocab: meta.Vocab, Answers: meta.Answers, Prior: meta.Prior}
	ev, err := evaluate(r, task, meta.Model.Seed)
	if err != nil {
		return nil, err
	}
	ev.Scores["params"] = bench.Exact(float64(models.Count(r.Params())))
	return ev.Scores, nil
}
