package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/caption"
	"github.com/hiddendim/hiddendim/bench/classify"
	"github.com/hiddendim/hiddendim/bench/questions"
	"github.com/hiddendim/hiddendim/bench/reason"
	"github.com/hiddendim/hiddendim/bench/structure"
	"github.com/hiddendim/hiddendim/bench/vae"
)

// trainModels names the models train knows: the classifiers, the VAE, the
// captioners, the reasoners, the text-question models and the page
// segmenter.
func trainModels() []string {
	var names []string
	for _, a := range classify.Archs {
		names = append(names, a.String())
	}
	names = append(names, vae.ModelName)
	for _, a := range caption.Archs {
		names = append(names, a.String())
	}
	names = append(names, reason.ArchNames()...)
	names = append(names, questions.ArchNames()...)
	return append(names, structure.SegNetArch)
}

func runTrain(ctx context.Context, args []string) error {
	fs := newFlags("train")
	data := fs.String("data", "", "dataset `DIR` (required)")
	out := fs.String("out", "", "`DIR` for model.ckpt and metrics.json (required)")
	epochs := fs.Int("epochs", 5, "`N` passes over the training split")
	batch := fs.Int("batch", 64, "minibatch `SIZE`")
	lr := fs.Float64("lr", 2e-3, "Adam learning `RATE`")
	schedule := fs.String("schedule", "constant", "learning-rate `SCHEDULE`: constant, or cosine (anneals --lr to 0)")
	seed := fs.Uint64("seed", 1, "seed `S` of the initial weights and shuffles")
	labels := fs.String("labels", "", "`LABELS` to predict, comma-separated (default: all)")
	trainSplit := fs.String("train-split", "train", "`NAME` of the split to train on")
	testSplit := fs.String("test-split", "test", "`NAME` of the split to score on (\"\" for none)")
	resume := fs.Bool("resume", false, "continue from --out/model.ckpt, also to more --epochs; every other setting must match")
	overwrite := fs.Bool("overwrite", false, "replace a checkpoint in --out by a new run")
	latentSize := fs.Int("latent", 0, "vae: `SIZE` of z (default 10)")
	beta := fs.Float64("beta", 0, "vae: `WEIGHT` of the KL term (default 1)")
	likelihood := fs.String("likelihood", "", "vae: observation `MODEL`, bernoulli (default) or gaussian (σ = 0.1)")
	beam := fs.Int("beam", 1, "attention, no-attention: beam `WIDTH` the test split is scored with (1: greedy)")
	grammar := fs.Bool("grammar", false, "attention, no-attention on webpages: score the test split decoded under pix2code's grammar (every output parses)")
	lambda := fs.Float64("lambda", -1, "attention: `WEIGHT` of the doubly stochastic attention penalty (default: the reference captioner's)")
	width := fs.Int("width", 0, "text-question models (…-lstm, lstm): `WIDTH` of g's and f's layers (default: the reference's 256)")
	maskAbsent := fs.Bool("mask-absent", false, "state-rn-lstm: leave the pairs of padded (absent) objects out of g's sum")
	gate := fs.Bool("gate", false, "state-rn-lstm: scale each object feature by 1 + G·q before g reads it (FiLM's multiplicative conditioning; the reference concatenates q only)")
	forgetBias := fs.Float64("forget-bias", 0, "text-question models: `BIAS` added to the question LSTM's forget gate at initialisation (default 0, PyTorch's; 1 is Jozefowicz et al.'s)")
	auxArgs := fs.Bool("aux-args", false, "text-question models: also train q to predict the question's program arguments (an auxiliary loss; it tells the model more than the answers)")
	auxWeight := fs.Float64("aux-weight", 0, "text-question models: `WEIGHT` of the --aux-args loss against the answer's (default 1)")
	qScale := fs.Float64("q-scale", 0, "text-question models: multiply q by `FACTOR` where g (or the MLP, or f) reads it (default 1)")
	curriculum := fs.String("curriculum", "", "text-question models: `FAMILIES` (comma-separated) to train on alone for the first --curriculum-questions questions; \";\" starts a later stage of as many questions, half of each batch its families and half the earlier stages'")
	curriculumQ := fs.Int("curriculum-questions", 0, "text-question models: the curriculum's length in training `QUESTIONS`")
	curriculumShare := fs.Float64("curriculum-share", 0, "text-question models: after the curriculum, keep this `SHARE` of every batch to its families (a replay)")
	balance := fs.Bool("balance-families", false, "text-question models: draw every question family equally often (outside the curriculum), not as often as the data asks it")
	dropout := fs.Float64("dropout", 0, "text-question models: f's dropout `RATE` (default: the reference's 0.5; negative for none)")
	deep := fs.Int("deep", 0, "segnet: `CHANNELS` of a fourth U-Net level at an eighth of the resolution, which about doubles the receptive field (0: none, the reference)")
	stem := fs.Int("stem", 0, "segnet: `CHANNELS` of a full-resolution level over the others, which then run at half the resolution: about double the receptive field in pixels, for 256-px pages (0: none, the reference)")
	classWeights := fs.String("class-weights", "none", "segnet: how the loss weighs each class's pixels: `WEIGHTS` none, or median (median frequency balancing of the training masks, kept in the checkpoint)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one MODEL ("+strings.Join(trainModels(), ", ")+")"); err != nil {
		return err
	}
	arch := pos[0]
	if !contains(trainModels(), arch) {
		return usageErrorf("train: unknown model %q; known: %s", arch, strings.Join(trainModels(), ", "))
	}
	if err := checkModelFlags(fs, arch); err != nil {
		return err
	}
	if *data == "" || *out == "" {
		return usageErrorf("train: --data DIR and --out DIR are required")
	}
	if *resume && *overwrite {
		return usageErrorf("train: give --resume (continue the checkpoint in --out) or --overwrite (replace it), not both")
	}
	if *epochs < 1 || *batch < 1 || *lr <= 0 {
		return usageErrorf("train: want --epochs and --batch at least 1 and --lr above 0")
	}
	sched, err := bench.ParseSchedule(*schedule)
	if err != nil {
		return usageErrorf("train: --schedule %q: want %s or %s", *schedule, bench.Constant, bench.Cosine)
	}
	stages := curriculumStages(*curriculum)
	for k, st := range stages {
		if len(st) == 0 || slices.Contains(st, "") {
			return usageErrorf("train: --curriculum %q: stage %d names no family or an empty one; want FAMILY,FAMILY;FAMILY (\",\" between families, \";\" between stages)", *curriculum, k+1)
		}
	}
	var first []string
	var later [][]string
	if len(stages) > 0 {
		first, later = stages[0], stages[1:]
	}
	run := bench.Training{Data: *data, Out: *out, Train: *trainSplit, Test: *testSplit,
		Budget: bench.Budget{Epochs: *epochs, Batch: *batch, LR: *lr, Schedule: sched}, Seed: *seed, Overwrite: *overwrite}
	err = trainModel(ctx, arch, run, trainFlags{resume: *resume, labels: *labels, beam: *beam, grammar: *grammar, lambda: *lambda,
		latent: *latentSize, beta: *beta, likelihood: *likelihood, width: *width, classWeights: *classWeights, deep: *deep, stem: *stem,
		tuning: questions.Tuning{MaskAbsent: *maskAbsent, Gate: *gate, ForgetBias: *forgetBias, Dropout: *dropout, AuxArgs: *auxArgs, AuxWeight: *auxWeight, QScale: *qScale,
			Curriculum: first, CurriculumStages: later, CurriculumQuestions: *curriculumQ, CurriculumShare: *curriculumShare, BalanceFamilies: *balance}})
	return onInterrupt(ctx, err, func() string { return trainInterrupted(*out, *overwrite) })
}

