package main

import (
	"context"
	"fmt"

	"github.com/hiddendim/hiddendim/bench/vae"
)

func runAnalyze(ctx context.Context, args []string) error {
	fs := newFlags("analyze")
	data := fs.String("data", "", "`DIR`: a shapes, relations or webpages dataset (required)")
	out := fs.String("out", "", "`DIR` for the pictures and summary.json (required)")
	split := fs.String("split", "test", "`NAME` of the split to analyse")
	trainSplit := fs.String("train-split", "train", "`NAME` of the split the few-shot landmarks, DCI and the arithmetic operator are fitted on")
	seed := fs.Uint64("seed", 1, "seed `S` of the ELBO's noise, k-means, the SOM, few-shot draws and the navigation's pairs")
	pairs := fs.Int("pairs", 24, "`N` pairs of test images to draw latent paths between (navigation.png, path_validity_*)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one CHECKPOINT (a VAE's model.ckpt)"); err != nil {
		return err
	}
	if *data == "" || *out == "" {
		return usageErrorf("analyze: want CHECKPOINT --data DIR --out DIR")
	}
	if *pairs < 1 {
		return usageErrorf("analyze: --pairs %d: want at least 1 pair of test images", *pairs)
	}
	files, scores, err := vae.Analyze(vae.AnalyzeOptions{Checkpoint: pos[0], Data: *data, Out: *out,
		Train: *trainSplit, Test: *split, Seed: *seed, NavPairs: *pairs})
	for _, f := range files {
		fmt.Println("wrote", f)
	}
	if err != nil {
		return err
	}
	return printPlain(scores)
}
