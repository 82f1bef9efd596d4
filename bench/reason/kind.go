package reason

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

var _ bench.Kind = Kind{}

// Kind is the reasoning kind of task: visual question answering on
// sort-of-CLEVR by a relation network (on pixels or on state
// descriptions) or a CNN+MLP. It is a value with no state.
type Kind struct{}

// Model is a reasoning task's model entry: the architecture, at the
// reference's sizes (models.ReferenceReasoner). In a suite file it is
// {"name": "rn", "arch": "rn"}; its fields are part of every record's run
// key.
type Model struct {
	// Architecture is models.RN, CNNMLP, StateRN, StateMLP or QuestionOnly; a suite file calls it
	// "arch". (The Go name is not Arch, which is the bench.ModelConfig
	// method.)
	Architecture models.ReasonerArch `json:"arch"`
	// Epochs, if set, replaces the task budget's epochs for this model:
	// the state-description RN is cheap enough to train many more
	// questions than the pixel RN in the same minutes.
	Epochs int `json:"epochs,omitempty"`
	// Questions, if set, trains this model on that many questions (whole
	// batches, at least one) in place of epochs: the pixel RN, 15 times
	// slower than the state-description RN, gets a slice of an epoch.
	Questions int `json:"questions,omitempty"`
}

// Arch names the model's architecture ("rn").
func (m Model) Arch() string { return m.Architecture.String() }

// Name returns "reasoning".
func (Kind) Name() string { return "reasoning" }

// Metrics describes what a reasoning task scores (see Scores), and
// binary_questions_to_90, the training questions seen until 90% on the
// probe's binary questions (lower is better). Reasoning predicts no
// labels.
func (Kind) Metrics([]string) []bench.MetricInfo { return metricInfos() }

