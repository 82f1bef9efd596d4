package main

import (
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The page segmenter from the command line on tiny pages: train (and
// resume), eval and parse, and their usage errors.
func TestSegNetFromTheCommandLine(t *testing.T) {
	quietStdout(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "pages")
	ctx := context.Background()
	gen := []string{"generate", "webpages", "--out", data, "--splits", "train=8,test=3",
		"--set", "image_size=80", "--set", "max_rows=1", "--set", "max_header_buttons=2", "--set", "pix2code=true"}
	if code := run(ctx, gen); code != 0 {
		t.Fatalf("generate: exit %d", code)
	}
	seg := filepath.Join(dir, "seg")
	ckpt := filepath.Join(seg, "model.ckpt")
	pics := filepath.Join(seg, "parse")
	steps := [][]string{
		{"train", "segnet", "--data", data, "--out", seg, "--epochs", "1", "--batch", "4"},
		{"train", "segnet", "--data", data, "--out", seg, "--epochs", "2", "--batch", "4", "--resume"},
		{"eval", ckpt, "--data", data},
		{"parse", ckpt, "--data", data, "--out", pics, "--n", "2"},
	}
	for _, args := range steps {
		if code := run(ctx, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	for _, k := range []string{"0", "1"} {
		for _, f := range []string{"screenshot", "predicted_mask", "true_mask", "overlay", "tree"} {
			path := filepath.Join(pics, "page_"+k+"_"+f+".png")
			r, err := os.Open(path)
			if err != nil {
				t.Fatalf("missing %s", path)
			}
			if _, err := png.Decode(r); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			r.Close()
		}
		txt, err := os.ReadFile(filepath.Join(pics, "page_"+k+"_dsl.txt"))
		if err != nil || !strings.Contains(string(txt), "== true, pix2code ==\nheader {") {
			t.Errorf("page %s's DSL file: %q (%v)", k, txt, err)
		}
	}
	if _, err := os.Stat(filepath.Join(pics, "page_2_tree.png")); err == nil {
		t.Error("parse --n 2 drew a third page")
	}
	var m struct {
		Metrics map[string]struct{ Value float64 } `json:"metrics"`
		PPS     float64                            `json:"train_pages_per_second"`
	}
	b, err := os.ReadFile(filepath.Join(seg, "metrics.json"))
	if err != nil || json.Unmarshal(b, &m) != nil || m.PPS <= 0 {
		t.Fatalf("metrics.json: %s (%v)", b, err)
	}
	for _, name := range []string{"miou", "pixel_accuracy", "tree_exact_match", "tree_edit_distance", "token_accuracy", "parse_rate", "majority_miou", "params"} {
		if _, ok := m.Metrics[name]; !ok {
			t.Errorf("metrics.json lacks %s", name)
		}
	}
	big := filepath.Join(dir, "big")
	if code := run(ctx, []string{"generate", "webpages", "--out", big, "--splits", "test=1", "--set", "image_size=96", "--set", "max_rows=1", "--set", "pix2code=true"}); code != 0 {
		t.Fatalf("generate 96 px pages: exit %d", code)
	}
	shapes := filepath.Join(dir, "shapes")
	if code := run(ctx, []string{"generate", "shapes", "--out", shapes, "--splits", "train=4,test=4"}); code != 0 {
		t.Fatalf("generate shapes: exit %d", code)
	}
	bad := []struct {
		name string
		args []string
		msg  string
	}{
		{"train on shapes", []string{"train", "segnet", "--data", shapes, "--out", filepath.Join(dir, "x")}, "page structure is read from webpages datasets"},
		{"train over a checkpoint", []string{"train", "segnet", "--data", data, "--out", seg}, "pass --resume to continue it or --overwrite"},
		{"resume with another batch", []string{"train", "segnet", "--data", data, "--out", seg, "--epochs", "3", "--batch", "2", "--resume"}, "--batch 4 → 2"},
		{"parse without --out", []string{"parse", ckpt, "--data", data}, "want CHECKPOINT --data DIR --out DIR"},
		{"parse --n 0", []string{"parse", ckpt, "--data", data, "--out", dir, "--n", "0"}, "--n at least 1"},
		{"parse two checkpoints", []string{"parse", "a", "b", "--data", data, "--out", dir}, "one CHECKPOINT"},
		{"parse pages of another size", []string{"parse", ckpt, "--data", big, "--out", filepath.Join(dir, "y")}, "the pages are [3 96 96], the segnet takes [3 80 80]"},
		{"eval pages of another size", []string{"eval", ckpt, "--data", big}, "generate pages of image_size 80"},
		{"parse a dataset of shapes", []string{"parse", ckpt, "--data", shapes, "--out", filepath.Join(dir, "z")}, "is a shapes dataset"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			err := dispatch(ctx, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want it to contain %q", err, tt.msg)
			}
			if code := run(ctx, tt.args); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
		})
	}
}
