package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/models"
)

var trainModels = []string{models.MultiLabel, models.Combo, models.PerLabel}

func runTrain(ctx context.Context, args []string) error {
	fs := newFlags("train")
	data := fs.String("data", "", "dataset folder (required)")
	out := fs.String("out", "", "folder for model.ckpt and metrics.json (required)")
	epochs := fs.Int("epochs", 5, "epochs")
	batch := fs.Int("batch", 64, "minibatch size")
	lr := fs.Float64("lr", 2e-3, "Adam learning rate")
	seed := fs.Uint64("seed", 1, "seed of the initial weights and shuffles")
	labels := fs.String("labels", "", "label features to predict (default: all)")
	trainSplit := fs.String("train-split", "train", "split to train on")
	testSplit := fs.String("test-split", "test", "split to score on (\"\" for none)")
	resume := fs.Bool("resume", false, "continue from --out/model.ckpt")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one MODEL ("+strings.Join(trainModels, ", ")+")"); err != nil {
		return err
	}
	arch := pos[0]
	if !contains(trainModels, arch) {
		return usageErrorf("train: unknown model %q; known: %s", arch, strings.Join(trainModels, ", "))
	}
	if *data == "" || *out == "" {
		return usageErrorf("train: --data DIR and --out DIR are required")
	}
	if *epochs < 1 || *batch < 1 || *lr <= 0 {
		return usageErrorf("train: want --epochs and --batch at least 1 and --lr above 0")
	}
	o := bench.TrainOptions{Data: *data, Out: *out, Arch: arch, Train: *trainSplit, Test: *testSplit,
		Budget: bench.Budget{Epochs: *epochs, Batch: *batch, LR: *lr}, Seed: *seed, Resume: *resume}
	if *labels != "" {
		o.Labels = strings.Split(*labels, ",")
	}
	var bar *progress
	o.OnStep = func(step, total int, loss float64) {
		if bar == nil {
			bar = newProgress("train "+arch, "steps", total)
		}
		bar.Set(step, total)
	}
	o.OnEpoch = func(epoch int, loss float64) {
		if bar != nil {
			bar.Finish()
			bar = nil
		}
		fmt.Fprintf(os.Stderr, "epoch %d: mean loss %.4f, checkpoint saved\n", epoch, loss)
	}
	scores, err := bench.TrainClassifier(ctx, o)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	if scores != nil {
		fmt.Printf("%s on %s/%s:\n", arch, *data, *testSplit)
		return printScores(scores)
	}
	return nil
}

func runEval(ctx context.Context, args []string) error {
	fs := newFlags("eval")
	data := fs.String("data", "", "dataset folder (required)")
	split := fs.String("split", "test", "split to score on")
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
	scores, err := bench.EvaluateCheckpoint(pos[0], *data, *split)
	if err != nil {
		return err
	}
	return printScores(scores)
}

func printScores(scores map[string]bench.Metric) error {
	rec := bench.Record{Task: "scores", Model: "model", Primary: "subset_accuracy", Metrics: scores}
	return bench.WriteBoards(os.Stdout, bench.Aggregate([]bench.Record{rec}), "table")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
