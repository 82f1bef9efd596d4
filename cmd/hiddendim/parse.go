package main

import (
	"context"
	"fmt"
	"os"

	"github.com/hiddendim/hiddendim/bench/structure"
)

func runParse(ctx context.Context, args []string) error {
	fs := newFlags("parse")
	data := fs.String("data", "", "`DIR`: a webpages dataset with pages of the size the net was trained on (required)")
	out := fs.String("out", "", "`DIR` for the PNGs and DSL files (required)")
	split := fs.String("split", "test", "`NAME` of the split the pages come from")
	n := fs.Int("n", 8, "`N` pages to parse")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one CHECKPOINT (a segnet's model.ckpt)"); err != nil {
		return err
	}
	if *data == "" || *out == "" || *n < 1 {
		return usageErrorf("parse: want CHECKPOINT --data DIR --out DIR, with --n at least 1")
	}
	fmt.Fprintf(os.Stderr, "parse: segmenting and decoding %d pages of %s/%s\n", *n, *data, *split)
	done, err := structure.Parse(structure.ParseOptions{Checkpoint: pos[0], Data: *data, Split: *split, Out: *out, N: *n})
	exact := 0
	for _, p := range done {
		verdict := "not the true tree"
		if p.Exact {
			verdict = "the true tree"
			exact++
		}
		fmt.Printf("page %d: %s (tree edit distance %.3f); wrote %s and %d more\n", p.Page, verdict, p.Distance, p.Files[0], len(p.Files)-1)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d of %d pages decoded to the true tree\n", exact, len(done))
	return nil
}