// modelFlags lists the train flags only some models take: each flag's
// models, by name, and a test of a model's name.
var modelFlags = []struct {
	flags  []string
	models string
	takes  func(arch string) bool
}{
	{[]string{"labels"}, "the classifiers (multilabel, combo, perlabel)", func(a string) bool { _, ok := classify.ParseArch(a); return ok }},
	{[]string{"latent", "beta", "likelihood"}, "vae", func(a string) bool { return a == vae.ModelName }},
	{[]string{"beam", "grammar", "lambda"}, "the captioners (attention, no-attention)", func(a string) bool { _, err := caption.ParseArch(a); return err == nil }},
	{[]string{"width", "mask-absent", "gate", "forget-bias", "aux-args", "aux-weight", "q-scale", "curriculum", "curriculum-questions", "curriculum-share", "balance-families", "dropout"},
		"the text-question models (" + strings.Join(questions.ArchNames(), ", ") + ")", func(a string) bool { _, ok := questions.ParseArch(a); return ok }},
	{[]string{"class-weights", "deep", "stem"}, "segnet", func(a string) bool { return a == structure.SegNetArch }},
}

// checkModelFlags refuses a flag given for a model that does not take it,
// which would otherwise be ignored in silence.
func checkModelFlags(fs *flag.FlagSet, arch string) error {
	for _, g := range modelFlags {
		if g.takes(arch) {
			continue
		}
		for _, name := range g.flags {
			if flagGiven(fs, name) {
				return usageErrorf("train: --%s is for %s; %s does not take it", name, g.models, arch)
			}
		}
	}
	return nil
}

