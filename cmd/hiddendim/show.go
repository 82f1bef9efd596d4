package main

import (
	"context"
	"fmt"

	"github.com/fogleman/gg"
	"github.com/hiddendim/hiddendim/generators"
)

func runShow(ctx context.Context, args []string) error {
	fs := newFlags("show")
	out := fs.String("out", "", "PNG to write (required)")
	n := fs.Int("n", 64, "samples to show")
	split := fs.String("split", "", "split (default: the first)")
	cols := fs.Int("cols", 8, "columns")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one dataset DIR"); err != nil {
		return err
	}
	if *out == "" || *n < 1 || *cols < 1 {
		return usageErrorf("show: want DIR --out grid.png, with --n and --cols at least 1")
	}
	r, err := generators.Open(pos[0])
	if err != nil {
		return err
	}
	if _, ok := r.Manifest.Splits[*split]; *split != "" && !ok {
		return usageErrorf("show: %s has no split %q; it has %v", pos[0], *split, r.Manifest.SplitOrder)
	}
	img, err := generators.ContactSheet(r, generators.SheetOptions{Split: *split, N: *n, Columns: *cols})
	if err != nil {
		return err
	}
	if err := gg.SavePNG(*out, img); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d×%d)\n", *out, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}
