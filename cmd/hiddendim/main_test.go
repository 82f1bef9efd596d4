package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if code := run(context.Background(), []string{"generate", "shapes", "--out", good, "--splits", "train=40,test=10", "--seed", "7", "--holdout", "red triangle"}); code != 0 {
		t.Fatalf("generate: exit %d", code)
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no command", nil, 2, "no command"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown dataset", []string{"generate", "shape", "--out", filepath.Join(dir, "x")}, 2, `unknown dataset "shape"; known: clevrlite, counting, relations, shapes, webpages`},
		{"negative n", []string{"generate", "shapes", "--out", filepath.Join(dir, "x"), "--n", "-5"}, 2, "want a whole number >= 0"},
		{"n and splits", []string{"generate", "shapes", "--out", filepath.Join(dir, "x"), "--n", "5", "--splits", "train=5"}, 2, "not both"},
		{"bad shard", []string{"generate", "shapes", "--out", filepath.Join(dir, "x"), "--shard", "4/4"}, 2, "0 <= K < N"},
		{"unknown key", []string{"generate", "shapes", "--out", filepath.Join(dir, "x"), "--set", "colour=red"}, 2, `unknown config key "colour"`},
		{"set without =", []string{"generate", "shapes", "--out", filepath.Join(dir, "x"), "--set", "colors"}, 2, "not key=value"},
		{"size too big", []string{"generate", "shapes", "--out", filepath.Join(dir, "x"), "--set", "size_max=50"}, 2, "larger than the image"},
		{"bad format", []string{"generate", "shapes", "--out", filepath.Join(dir, "x"), "--format", "tfrecord"}, 2, "want png, npz, tar or parquet"},
		{"no out", []string{"generate", "shapes"}, 2, "--out DIR is required"},
		{"exists", []string{"generate", "shapes", "--out", good, "--n", "3"}, 2, "--overwrite"},
		{"verify ok", []string{"verify", good}, 0, ""},
		{"verify missing", []string{"verify", filepath.Join(dir, "nothing")}, 1, "has no manifest.json"},
		{"describe unknown", []string{"describe", "nope"}, 2, "known: clevrlite, counting, relations, shapes, webpages"},
		{"show bad split", []string{"show", good, "--out", filepath.Join(dir, "g.png"), "--split", "val"}, 2, `no split "val"`},
		{"merge no shards", []string{"merge", "--out", filepath.Join(dir, "m")}, 2, "SHARD_DIR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.msg != "" {
				err := dispatch(context.Background(), tt.args)
				if err == nil || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("error %v, want it to contain %q", err, tt.msg)
				}
			}
			if code := run(context.Background(), tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		if _, err := os.Stat(filepath.Join(dir, "x", "manifest.json")); err == nil {
			t.Fatal("a rejected generate left a manifest")
		}
	}
}

func TestTamperedVerifyFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code := run(context.Background(), []string{"generate", "shapes", "--out", dir, "--n", "20"}); code != 0 {
		t.Fatal(code)
	}
	os.WriteFile(filepath.Join(dir, "train", "masks", "000004.png"), []byte("x"), 0o644)
	err := dispatch(context.Background(), []string{"verify", dir})
	if err == nil || !strings.Contains(err.Error(), "train/masks/000004.png: content changed") {
		t.Fatalf("verify: %v", err)
	}
	if code := run(context.Background(), []string{"verify", dir}); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
}

func TestScenesFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"generate", "relations", "--splits", "train=30,test=10", "--set", "parts=true", "--holdout", "red square above blue circle", "--out", filepath.Join(dir, "rel")},
		{"generate", "counting", "--n", "30", "--out", filepath.Join(dir, "cnt")},
		{"verify", filepath.Join(dir, "rel")},
		{"show", filepath.Join(dir, "cnt"), "--out", filepath.Join(dir, "cnt.png")},
	} {
		if code := run(context.Background(), args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"generate", "counting", "--n", "3", "--set", "max_objects=40", "--out", filepath.Join(dir, "x")}, "do not fit"},
		{[]string{"generate", "counting", "--n", "3", "--holdout", "red square", "--out", filepath.Join(dir, "x")}, "no held-out combinations"},
		{[]string{"generate", "relations", "--n", "3", "--format", "npz", "--set", "parts=true", "--out", filepath.Join(dir, "y")}, "cannot be written as npz"},
	} {
		err := dispatch(context.Background(), tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Fatalf("%v: %v, want %q", tt.args, err, tt.msg)
		}
		if code := run(context.Background(), tt.args); code != 2 {
			t.Fatalf("%v: exit %d, want 2", tt.args, code)
		}
	}
}

func TestInterruptExits130(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if Ctrl-C came at once
	if code := run(ctx, []string{"generate", "shapes", "--out", dir, "--n", "1000"}); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		t.Fatal("an interrupted run left a manifest")
	}
}

func TestShardMergeShowFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	args := []string{"generate", "shapes", "--splits", "train=50,test=20", "--seed", "9"}
	if run(context.Background(), append(args, "--out", filepath.Join(dir, "whole"))) != 0 {
		t.Fatal("whole")
	}
	var shards []string
	for _, k := range []string{"0/2", "1/2"} {
		d := filepath.Join(dir, "s"+k[:1])
		if run(context.Background(), append(args, "--out", d, "--shard", k, "--workers", "1")) != 0 {
			t.Fatal(k)
		}
		shards = append(shards, d)
	}
	if run(context.Background(), append(append([]string{"merge"}, shards...), "--out", filepath.Join(dir, "merged"))) != 0 {
		t.Fatal("merge")
	}
	a, _ := os.ReadFile(filepath.Join(dir, "whole", "manifest.json"))
	b, _ := os.ReadFile(filepath.Join(dir, "merged", "manifest.json"))
	if len(a) == 0 || string(a) != string(b) {
		t.Fatal("merged manifest differs from the single run's")
	}
	png := filepath.Join(dir, "grid.png")
	if run(context.Background(), []string{"show", filepath.Join(dir, "merged"), "--n", "12", "--out", png}) != 0 {
		t.Fatal("show")
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Fatalf("grid.png: %v", err)
	}
	for _, args := range [][]string{{"list"}, {"describe", "shapes"}, {"describe", "relations"}, {"describe", "counting"}} {
		if run(context.Background(), args) != 0 {
			t.Fatal(args)
		}
	}
}

// TestParquetFromTheCommandLine generates relations as parquet in two
// shards, merges them, and checks the merge is the single run's dataset and
// that verify and show read it.
func TestParquetFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	gen := func(out string, extra ...string) {
		t.Helper()
		args := append([]string{"generate", "relations", "--splits", "train=30,test=10", "--set", "parts=true",
			"--format", "parquet", "--rows-per-file", "8", "--out", filepath.Join(dir, out)}, extra...)
		if err := dispatch(context.Background(), args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	gen("whole")
	gen("s0", "--shard", "0/2")
	gen("s1", "--shard", "1/2")
	for _, args := range [][]string{
		{"merge", filepath.Join(dir, "s1"), filepath.Join(dir, "s0"), "--out", filepath.Join(dir, "merged")},
		{"verify", filepath.Join(dir, "merged")},
		{"show", filepath.Join(dir, "merged"), "--out", filepath.Join(dir, "grid.png"), "--n", "8"},
	} {
		if err := dispatch(context.Background(), args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	for _, f := range []string{"manifest.json", "README.md", "train.SHA256SUMS", "data/train-00003-of-00004.parquet"} {
		a, err := os.ReadFile(filepath.Join(dir, "whole", f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "merged", f))
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("merged %s differs from the single run's", f)
		}
	}
}