// trainFlags are the train flags only some models take.
type trainFlags struct {
	resume     bool
	labels     string
	beam       int
	grammar    bool
	lambda     float64
	latent     int
	beta       float64
	likelihood string
	width      int
	tuning     questions.Tuning
	// classWeights is segnet's --class-weights; "none" unless given.
	classWeights string
	// deep and stem are segnet's --deep and --stem.
	deep, stem int
}

// trainModel trains arch with the flags that model takes.
func trainModel(ctx context.Context, arch string, run bench.Training, f trainFlags) error {
	if arch != structure.SegNetArch && (f.classWeights != "none" || f.deep != 0 || f.stem != 0) {
		return usageErrorf("train: --class-weights, --deep and --stem are segnet's; %s takes none of them", arch)
	}
	if a, err := caption.ParseArch(arch); err == nil {
		if f.beam < 1 {
			return usageErrorf("train: --beam %d: want at least 1", f.beam)
		}
		return trainCaptioner(ctx, caption.TrainOptions{Training: run, Arch: a, Beam: f.beam, Grammar: f.grammar, Lambda: f.lambda, Resume: f.resume})
	}
	if a, ok := questions.ParseArch(arch); ok {
		if f.width < 0 {
			return usageErrorf("train: --width %d: want at least 1 (or 0 for the reference's 256)", f.width)
		}
		if f.tuning.MaskAbsent && a.Name != "state-rn-lstm" {
			return usageErrorf("train: --mask-absent is for state-rn-lstm, whose g pairs padded objects; %s has no pairs", a.Name)
		}
		if f.tuning.Gate && a.Name != "state-rn-lstm" {
			return usageErrorf("train: --gate is for state-rn-lstm, whose g reads objects the question can scale; %s has none", a.Name)
		}
		if (len(f.tuning.Curriculum) > 0) != (f.tuning.CurriculumQuestions > 0) {
			return usageErrorf("train: give --curriculum FAMILIES and --curriculum-questions N (above 0) together")
		}
		if s := f.tuning.CurriculumShare; !(s >= 0 && s < 1) || s > 0 && len(f.tuning.Curriculum) == 0 {
			return usageErrorf("train: --curriculum-share %v: want a share in [0, 1), with --curriculum", s)
		}
		if b := f.tuning.ForgetBias; math.IsNaN(b) || math.IsInf(b, 0) {
			return usageErrorf("train: --forget-bias %v: want a finite bias (0 for PyTorch's initialisation)", b)
		}
		if w := f.tuning.AuxWeight; w < 0 || w > 0 && !f.tuning.AuxArgs || math.IsInf(w, 0) || math.IsNaN(w) {
			return usageErrorf("train: --aux-weight %v: want a finite weight above 0, with --aux-args", w)
		}
		if q := f.tuning.QScale; !(q >= 0) || math.IsInf(q, 0) {
			return usageErrorf("train: --q-scale %v: want a factor above 0", f.tuning.QScale)
		}
		if f.tuning.Dropout >= 1 {
			return usageErrorf("train: --dropout %v: want a rate below 1 (negative for none)", f.tuning.Dropout)
		}
		return trainQuestions(ctx, questions.TrainOptions{Training: run, Arch: a, Width: f.width, Tuning: f.tuning, Resume: f.resume})
	}
	if a, ok := reason.ParseArch(arch); ok {
		return trainReasoner(ctx, reason.TrainOptions{Training: run, Arch: a, Resume: f.resume})
	}
	if arch == structure.SegNetArch {
		w, err := structure.ParseWeighting(f.classWeights)
		if err != nil {
			return usageErrorf("train: --class-weights %q: want none or median", f.classWeights)
		}
		if f.deep < 0 {
			return usageErrorf("train: --deep %d: want 0 (no fourth level) or its channels, e.g. 128", f.deep)
		}
		if f.stem < 0 {
			return usageErrorf("train: --stem %d: want 0 (no stem) or its channels, e.g. 16", f.stem)
		}
		return trainSegNet(ctx, structure.TrainOptions{Training: run, Resume: f.resume, NetOptions: structure.NetOptions{ClassWeights: w, Deep: f.deep, Stem: f.stem}})
	}
	if arch == vae.ModelName {
		if err := vae.CheckLikelihood(f.likelihood); err != nil {
			return usageErrorf("train: --likelihood %q: want %s", f.likelihood, strings.Join(vae.Likelihoods(), " or "))
		}
		if f.latent < 0 || f.beta < 0 {
			return usageErrorf("train: want --latent and --beta at least 0")
		}
		return trainVAE(ctx, vae.TrainOptions{Training: run, Resume: f.resume, Latent: f.latent, Beta: f.beta, Likelihood: f.likelihood})
	}
	a, _ := classify.ParseArch(arch)
	o := classify.TrainOptions{Training: run, Arch: a, Resume: f.resume}
	if f.labels != "" {
		o.Labels = strings.Split(f.labels, ",")
	}
	tp := newTrainProgress("train "+arch, "mean loss %.4f")
	o.OnStep, o.OnEpoch = tp.step, tp.epoch
	scores, err := classify.Train(ctx, o)
	tp.finish()
	if err != nil {
		return err
	}
	if scores != nil {
		fmt.Printf("%s on %s/%s:\n", arch, run.Data, run.Test)
		return printScores(scores)
	}
	return nil
}

