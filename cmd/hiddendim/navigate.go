package main

import (
	"context"
	"fmt"

	"github.com/hiddendim/hiddendim/bench/questions"
)

// runNavigate decodes the points between pairs of test questions' vectors
// with a question decoder trained on a text-questions model's encoder, and
// judges the texts on their scenes.
func runNavigate(ctx context.Context, args []string) error {
	fs := newFlags("navigate")
	data := fs.String("data", "", "`DIR`: the clevrlite dataset the model was trained on (required)")
	out := fs.String("out", "", "`DIR` for questions_navigation.txt and navigation.json (required)")
	trainSplit := fs.String("train-split", "train", "`NAME` of the split the decoder learns from")
	testSplit := fs.String("test-split", "test", "`NAME` of the split whose questions are paired")
	pairs := fs.Int("pairs", 200, "`N` same-scene pairs and N cross-family pairs")
	steps := fs.Int("steps", 2000, "`N` decoder updates (batches of 64)")
	seed := fs.Uint64("seed", 1, "seed `S` of the decoder's weights, its shuffles and the pairs")
	noUntrained := fs.Bool("no-untrained", false, "skip the untrained encoder's baseline (a second decoder)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one CHECKPOINT (a text-questions model's model.ckpt)"); err != nil {
		return err
	}
	if *data == "" || *out == "" || *pairs < 1 || *steps < 1 {
		return usageErrorf("navigate: want CHECKPOINT --data DIR --out DIR, with --pairs and --steps at least 1")
	}
	var bar *progress
	opts := questions.NavigateOptions{Pairs: *pairs, Steps: *steps, Seed: *seed, NoUntrained: *noUntrained,
		Progress: func(what string, step, total int) {
			if bar == nil {
				bar = newProgress("navigate: "+what, "steps", total)
			}
			bar.Set(step, total)
			if step == total {
				bar.Finish()
				bar = nil
			}
		}}
	nav, path, err := questions.NavigateCheckpoint(ctx, pos[0], *data, *trainSplit, *testSplit, *out, opts)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Printf("navigation on %s/%s (decoded paths in %s):\n", *data, *testSplit, path)
	return printBoard(nav.Scores, questions.NavigateRelevantMetric)
}