// archList names the architectures: "rn, cnn-mlp, state-rn, state-mlp or
// question-only".
func archList() string {
	names := ArchNames()
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// DecodeModel reads a reasoner's entry: "arch" (rn, cnn-mlp or
// state-rn) and, optionally, "epochs" (this model's own number of epochs,
// at least 1) or "questions" (how many training questions it sees, at
// least one batch; not both); the sizes are the reference's.
func (Kind) DecodeModel(raw []byte) (bench.ModelConfig, error) {
	var f struct {
		Arch      string `json:"arch"`
		Epochs    *int   `json:"epochs"`
		Questions *int   `json:"questions"`
	}
	if err := bench.DecodeStrict(raw, &f, "arch", "epochs", "questions"); err != nil {
		return nil, err
	}
	if f.Arch == "" {
		return nil, bench.Fieldf("arch", "missing; want %s", archList())
	}
	a, err := models.ParseReasonerArch(f.Arch)
	if err != nil {
		return nil, bench.Fieldf("arch", "%q: want %s", f.Arch, archList())
	}
	m := Model{Architecture: a}
	if f.Epochs != nil {
		if *f.Epochs < 1 {
			return nil, bench.Fieldf("epochs", "%d: want at least 1 (or leave it out to use the task's budget)", *f.Epochs)
		}
		m.Epochs = *f.Epochs
	}
	if f.Questions != nil {
		if f.Epochs != nil {
			return nil, bench.Fieldf("questions", "set with epochs; want one budget: epochs or questions")
		}
		if *f.Questions < 1 {
			return nil, bench.Fieldf("questions", "%d: want at least 1 (or leave it out to use the task's budget)", *f.Questions)
		}
		m.Questions = *f.Questions
	}
	return m, nil
}

// CheckTask refuses a task on another dataset than clevrlite, on a
// clevrlite config other than sortofclevr without sequence questions, or
// with labels.
func (Kind) CheckTask(t bench.Task, spec generators.Spec) error {
	if t.Dataset.Generator != (clevrlite.SortOfCLEVR{}).Name() {
		return bench.Fieldf("dataset.generator", "%q: the reasoners answer clevrlite's sortofclevr questions; want clevrlite", t.Dataset.Generator)
	}
	cfg, ok := spec.Config.(*clevrlite.Config)
	if !ok {
		return bench.Fieldf("dataset.settings", "a %T config, not clevrlite's", spec.Config)
	}
	if err := checkConfig(cfg); err != nil {
		return bench.Fieldf("dataset.settings", "%v", err)
	}
	if len(t.Labels) > 0 {
		return bench.Fieldf("labels", "reasoning predicts answers, not labels; leave labels out")
	}
	return nil
}

// taskData is a task's train and test splits and the majority prior of
// the train split: the bench.Data of Load.
type taskData struct {
	trainSplit, testSplit string
	train, test           *Set
	prior                 []int
}

// SplitHashes maps the train and test split names to their content
// hashes.
func (d *taskData) SplitHashes() map[string]string {
	return map[string]string{d.trainSplit: d.train.SplitSHA256, d.testSplit: d.test.SplitSHA256}
}

// Load reads the task's train and test splits, with their pixels only if
// one of its models reads pixels.
func (Kind) Load(_ context.Context, dir string, t bench.Task) (bench.Data, error) {
	pixels := slices.ContainsFunc(t.Models, func(m bench.ModelSpec) bool {
		mm, ok := m.Config.(Model)
		return ok && readsPixels(mm.Architecture)
	})
	train, err := LoadSet(dir, t.Dataset.Train, pixels)
	if err != nil {
		return nil, err
	}
	test, err := LoadSet(dir, t.Dataset.Test, pixels)
	if err != nil {
		return nil, err
	}
	return &taskData{trainSplit: t.Dataset.Train, testSplit: t.Dataset.Test, train: train, test: test, prior: MajorityPrior(train)}, nil
}

// Run trains the job's reasoner on the train split's questions with the
// task's budget, probing its binary accuracy as it goes (see
// ProbeQuestions), and scores it on the test split (see Scores). The
// job's seed draws the initial weights, the dropout masks and the
// shuffles. Its questions per second are of training alone: the probes'
// time is left out. With j.Pictures set, on a task whose pixels were
// loaded, it draws three questions' answers and strongest pairs there, as
// `hiddendim explain` does.
func (Kind) Run(ctx context.Context, j bench.Job, d bench.Data) (bench.Result, error) {
	data, m, err := bench.Unpack[*taskData, Model](j, d)
	if err != nil {
		return bench.Result{}, err
	}
	cfg := ConfigFor(m.Architecture, data.train, j.Seed)
	r, err := models.NewReasoner(cfg)
	if err != nil {
		return bench.Result{}, err
	}
	defer r.Close()
	b := j.Task.Budget
	if m.Epochs > 0 {
		b.Epochs = m.Epochs
	}
	p := newProbe(r, data.test, b.Batch)
	tc := models.TrainConfig{Epochs: b.Epochs, Batch: b.Batch, LR: b.LR, Schedule: b.Schedule, Seed: j.Seed}
	if m.Questions > 0 {
		tc.Steps = max(m.Questions/b.Batch, 1)
	}
	what := j.String()
	tc.OnStep = func(step, total int, _ float64) {
		if j.Progress != nil {
			j.Progress(what, step, total)
		}
		p.step(step)
	}
	train := data.train.VQA(cfg.Arch)
	start := time.Now()
	st, err := models.Train(ctx, r, train.Len(), r.Feeder(train, 0), tc, nil)
	if err == nil {
		err = p.err
	}
	if err != nil {
		return bench.Result{}, fmt.Errorf("reason: %s: %w", what, err)
	}
	secs := time.Since(start).Seconds() - p.seconds
	tim := bench.Timings{TrainSeconds: secs, TrainSamplesPerSec: float64(st.Step*b.Batch) / secs, EpochLoss: st.Losses}
	start = time.Now()
	pred, err := r.Predict(data.test.VQA(cfg.Arch), evalBatch)
	if err != nil {
		return bench.Result{}, err
	}
	tim.EvalSeconds = time.Since(start).Seconds()
	scores := Scores(data.test, pred, data.prior)
	p.record(scores)
	// The pictures draw the scene, so only a task whose pixels were loaded
	// (one of its models reads them) has them.
	if j.Pictures != "" && len(data.test.Pixels) > 0 {
		if _, err := explain(r, data.test, cfg.Arch, explainedPerRun, 3, j.Pictures); err != nil {
			return bench.Result{}, fmt.Errorf("reason: %s: %w", what, err)
		}
	}
	return bench.Result{Config: cfg, Params: models.Count(r.Params()), Scores: scores, Timings: tim}, nil
}

// explainedPerRun is how many questions a bench run draws (as `hiddendim
// explain` does) when its job asks for pictures.
const explainedPerRun = 3

// evalBatch is the batch reasoners predict in.
const evalBatch = 128

// ConfigFor returns the reference reasoner of arch for the questions of
// set: its image shape, or its state descriptions' sizes.
func ConfigFor(arch models.ReasonerArch, set *Set, seed uint64) models.ReasonerConfig {
	cfg := models.ReferenceReasoner(arch, seed)
	cfg.Question, cfg.Answers = QuestionSize, len(Answers)
	switch {
	case readsStates(arch):
		cfg.Objects, cfg.ObjectSize = SceneObjects, ObjectSize
	case readsPixels(arch):
		cfg.Input = set.Shape
	}
	return cfg
}

// readsPixels reports whether arch reads images: rn and cnn-mlp.
func readsPixels(arch models.ReasonerArch) bool { return arch == models.RN || arch == models.CNNMLP }

// readsStates reports whether arch reads state descriptions: state-rn and
// state-mlp. (question-only reads neither.)
func readsStates(arch models.ReasonerArch) bool {
	return arch == models.StateRN || arch == models.StateMLP
}

// relational reports whether arch has object pairs to weigh: rn and
// state-rn.
func relational(arch models.ReasonerArch) bool { return arch == models.RN || arch == models.StateRN }

// VQA returns the set as a reasoner of arch reads it: pixels for rn and
// cnn-mlp, state descriptions for state-rn and state-mlp, only the
// questions for question-only. It shares the set's slices.
func (s *Set) VQA(arch models.ReasonerArch) *models.VQA {
	q := &models.VQA{Shape: s.Shape, Image: s.Image, Questions: s.Encodings, Answers: s.Answer}
	switch {
	case readsStates(arch):
		q.Objects = s.States
	case readsPixels(arch):
		q.Images = s.Pixels
	}
	return q
}

// subset returns the questions of all at idx, in that order, sharing all's
// images and state descriptions.
func subset(all *models.VQA, idx []int) *models.VQA {
	sub := &models.VQA{Images: all.Images, Shape: all.Shape, Objects: all.Objects}
	for _, q := range idx {
		sub.Image = append(sub.Image, all.Image[q])
		sub.Questions = append(sub.Questions, all.Questions[q*QuestionSize:(q+1)*QuestionSize]...)
		if all.Answers != nil {
			sub.Answers = append(sub.Answers, all.Answers[q])
		}
	}
	return sub
}