// trainInterrupted says what an interrupted train kept: the checkpoint of
// the last finished epoch, if any, and how to continue from it.
func trainInterrupted(out string, overwrite bool) string {
	path := filepath.Join(out, bench.CheckpointFile)
	epoch, err := bench.CheckpointEpoch(path)
	if err != nil {
		return fmt.Sprintf("no epoch finished, so %s holds no checkpoint; rerun the same command to start again", out)
	}
	how := "rerun the same command with --resume to continue from it"
	if overwrite {
		how = "rerun the same command with --resume in place of --overwrite to continue from it"
	}
	return fmt.Sprintf("the checkpoint of epoch %d is kept at %s; %s", epoch, path, how)
}

func runEval(ctx context.Context, args []string) error {
	fs := newFlags("eval")
	data := fs.String("data", "", "dataset `DIR` (required)")
	split := fs.String("split", "test", "`NAME` of the split to score on")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one CHECKPOINT"); err != nil {
		return err
	}
	if *data == "" {
		return usageErrorf("eval: --data DIR is required")
	}
	evaluate := classify.Evaluate
	switch {
	case reason.IsCheckpoint(pos[0]):
		evaluate = reason.Evaluate
	case questions.IsCheckpoint(pos[0]):
		evaluate = questions.Evaluate
	case structure.IsCheckpoint(pos[0]):
		evaluate = structure.Evaluate
	}
	scores, err := evaluate(pos[0], *data, *split)
	if err != nil {
		return err
	}
	return printScores(scores)
}

