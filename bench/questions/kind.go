package questions

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

var _ bench.Kind = Kind{}

// Arch is one of the kind's models: a name (as suites and train call it)
// and the reasoner architecture under its question encoder.
type Arch struct {
	Name     string
	Reasoner models.ReasonerArch
}

// Archs are the kind's models: an LSTM question encoder feeding the
// relation network on pixels (rn-lstm), the CLEVR paper's CNN+LSTM
// (cnn-lstm), the relation network and the MLP on state descriptions
// (state-rn-lstm, state-mlp-lstm), and the question alone (lstm).
var Archs = []Arch{
	{"rn-lstm", models.RN},
	{"cnn-lstm", models.CNNMLP},
	{"state-rn-lstm", models.StateRN},
	{"state-mlp-lstm", models.StateMLP},
	{"lstm", models.QuestionOnly},
}

// ArchNames names the models in Archs' order.
func ArchNames() []string {
	out := make([]string, len(Archs))
	for i, a := range Archs {
		out[i] = a.Name
	}
	return out
}

// ParseArch returns the model named name and whether there is one.
func ParseArch(name string) (Arch, bool) {
	i := slices.IndexFunc(Archs, func(a Arch) bool { return a.Name == name })
	if i < 0 {
		return Arch{}, false
	}
	return Archs[i], true
}

// archOf returns the model of a reasoner architecture.
func archOf(r models.ReasonerArch) Arch {
	i := slices.IndexFunc(Archs, func(a Arch) bool { return a.Reasoner == r })
	if i < 0 {
		panic(fmt.Sprintf("questions: no model of reasoner architecture %v", r))
	}
	return Archs[i]
}

// pixels reports whether the model reads images.
func (a Arch) pixels() bool { return a.Reasoner == models.RN || a.Reasoner == models.CNNMLP }

// The question encoder's sizes: the relation network paper's CLEVR
// encoder, word embeddings of 32 and an LSTM of 128.
const (
	EmbedSize  = 32
	HiddenSize = 128
)

// Tuning is how a text-question model departs from the reference's
// training besides its budget. The zero value is the reference: g sums
// over every pair, padding included, and f drops out half its units.
type Tuning struct {
	// MaskAbsent leaves the pairs of padded (absent) objects out of
	// state-rn-lstm's g (models.ReasonerConfig.MaskAbsent); other models
	// refuse it.
	MaskAbsent bool `json:"mask_absent,omitempty"`
	// ForgetBias is added to the question LSTM's forget-gate bias at
	// initialisation (models.TextConfig.ForgetBias); 0 is PyTorch's.
	ForgetBias float64 `json:"forget_bias,omitempty"`
	// Gate scales state-rn-lstm's objects by the question before g reads
	// them (models.ReasonerConfig.Gate); other models refuse it.
	Gate bool `json:"gate,omitempty"`
	// Dropout is f's dropout rate: 0 means the reference's 0.5, a
	// negative value none (models.ReasonerConfig.Dropout).
	Dropout float64 `json:"dropout,omitempty"`
	// AuxArgs trains q to predict the question's program arguments
	// (filter_color[red], relate[left], …; see ProgramArgs) with an
	// auxiliary head whose loss is added to the answer's
	// (models.ReasonerConfig.Aux). The programs are ground truth the
	// dataset owns, but this tells the model more than the answers do.
	AuxArgs bool `json:"aux_args,omitempty"`
	// AuxWeight weighs the auxiliary loss against the answer's (with
	// AuxArgs); 0 means 1.
	AuxWeight float64 `json:"aux_weight,omitempty"`
	// QScale multiplies q where the model reads it (see
	// models.ReasonerConfig.QScale); 0 means 1.
	QScale float64 `json:"q_scale,omitempty"`
	// Curriculum, with CurriculumQuestions, trains on the questions of
	// these families alone for the first CurriculumQuestions training
	// questions, then on all of them.
	Curriculum          []string `json:"curriculum,omitempty"`
	CurriculumQuestions int      `json:"curriculum_questions,omitempty"`
	// CurriculumStages are later stages of the curriculum, each of
	// CurriculumQuestions questions: half of each batch is the stage's
	// families, the rest the earlier stages' (see sampledFeeder).
	CurriculumStages [][]string `json:"curriculum_stages,omitempty"`
	// CurriculumShare, after the curriculum, keeps this share of every
	// batch (in [0, 1)) to the curriculum's families: a replay. 0 is none.
	CurriculumShare float64 `json:"curriculum_share,omitempty"`
	// BalanceFamilies draws every family equally often (outside the
	// curriculum), rather than as often as the data asks it.
	BalanceFamilies bool `json:"balance_families,omitempty"`
}

