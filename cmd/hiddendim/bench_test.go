package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainEvalInspect(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if run(context.Background(), []string{"generate", "shapes", "--out", data, "--splits", "train=128,test=64"}) != 0 {
		t.Fatal("generate")
	}
	out := filepath.Join(dir, "run")
	if code := run(context.Background(), []string{"train", "combo", "--data", data, "--out", out, "--epochs", "2", "--batch", "32"}); code != 0 {
		t.Fatalf("train: exit %d", code)
	}
	for _, f := range []string{"model.ckpt", "metrics.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	ckpt := filepath.Join(out, "model.ckpt")
	if code := run(context.Background(), []string{"eval", ckpt, "--data", data}); code != 0 {
		t.Fatalf("eval: exit %d", code)
	}
	pics := filepath.Join(dir, "pics")
	if code := run(context.Background(), []string{"inspect", ckpt, "--data", data, "--out", pics, "--n", "2"}); code != 0 {
		t.Fatalf("inspect: exit %d", code)
	}
	for _, f := range []string{"filters_t0.png", "activations_0.png", "activations_1.png"} {
		if st, err := os.Stat(filepath.Join(pics, f)); err != nil || st.Size() < 200 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	// --resume on a finished run trains nothing more and still scores.
	if code := run(context.Background(), []string{"train", "combo", "--data", data, "--out", out, "--epochs", "2", "--batch", "32", "--resume"}); code != 0 {
		t.Fatalf("resume: exit %d", code)
	}
	// A checkpoint of another model is refused on --resume, naming what differs.
	args := []string{"train", "multilabel", "--data", data, "--out", out, "--epochs", "2", "--batch", "32", "--resume"}
	err := dispatch(context.Background(), args)
	if err == nil || !strings.Contains(err.Error(), "MODEL combo → multilabel") {
		t.Fatalf("resume with another model: %v", err)
	}
	if code := run(context.Background(), args); code != 2 {
		t.Fatalf("resume with another model: exit %d, want 2", code)
	}
}

func TestBenchCommandErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bench", "--suite", "quik"}, 2, "suite quik: no such suite; built in: full, quick, standard"},
		{[]string{"bench", "quick"}, 2, "did you mean --suite quick"},
		{[]string{"bench", "--format", "xml"}, 2, "want one of table, markdown, csv, json"},
		{[]string{"leaderboard"}, 2, "one or more record files"},
		{[]string{"leaderboard", filepath.Join(dir, "none.jsonl")}, 1, "no such file"},
		{[]string{"train", "resnet", "--data", dir, "--out", dir}, 2, "unknown model \"resnet\"; known: multilabel, combo, perlabel"},
		{[]string{"train", "combo", "--data", dir}, 2, "--out DIR are required"},
		{[]string{"train", "combo", "--data", dir, "--out", dir, "--epochs", "0"}, 2, "at least 1"},
		{[]string{"eval", filepath.Join(dir, "none.ckpt"), "--data", dir}, 1, "no such file"},
		{[]string{"inspect", "x.ckpt", "--data", dir}, 2, "--out DIR"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := dispatch(context.Background(), tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %q", err, tt.msg)
			}
			if code := run(context.Background(), tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
		})
	}
}
