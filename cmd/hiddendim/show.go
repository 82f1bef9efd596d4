package main

import (
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

func runShow(ctx context.Context, args []string) error {
	fs := newFlags("show")
	out := fs.String("out", "", "image `FILE` to write, PNG (.png) or JPEG (.jpg, .jpeg) (required)")
	n := fs.Int("n", 64, "`N` samples to show")
	split := fs.String("split", "", "`NAME` of the split (default: the first)")
	cols := fs.Int("cols", 8, "`N` columns")
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
	encode, err := imageEncoder(*out)
	if err != nil {
		return err
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
	if err := writeImage(*out, img, encode); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d×%d)\n", *out, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// imageEncoder picks the encoder for path's extension: PNG for .png, JPEG
// (quality 90) for .jpg and .jpeg; any other extension is a usage error.
func imageEncoder(path string) (func(io.Writer, image.Image) error, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return png.Encode, nil
	case ".jpg", ".jpeg":
		return func(w io.Writer, img image.Image) error { return jpeg.Encode(w, img, &jpeg.Options{Quality: 90}) }, nil
	}
	return nil, usageErrorf("show: --out %s: want a .png, .jpg or .jpeg file name (the extension picks the format)", path)
}

// writeImage encodes img into a new file at path, removing it on failure.
func writeImage(path string, img image.Image, encode func(io.Writer, image.Image) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := encode(f, img); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("show: %s: %w", path, err)
	}
	return f.Close()
}