// apply sets cfg's tuned fields; aux is the argument vocabulary (with
// AuxArgs).
func (t Tuning) apply(cfg *models.ReasonerConfig, aux AuxVocab) {
	cfg.MaskAbsent, cfg.Gate, cfg.Dropout, cfg.QScale = t.MaskAbsent, t.Gate, t.Dropout, t.QScale
	if t.AuxArgs {
		cfg.Aux, cfg.AuxWeight = len(aux), t.AuxWeight
	}
	if cfg.Text != nil {
		tc := *cfg.Text
		tc.ForgetBias = t.ForgetBias
		cfg.Text = &tc
	}
}

// auxVocab returns the argument vocabulary of the training programs when
// t asks for it, else nil.
func (t Tuning) auxVocab(train *Set) AuxVocab {
	if !t.AuxArgs {
		return nil
	}
	return NewAuxVocab(train.Program)
}

// ConfigFor returns the reasoner of arch for set's scenes with the word
// and answer vocabularies: g's and f's width (0: the reference's 256) and
// the seed.
func ConfigFor(arch Arch, set *Set, vocab Vocab, answers AnswerVocab, width int, seed uint64) models.ReasonerConfig {
	cfg := models.ReasonerConfig{Arch: arch.Reasoner, Answers: len(answers), Seed: seed, Width: width,
		Text: &models.TextConfig{Words: vocab.Size(), Length: vocab.Length, Embed: EmbedSize, Hidden: HiddenSize}}
	switch {
	case arch.pixels():
		cfg.Input = set.Shape
	case arch.Reasoner != models.QuestionOnly:
		cfg.Objects, cfg.ObjectSize = set.Layout.Objects, set.Layout.ObjectSize()
	}
	return cfg
}

// Encoded is a set as a reasoner reads it, and how many of its questions
// were cut to the vocabulary's length.
type Encoded struct {
	*models.VQA
	Cut int
}

