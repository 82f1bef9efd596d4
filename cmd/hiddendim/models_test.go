package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The VAE and captioner commands end to end on a tiny relations dataset,
// and their usage errors.
func TestVAEAndCaptionerFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "rel")
	ctx := context.Background()
	gen := []string{"generate", "relations", "--out", data, "--splits", "train=96,test=24",
		"--set", "image_size=16", "--set", "size_min=6", "--set", "size_max=8", "--set", "parts=true", "--set", "single_fraction=0"}
	if code := run(ctx, gen); code != 0 {
		t.Fatalf("generate: exit %d", code)
	}
	vae, att := filepath.Join(dir, "vae"), filepath.Join(dir, "att")
	steps := [][]string{
		{"train", "vae", "--data", data, "--out", vae, "--epochs", "1", "--batch", "32"},
		{"analyze", filepath.Join(vae, "model.ckpt"), "--data", data, "--out", filepath.Join(vae, "pics")},
		{"train", "attention", "--data", data, "--out", att, "--epochs", "1", "--batch", "32", "--beam", "2"},
		{"caption", filepath.Join(att, "model.ckpt"), "--data", data, "--out", filepath.Join(att, "pics"), "--n", "2"},
	}
	for _, args := range steps {
		if code := run(ctx, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	for _, f := range []string{"vae/pics/arithmetic.png", "vae/pics/som_umatrix.png", "vae/pics/navigation.png", "vae/pics/hierarchy.png", "vae/pics/summary.json", "att/pics/caption_1.png", "att/metrics.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	bad := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad likelihood", []string{"train", "vae", "--data", data, "--out", vae, "--likelihood", "poisson"}, 2, "want bernoulli or gaussian"},
		{"bad schedule", []string{"train", "attention", "--data", data, "--out", vae, "--schedule", "step"}, 2, "want constant or cosine"},
		{"analyze without data", []string{"analyze", filepath.Join(vae, "model.ckpt")}, 2, "--data DIR --out DIR"},
		{"analyze a captioner", []string{"analyze", filepath.Join(att, "model.ckpt"), "--data", data, "--out", filepath.Join(dir, "x")}, 2, "not a VAE"},
		{"caption a VAE", []string{"caption", filepath.Join(vae, "model.ckpt"), "--data", data, "--out", filepath.Join(dir, "x")}, 2, "not a captioner"},
		{"beam 0", []string{"caption", filepath.Join(att, "model.ckpt"), "--data", data, "--out", filepath.Join(dir, "x"), "--beam", "0"}, 2, "--beam at least 1"},
		{"unknown model", []string{"train", "transformer", "--data", data, "--out", vae}, 2, "known: multilabel, combo, perlabel, vae, attention, no-attention"},
		{"unknown task", []string{"bench", "--tasks", "nope"}, 2, `suite quick has no task "nope"`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			err := dispatch(ctx, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want it to contain %q", err, tt.msg)
			}
			if code := run(ctx, tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
		})
	}
}