func printScores(scores map[string]bench.Metric) error {
	primary := "subset_accuracy"
	if _, ok := scores[structure.TreeExactMetric]; ok {
		primary = structure.TreeExactMetric
	} else if _, ok := scores[primary]; !ok {
		primary = reason.AccuracyMetric
	}
	return printBoard(scores, primary)
}

// printBoard prints scores as a one-model leaderboard ranked by primary.
func printBoard(scores map[string]bench.Metric, primary string) error {
	rec := bench.Record{Task: "scores", Model: "model", Primary: primary, Metrics: scores}
	return bench.WriteBoards(os.Stdout, harness().Aggregate([]bench.Record{rec}), "table")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func trainVAE(ctx context.Context, o vae.TrainOptions) error {
	tp := newTrainProgress("train vae", "mean loss %.2f nats per image")
	o.OnStep, o.OnEpoch = tp.step, tp.epoch
	scores, err := vae.Train(ctx, o)
	tp.finish()
	if err != nil || scores == nil {
		return err
	}
	fmt.Printf("vae on %s/%s:\n", o.Data, o.Test)
	return printPlain(scores)
}

// trainProgress shows one progress bar for the run and a line when each
// epoch's checkpoint is saved.
type trainProgress struct {
	name, lossFormat string
	bar              *progress
}

func newTrainProgress(name, lossFormat string) *trainProgress {
	return &trainProgress{name: name, lossFormat: lossFormat}
}

func (tp *trainProgress) step(step, total int, _ float64) {
	if tp.bar == nil {
		tp.bar = newProgress(tp.name, "steps", total)
	}
	tp.bar.Set(step, total)
}

func (tp *trainProgress) epoch(epoch int, loss float64) {
	if tp.bar != nil {
		tp.bar.Clear()
	}
	fmt.Fprintf(os.Stderr, "epoch %d: "+tp.lossFormat+", checkpoint saved\n", epoch, loss)
}

func (tp *trainProgress) finish() {
	if tp.bar != nil {
		tp.bar.Finish()
		tp.bar = nil
	}
}

// printPlain prints named scores, one per line, in name order.
func printPlain(scores map[string]float64) error {
	names := make([]string, 0, len(scores))
	for k := range scores {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Printf("  %-28s %.4f\n", k, scores[k])
	}
	return nil
}

func trainCaptioner(ctx context.Context, o caption.TrainOptions) error {
	tp := newTrainProgress("train "+o.Arch.String(), "mean loss %.4f")
	o.OnStep, o.OnEpoch = tp.step, tp.epoch
	scores, err := caption.Train(ctx, o)
	tp.finish()
	if err != nil || scores == nil {
		return err
	}
	fmt.Printf("%s (beam %d) on %s/%s:\n", o.Arch, o.Beam, o.Data, o.Test)
	return printPlain(scores)
}

func trainReasoner(ctx context.Context, o reason.TrainOptions) error {
	tp := newTrainProgress("train "+o.Arch.String(), "mean loss %.4f")
	o.OnStep, o.OnEpoch = tp.step, tp.epoch
	scores, err := reason.Train(ctx, o)
	tp.finish()
	if err != nil || scores == nil {
		return err
	}
	fmt.Printf("%s on %s/%s:\n", o.Arch, o.Data, o.Test)
	return printBoard(scores, reason.AccuracyMetric)
}

// families splits a comma-separated list of family names; "" is none.
func families(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// curriculumStages splits a --curriculum value into its stages'
// families: stages separated by ";", families by ","; "" is none.
func curriculumStages(s string) [][]string {
	if s == "" {
		return nil
	}
	var out [][]string
	for _, st := range strings.Split(s, ";") {
		out = append(out, families(st))
	}
	return out
}
