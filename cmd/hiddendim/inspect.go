package main

import (
	"context"
	"fmt"

	"github.com/hiddendim/hiddendim/bench/classify"
)

func runInspect(ctx context.Context, args []string) error {
	fs := newFlags("inspect")
	data := fs.String("data", "", "dataset `DIR` like the classifier's (required)")
	out := fs.String("out", "", "`DIR` for the PNGs (required)")
	split := fs.String("split", "test", "`NAME` of the split to draw samples from")
	n := fs.Int("n", 4, "`N` samples to draw activation maps for")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one CHECKPOINT"); err != nil {
		return err
	}
	if *data == "" || *out == "" || *n < 1 {
		return usageErrorf("inspect: want CHECKPOINT --data DIR --out DIR, with --n at least 1")
	}
	files, err := classify.Inspect(classify.InspectOptions{Checkpoint: pos[0], Data: *data, Split: *split, Out: *out, N: *n})
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Println("wrote", f)
	}
	return nil
}