// Encode returns the questions of set at idx (all if idx is nil) as arch
// reads them: pixels or state descriptions, word ids, and, with answers,
// each question's answer class (the training set, whose answers are all
// in the vocabulary; a question whose answer is not is an error).
func Encode(set *Set, idx []int, arch Arch, vocab Vocab, answers AnswerVocab) (*Encoded, error) {
	if idx == nil {
		idx = make([]int, set.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	q := &models.VQA{Shape: set.Shape}
	switch {
	case arch.pixels():
		q.Images = set.Pixels
	case arch.Reasoner != models.QuestionOnly:
		q.Objects = set.States
	}
	e := &Encoded{VQA: q}
	for _, i := range idx {
		q.Image = append(q.Image, set.Image[i])
		var cut int
		q.Tokens, cut = vocab.Encode(q.Tokens, set.Text[i])
		if cut > 0 {
			e.Cut++
		}
		if answers != nil {
			c := answers.Class(set.Answer[i])
			if c < 0 {
				return nil, fmt.Errorf("questions: question %d (%q) has answer %q, which is not in the answer vocabulary", i, set.Text[i], set.Answer[i])
			}
			q.Answers = append(q.Answers, c)
		}
	}
	return e, nil
}

// Model is a text-questions task's model entry: the model's name and
// optionally its own budget (epochs, batch, lr, schedule; or questions,
// the training questions it sees in place of epochs) and g's and f's
// width. In a suite file it is {"name": "state-rn", "arch":
// "state-rn-lstm", "questions": 200000}; its fields are part of every
// record's run key.
type Model struct {
	// Name is the model (see Archs); a suite file calls it "arch".
	Name string `json:"arch"`
	// Overrides replace the task budget's epochs, batch, rate and
	// schedule for this model.
	bench.Overrides
	// Questions, if set, trains on that many questions (whole batches, at
	// least one) in place of epochs.
	Questions int `json:"questions,omitempty"`
	// Width, if set, is g's and f's width in place of the reference's 256.
	Width int `json:"width,omitempty"`
	// Tuning departs from the reference's training.
	Tuning
}

// Arch names the model ("state-rn-lstm").
func (m Model) Arch() string { return m.Name }

// Kind is the text-questions kind of task: models with an LSTM question
// encoder answering clevrlite's questions in words. It is a value with no
// state.
type Kind struct{}

// Name returns "questions".
func (Kind) Name() string { return "questions" }

// Metrics describes what a questions task scores: accuracy and the
// majority baseline overall, per clevrlite family and per group (see
// Scores), and the grouping scores (see GroupMetric). It predicts no
// labels.
func (Kind) Metrics([]string) []bench.MetricInfo {
	return append(append(scoreInfos(), groupInfos()...), NavigateInfos()...)
}

func archList() string {
	names := ArchNames()
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// onlyStateRN refuses field for a model other than state-rn-lstm, which
// alone does what the field asks (why).
func onlyStateRN(field, arch, why string) error {
	if arch != "state-rn-lstm" {
		return bench.Fieldf(field, "set for %s; only state-rn-lstm %s", arch, why)
	}
	return nil
}

// DecodeModel reads a model entry: "arch" (rn-lstm, cnn-lstm,
// state-rn-lstm, state-mlp-lstm or lstm) and, optionally, "epochs",
// "batch", "lr", "schedule", "questions" (not with epochs) and "width".
func (Kind) DecodeModel(raw []byte) (bench.ModelConfig, error) {
	var f struct {
		Arch      string     `json:"arch"`
		Epochs    *int       `json:"epochs"`
		Batch     *int       `json:"batch"`
		LR        *float64   `json:"lr"`
		Schedule  *string    `json:"schedule"`
		Questions *int       `json:"questions"`
		Width     *int       `json:"width"`
		Mask      bool       `json:"mask_absent"`
		Gate      bool       `json:"gate"`
		Forget    *float64   `json:"forget_bias"`
		Dropout   *float64   `json:"dropout"`
		AuxArgs   bool       `json:"aux_args"`
		AuxWeight *float64   `json:"aux_weight"`
		QScale    *float64   `json:"q_scale"`
		Cur       []string   `json:"curriculum"`
		Stages    [][]string `json:"curriculum_stages"`
		CurQ      int        `json:"curriculum_questions"`
		CurShare  float64    `json:"curriculum_share"`
		Balance   bool       `json:"balance_families"`
	}
	if err := bench.DecodeStrict(raw, &f, "arch", "epochs", "batch", "lr", "schedule", "questions", "width", "mask_absent", "gate", "forget_bias", "dropout", "aux_args", "aux_weight", "q_scale", "curriculum", "curriculum_stages", "curriculum_questions", "curriculum_share", "balance_families"); err != nil {
		return nil, err
	}
	if f.Arch == "" {
		return nil, bench.Fieldf("arch", "missing; want %s", archList())
	}
	if _, ok := ParseArch(f.Arch); !ok {
		return nil, bench.Fieldf("arch", "%q: want %s", f.Arch, archList())
	}
	o, err := bench.DecodeOverrides(f.Epochs, f.Batch, f.LR, f.Schedule)
	if err != nil {
		return nil, err
	}
	m := Model{Name: f.Arch, Overrides: o}
	if f.Questions != nil {
		if f.Epochs != nil {
			return nil, bench.Fieldf("questions", "set with epochs; want one budget: epochs or questions")
		}
		if *f.Questions < 1 {
			return nil, bench.Fieldf("questions", "%d: want at least 1 (or leave it out to use the task's budget)", *f.Questions)
		}
		m.Questions = *f.Questions
	}
	if f.Width != nil {
		if *f.Width < 1 {
			return nil, bench.Fieldf("width", "%d: want at least 1 (or leave it out for the reference's 256)", *f.Width)
		}
		m.Width = *f.Width
	}
	if f.Mask {
		if err := onlyStateRN("mask_absent", f.Arch, "pairs padded objects"); err != nil {
			return nil, err
		}
		m.MaskAbsent = true
	}
	if f.Forget != nil {
		if *f.Forget == 0 || math.IsNaN(*f.Forget) || math.IsInf(*f.Forget, 0) {
			return nil, bench.Fieldf("forget_bias", "%v: want a finite bias other than 0 (leave it out for PyTorch's initialisation)", *f.Forget)
		}
		m.ForgetBias = *f.Forget
	}
	if f.Gate {
		if err := onlyStateRN("gate", f.Arch, "gates its objects by the question"); err != nil {
			return nil, err
		}
		m.Gate = true
	}
	if f.Dropout != nil {
		if *f.Dropout >= 1 || *f.Dropout == 0 {
			return nil, bench.Fieldf("dropout", "%v: want a rate in (0, 1), or a negative value for none (leave it out for the reference's 0.5)", *f.Dropout)
		}
		m.Dropout = *f.Dropout
	}
	m.AuxArgs = f.AuxArgs
	if f.AuxWeight != nil {
		if !f.AuxArgs || !(*f.AuxWeight > 0) || math.IsInf(*f.AuxWeight, 0) {
			return nil, bench.Fieldf("aux_weight", "%v: want a finite weight above 0, with aux_args (leave it out for 1)", *f.AuxWeight)
		}
		m.AuxWeight = *f.AuxWeight
	}
	if (len(f.Cur) > 0) != (f.CurQ > 0) || f.CurQ < 0 {
		return nil, bench.Fieldf("curriculum", "families %q for %d questions: want both families and a number of questions above 0, or neither", f.Cur, f.CurQ)
	}
	if f.CurShare < 0 || f.CurShare >= 1 || f.CurShare > 0 && len(f.Cur) == 0 {
		return nil, bench.Fieldf("curriculum_share", "%v: want a share in [0, 1) of a curriculum's families", f.CurShare)
	}
	if len(f.Stages) > 0 && len(f.Cur) == 0 {
		return nil, bench.Fieldf("curriculum_stages", "set without curriculum; want the first stage's families in curriculum")
	}
	for k, st := range f.Stages {
		if len(st) == 0 {
			return nil, bench.Fieldf("curriculum_stages", "stage %d has no families; want at least one per stage", k+2)
		}
	}
	m.Curriculum, m.CurriculumStages, m.CurriculumQuestions, m.CurriculumShare = f.Cur, f.Stages, f.CurQ, f.CurShare
	m.BalanceFamilies = f.Balance
	if f.QScale != nil {
		if !(*f.QScale > 0) {
			return nil, bench.Fieldf("q_scale", "%v: want a factor above 0 (leave it out for 1)", *f.QScale)
		}
		m.QScale = *f.QScale
	}
	return m, nil
}

// CheckTask refuses a task on another dataset than clevrlite, on a
// clevrlite config other than programs or sortofclevr with sequence
// questions, or with labels.
func (Kind) CheckTask(t bench.Task, spec generators.Spec) error {
	if t.Dataset.Generator != (clevrlite.SortOfCLEVR{}).Name() {
		return bench.Fieldf("dataset.generator", "%q: the text-question models answer clevrlite's questions; want clevrlite", t.Dataset.Generator)
	}
	cfg, ok := spec.Config.(*clevrlite.Config)
	if !ok {
		return bench.Fieldf("dataset.settings", "a %T config, not clevrlite's", spec.Config)
	}
	if err := checkConfig(cfg); err != nil {
		return bench.Fieldf("dataset.settings", "%v", err)
	}
	if len(t.Labels) > 0 {
		return bench.Fieldf("labels", "the questions kind predicts answers, not labels; leave labels out")
	}
	return nil
}

// Task is a task's data prepared for training: its splits, vocabularies
// and majority prior. It is the bench.Data of Load.
type Task struct {
	trainSplit, testSplit string
	Train, Test           *Set
	Vocab                 Vocab
	Answers               AnswerVocab
	Prior                 Prior
}

// NewTask builds a task's vocabularies and prior from its training set.
func NewTask(train, test *Set) (*Task, error) {
	if train.Layout.ObjectSize() != test.Layout.ObjectSize() || train.Layout.Objects != test.Layout.Objects {
		return nil, bench.Mismatchf("questions: the train and test scenes are described differently (%+v, %+v)", train.Layout, test.Layout)
	}
	t := &Task{Train: train, Test: test, Vocab: NewVocab(train.Text), Answers: NewAnswerVocab(train.Answer), Prior: MajorityPrior(train)}
	if err := t.Answers.check(); err != nil {
		return nil, bench.Mismatchf("%v: the training questions need at least two answers", err)
	}
	return t, nil
}

// SplitHashes maps the train and test split names to their content
// hashes.
func (t *Task) SplitHashes() map[string]string {
	return map[string]string{t.trainSplit: t.Train.SplitSHA256, t.testSplit: t.Test.SplitSHA256}
}

// Load reads the task's train and test splits, with pixels only if one
// of its models reads them.
func (Kind) Load(_ context.Context, dir string, t bench.Task) (bench.Data, error) {
	pixels := slices.ContainsFunc(t.Models, func(m bench.ModelSpec) bool {
		mm, ok := m.Config.(Model)
		a, _ := ParseArch(mm.Name)
		return ok && a.pixels()
	})
	train, err := LoadSet(dir, t.Dataset.Train, pixels)
	if err != nil {
		return nil, err
	}
	test, err := LoadSet(dir, t.Dataset.Test, pixels)
	if err != nil {
		return nil, err
	}
	task, err := NewTask(train, test)
	if err != nil {
		return nil, err
	}
	task.trainSplit, task.testSplit = t.Dataset.Train, t.Dataset.Test
	return task, nil
}

// evalBatch is the batch the models predict and encode in.
const evalBatch = 256

// Run trains the job's model on the training questions with the task's
// budget (or the model's own) and scores it on the test questions (see
// Scores) and their grouping (see Grouping). The job's seed draws the
// initial weights, the dropout masks, the shuffles, k-means and the SOM.
func (Kind) Run(ctx context.Context, j bench.Job, d bench.Data) (bench.Result, error) {
	task, m, err := bench.Unpack[*Task, Model](j, d)
	if err != nil {
		return bench.Result{}, err
	}
	arch, ok := ParseArch(m.Name)
	if !ok {
		return bench.Result{}, fmt.Errorf("questions: %s: unknown model %q", j, m.Name)
	}
	cfg := ConfigFor(arch, task.Train, task.Vocab, task.Answers, m.Width, j.Seed)
	aux := m.Tuning.auxVocab(task.Train)
	m.Tuning.apply(&cfg, aux)
	r, err := models.NewReasoner(cfg)
	if err != nil {
		return bench.Result{}, err
	}
	defer r.Close()
	b := m.Overrides.Apply(j.Task.Budget)
	tc := models.TrainConfig{Epochs: b.Epochs, Batch: b.Batch, LR: b.LR, Schedule: b.Schedule, Seed: j.Seed}
	if m.Questions > 0 {
		tc.Steps = max(m.Questions/b.Batch, 1)
	}
	what := j.String()
	tc.OnStep = func(step, total int, _ float64) {
		if j.Progress != nil {
			j.Progress(what, step, total)
		}
	}
	train, err := Encode(task.Train, nil, arch, task.Vocab, task.Answers)
	if err != nil {
		return bench.Result{}, err
	}
	if aux != nil {
		train.Aux = aux.targets(task.Train, nil)
	}
	start := time.Now()
	draw, missing := m.Tuning.sampling(task.Train, b.Batch)
	if missing != nil {
		return bench.Result{}, fmt.Errorf("questions: %s: no training question is of the curriculum's families %q", what, missing)
	}
	st, err := models.Train(ctx, r, train.Len(), sampledFeeder(r.Feeder(train.VQA, 0), draw, 0), tc, nil)
	if err != nil {
		return bench.Result{}, fmt.Errorf("questions: %s: %w", what, err)
	}
	secs := time.Since(start).Seconds()
	tim := bench.Timings{TrainSeconds: secs, TrainSamplesPerSec: float64(st.Step*b.Batch) / secs, EpochLoss: st.Losses}
	start = time.Now()
	ev, err := evaluate(r, task, j.Seed)
	if err != nil {
		return bench.Result{}, fmt.Errorf("questions: %s: %w", what, err)
	}
	tim.EvalSeconds = time.Since(start).Seconds()
	if j.Pictures != "" && ev.Trained != nil {
		if _, err := WritePictures(j.Pictures, ev.Trained, ev.Labels, ev.Texts); err != nil {
			return bench.Result{}, fmt.Errorf("questions: %s: %w", what, err)
		}
	}
	return bench.Result{Config: cfg, Params: models.Count(r.Params()), Scores: ev.Scores, Timings: tim}, nil
}

// Evaluation is a trained model's scores on a task's test questions and
// the clustering of their vectors that pictures draw.
type Evaluation struct {
	Scores map[string]bench.Metric
	// Trained is the trained encoder's clustering of the grouped
	// questions (GroupSample); Labels their labellings and Texts their
	// texts.
	Trained *Clustering
	Labels  *Labellings
	Texts   []string
}

// evaluate scores r on the task's test questions and groups them. seed
// draws k-means and the SOM.
func evaluate(r *models.Reasoner, task *Task, seed uint64) (*Evaluation, error) {
	arch := archOf(r.Config.Arch)
	test, err := Encode(task.Test, nil, arch, task.Vocab, nil)
	if err != nil {
		return nil, err
	}
	classes, err := r.Predict(test.VQA, evalBatch)
	if err != nil {
		return nil, err
	}
	pred := make([]string, len(classes))
	for i, c := range classes {
		pred[i] = task.Answers[c]
	}
	ev := &Evaluation{Scores: Scores(task.Test, pred, task.Prior, task.Answers)}
	if err := ev.group(r, task, arch, seed); err != nil {
		return nil, err
	}
	return ev, nil
}

// group clusters the vectors of the test questions of GroupSample by the
// trained encoder r, by the same encoder untrained, and as bags of words,
// into as many groups as the questions have families, and adds the
// grouping scores.
func (ev *Evaluation) group(r *models.Reasoner, task *Task, arch Arch, seed uint64) error {
	idx := GroupSample(task.Test.Len())
	layout := task.Test.Layout
	l, err := labellingsOf(task.Test, idx, layout.Colors, layout.Shapes)
	if err != nil {
		return err
	}
	k := len(l.Names[ByFamily])
	if k < 2 || len(idx) < k {
		return nil // nothing to group: no grouping scores
	}
	enc, err := Encode(task.Test, idx, arch, task.Vocab, nil)
	if err != nil {
		return err
	}
	fresh, err := models.NewReasoner(r.Config)
	if err != nil {
		return err
	}
	defer fresh.Close()
	for _, e := range []struct {
		name string
		r    *models.Reasoner
	}{{EncoderTrained, r}, {EncoderUntrained, fresh}, {EncoderBagOfWord, nil}} {
		var vecs [][]float64
		if e.r == nil {
			texts := make([]string, len(idx))
			for i, q := range idx {
				texts[i] = task.Test.Text[q]
			}
			vecs = BagOfWords(task.Vocab, texts)
		} else {
			flat, err := e.r.QuestionVectors(enc.VQA, evalBatch)
			if err != nil {
				return err
			}
			vecs = toRows(flat, len(idx))
		}
		c, err := Cluster(vecs, k, seed)
		if err != nil {
			return err
		}
		for name, m := range c.Scores(l, e.name) {
			ev.Scores[name] = m
		}
		if e.name == EncoderTrained {
			ev.Trained = c
		}
	}
	ev.Labels = l
	for _, q := range idx {
		ev.Texts = append(ev.Texts, task.Test.Text[q])
	}
	return nil
}
