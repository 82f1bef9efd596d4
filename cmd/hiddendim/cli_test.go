package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// runNoPanic runs args in-process and fails the test, with the stack, if
// the command panics.
func runNoPanic(t *testing.T, args []string) (code int) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("%v panicked: %v\n%s", args, p, debug.Stack())
		}
	}()
	return run(context.Background(), args)
}

// quietStdout sends the commands' stdout to /dev/null for the rest of the test.
func quietStdout(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = null
	t.Cleanup(func() { os.Stdout = old; null.Close() })
}

// fixtures holds small datasets and one checkpoint of each model family.
type fixtures struct {
	dir, shapes, rel, counting, notData, notCkpt string
	shapes32, shapes2, rel24                     string
	classifier, vae, captioner                   string
}

func makeFixtures(t *testing.T) fixtures {
	t.Helper()
	dir := t.TempDir()
	f := fixtures{dir: dir, shapes: filepath.Join(dir, "shapes"), rel: filepath.Join(dir, "rel"), counting: filepath.Join(dir, "cnt"),
		notData: filepath.Join(dir, "notes.txt"), notCkpt: filepath.Join(dir, "notes.ckpt"),
		shapes32: filepath.Join(dir, "shapes32"), shapes2: filepath.Join(dir, "shapes2"), rel24: filepath.Join(dir, "rel24")}
	for _, p := range []string{f.notData, f.notCkpt} {
		if err := os.WriteFile(p, []byte("not what it should be\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	relSet := []string{"--set", "image_size=16", "--set", "size_min=6", "--set", "size_max=8", "--set", "parts=true", "--set", "single_fraction=0"}
	steps := [][]string{
		{"generate", "shapes", "--out", f.shapes, "--splits", "train=64,test=16"},
		append([]string{"generate", "relations", "--out", f.rel, "--splits", "train=64,test=16"}, relSet...),
		{"generate", "counting", "--out", f.counting, "--splits", "train=8,test=8"},
		{"generate", "shapes", "--out", f.shapes32, "--splits", "train=8,test=8", "--set", "image_size=32"},
		{"generate", "shapes", "--out", f.shapes2, "--splits", "train=8,test=8", "--set", "colors=red,green"},
		append([]string{"generate", "relations", "--out", f.rel24, "--splits", "train=8,test=8"}, append(relSet, "--set", "image_size=24")...),
		{"train", "combo", "--data", f.shapes, "--out", filepath.Join(dir, "clf"), "--epochs", "1", "--batch", "32", "--test-split", ""},
		{"train", "vae", "--data", f.rel, "--out", filepath.Join(dir, "vae"), "--epochs", "1", "--batch", "32", "--test-split", ""},
		{"train", "attention", "--data", f.rel, "--out", filepath.Join(dir, "att"), "--epochs", "1", "--batch", "32", "--test-split", ""},
	}
	for _, args := range steps {
		if code := runNoPanic(t, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	f.classifier = filepath.Join(dir, "clf", "model.ckpt")
	f.vae = filepath.Join(dir, "vae", "model.ckpt")
	f.captioner = filepath.Join(dir, "att", "model.ckpt")
	return f
}

// TestBadInvocations runs bad command lines in-process: none may panic,
// usage errors exit 2 and failures 1, and the message says what was wrong.
func TestBadInvocations(t *testing.T) {
	quietStdout(t)
	f := makeFixtures(t)
	x := filepath.Join(f.dir, "x")
	missing := filepath.Join(f.dir, "missing")
	gen := func(extra ...string) []string {
		return append([]string{"generate", "shapes", "--out", filepath.Join(f.dir, "g")}, extra...)
	}
	badKind := filepath.Join(f.dir, "bad-kind.json")
	badArch := filepath.Join(f.dir, "bad-arch.json")
	badReasoner := filepath.Join(f.dir, "bad-reasoner.json")
	quick, err := harness().LookupSuite("quick")
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(quick)
	for path, edit := range map[string][2]string{badKind: {`"kind":"vae"`, `"kind":"autoencoder"`}, badArch: {`"arch":"attention"`, `"arch":"transformer"`},
		badReasoner: {`"arch":"cnn-mlp"`, `"arch":"cnn-lstm"`}} {
		if err := os.WriteFile(path, []byte(strings.Replace(string(good), edit[0], edit[1], 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		// No arguments.
		{"generate no args", []string{"generate"}, 2, "one DATASET"},
		{"merge no args", []string{"merge"}, 2, "SHARD_DIR"},
		{"describe no args", []string{"describe"}, 2, "one DATASET"},
		{"verify no args", []string{"verify"}, 2, "DIR"},
		{"show no args", []string{"show"}, 2, "one dataset DIR"},
		{"leaderboard no args", []string{"leaderboard"}, 2, "record files"},
		{"train no args", []string{"train"}, 2, "one MODEL"},
		{"eval no args", []string{"eval"}, 2, "one CHECKPOINT"},
		{"inspect no args", []string{"inspect"}, 2, "one CHECKPOINT"},
		{"analyze no args", []string{"analyze"}, 2, "one CHECKPOINT"},
		{"caption no args", []string{"caption"}, 2, "one CHECKPOINT"},
		{"help two args", []string{"help", "train", "eval"}, 2, "at most one COMMAND"},
		{"help unknown", []string{"help", "trian"}, 2, `unknown command "trian"`},
		// A flag the command does not define.
		{"generate bad flag", gen("--colour", "red"), 2, "flag provided but not defined: -colour"},
		{"merge bad flag", []string{"merge", "--nope", "--out", x}, 2, "not defined: -nope"},
		{"list bad flag", []string{"list", "--nope"}, 2, "not defined: -nope"},
		{"list an argument", []string{"list", "shapes"}, 2, "no arguments"},
		{"describe bad flag", []string{"describe", "shapes", "--nope"}, 2, "not defined: -nope"},
		{"show bad flag", []string{"show", f.shapes, "--nope"}, 2, "not defined: -nope"},
		{"bench bad flag", []string{"bench", "--nope"}, 2, "not defined: -nope"},
		{"leaderboard bad flag", []string{"leaderboard", "--nope", "r.jsonl"}, 2, "not defined: -nope"},
		{"train bad flag", []string{"train", "combo", "--nope"}, 2, "not defined: -nope"},
		{"eval bad flag", []string{"eval", f.classifier, "--nope"}, 2, "not defined: -nope"},
		{"inspect bad flag", []string{"inspect", f.classifier, "--nope"}, 2, "not defined: -nope"},
		{"analyze bad flag", []string{"analyze", f.vae, "--nope"}, 2, "not defined: -nope"},
		{"caption bad flag", []string{"caption", f.captioner, "--nope"}, 2, "not defined: -nope"},
		// A bad flag value.
		{"generate --workers x", gen("--workers", "x"), 2, "invalid value"},
		{"generate --workers -1", gen("--workers", "-1", "--n", "1"), 2, "want 0 (all cores) or more"},
		{"generate --seed -1", gen("--seed", "-1"), 2, "invalid value"},
		{"show --n 0", []string{"show", f.shapes, "--out", filepath.Join(f.dir, "s.png"), "--n", "0"}, 2, "at least 1"},
		{"show --out gif", []string{"show", f.shapes, "--out", filepath.Join(f.dir, "s.gif")}, 2, "want a .png, .jpg or .jpeg"},
		{"show --out no extension", []string{"show", f.shapes, "--out", filepath.Join(f.dir, "s")}, 2, "want a .png, .jpg or .jpeg"},
		{"train --epochs x", []string{"train", "combo", "--data", f.shapes, "--out", x, "--epochs", "x"}, 2, "invalid value"},
		{"train --lr 0", []string{"train", "combo", "--data", f.shapes, "--out", x, "--lr", "0"}, 2, "--lr above 0"},
		{"train --schedule step", []string{"train", "combo", "--data", f.shapes, "--out", x, "--schedule", "step"}, 2, "want constant or cosine"},
		{"train --resume --overwrite", []string{"train", "combo", "--data", f.shapes, "--out", x, "--resume", "--overwrite"}, 2, "not both"},
		{"train --beam 0", []string{"train", "attention", "--data", f.rel, "--out", x, "--beam", "0"}, 2, "at least 1"},
		{"train segnet --class-weights x", []string{"train", "segnet", "--data", f.rel, "--out", x, "--class-weights", "inverse"}, 2, `--class-weights "inverse": want none or median`},
		{"train segnet --deep -1", []string{"train", "segnet", "--data", f.rel, "--out", x, "--deep", "-1"}, 2, "--deep -1: want 0"},
		{"train combo --deep", []string{"train", "combo", "--data", f.shapes, "--out", x, "--deep", "64"}, 2, "--deep is for segnet; combo does not take it"},
		{"train segnet --stem -1", []string{"train", "segnet", "--data", f.rel, "--out", x, "--stem", "-1"}, 2, "--stem -1: want 0 (no stem)"},
		{"train combo --stem", []string{"train", "combo", "--data", f.shapes, "--out", x, "--stem", "8"}, 2, "--stem is for segnet; combo does not take it"},
		{"train segnet --curriculum", []string{"train", "segnet", "--data", f.shapes, "--out", x, "--curriculum", "count_color"}, 2, "--curriculum is for the text-question models (rn-lstm"},
		{"train --aux-weight without --aux-args", []string{"train", "lstm", "--data", f.shapes, "--out", x, "--aux-weight", "0.5"}, 2, "--aux-weight 0.5: want a finite weight above 0, with --aux-args"},
		{"train --forget-bias NaN", []string{"train", "lstm", "--data", f.shapes, "--out", x, "--forget-bias", "NaN"}, 2, "--forget-bias NaN: want a finite bias"},
		{"train --curriculum-share NaN", []string{"train", "lstm", "--data", f.shapes, "--out", x, "--curriculum", "count_color", "--curriculum-questions", "10", "--curriculum-share", "NaN"}, 2, "--curriculum-share NaN: want a share in [0, 1)"},
		{"train --q-scale NaN", []string{"train", "lstm", "--data", f.shapes, "--out", x, "--q-scale", "NaN"}, 2, "--q-scale NaN: want a factor above 0"},
		{"train lstm --gate", []string{"train", "lstm", "--data", f.shapes, "--out", x, "--gate"}, 2, "--gate is for state-rn-lstm"},
		{"train segnet --gate", []string{"train", "segnet", "--data", f.shapes, "--out", x, "--gate"}, 2, "--gate is for the text-question models"},
		{"train --curriculum empty stage", []string{"train", "lstm", "--data", f.shapes, "--out", x, "--curriculum", "count_color;;exist_and", "--curriculum-questions", "10"}, 2, "stage 2 names no family"},
		{"train vae --beam", []string{"train", "vae", "--data", f.shapes, "--out", x, "--beam", "3"}, 2, "--beam is for the captioners (attention, no-attention); vae does not take it"},
		{"train rn --latent", []string{"train", "rn", "--data", f.shapes, "--out", x, "--latent", "4"}, 2, "--latent is for vae; rn does not take it"},
		{"train attention --labels", []string{"train", "attention", "--data", f.rel, "--out", x, "--labels", "shape"}, 2, "--labels is for the classifiers (multilabel, combo, perlabel); attention does not take it"},
		{"train combo --width", []string{"train", "combo", "--data", f.shapes, "--out", x, "--width", "64"}, 2, "--width is for the text-question models"},
		{"train --latent -1", []string{"train", "vae", "--data", f.rel, "--out", x, "--latent", "-1"}, 2, "at least 0"},
		{"train --train-split val", []string{"train", "combo", "--data", f.shapes, "--out", x, "--train-split", "val"}, 2, `no split "val"; its splits: train, test`},
		{"train --test-split val", []string{"train", "vae", "--data", f.rel, "--out", x, "--test-split", "val"}, 2, `no split "val"`},
		{"eval --split val", []string{"eval", f.classifier, "--data", f.shapes, "--split", "val"}, 2, `no split "val"`},
		{"inspect --n 0", []string{"inspect", f.classifier, "--data", f.shapes, "--out", x, "--n", "0"}, 2, "at least 1"},
		{"analyze --split val", []string{"analyze", f.vae, "--data", f.rel, "--out", x, "--split", "val"}, 2, `no split "val"`},
		{"analyze --pairs 0", []string{"analyze", f.vae, "--data", f.rel, "--out", x, "--pairs", "0"}, 2, "at least 1 pair"},
		{"caption --split val", []string{"caption", f.captioner, "--data", f.rel, "--out", x, "--split", "val"}, 2, `no split "val"`},
		{"caption --n x", []string{"caption", f.captioner, "--data", f.rel, "--out", x, "--n", "x"}, 2, "invalid value"},
		// A dataset folder that does not exist.
		{"show missing", []string{"show", missing, "--out", filepath.Join(f.dir, "s.png")}, 1, "manifest"},
		{"verify missing", []string{"verify", missing}, 1, "manifest"},
		{"merge missing", []string{"merge", missing, "--out", x}, 1, "missing"},
		{"train missing", []string{"train", "combo", "--data", missing, "--out", x}, 1, "manifest"},
		{"eval missing data", []string{"eval", f.classifier, "--data", missing}, 1, "manifest"},
		{"eval missing checkpoint", []string{"eval", filepath.Join(f.dir, "none.ckpt"), "--data", f.shapes}, 1, "no such file"},
		{"inspect missing", []string{"inspect", f.classifier, "--data", missing, "--out", x}, 1, "manifest"},
		{"analyze missing", []string{"analyze", f.vae, "--data", missing, "--out", x}, 1, "manifest"},
		{"caption missing", []string{"caption", f.captioner, "--data", missing, "--out", x}, 1, "manifest"},
		// A file that is not a dataset, or not a checkpoint.
		{"show not a dataset", []string{"show", f.notData, "--out", filepath.Join(f.dir, "s.png")}, 1, ""},
		{"verify not a dataset", []string{"verify", f.notData}, 1, ""},
		{"train not a dataset", []string{"train", "vae", "--data", f.notData, "--out", x}, 1, ""},
		{"eval not a checkpoint", []string{"eval", f.notCkpt, "--data", f.shapes}, 1, ""},
		{"caption not a checkpoint", []string{"caption", f.notCkpt, "--data", f.rel, "--out", x}, 1, ""},
		{"inspect not a dataset", []string{"inspect", f.classifier, "--data", f.notData, "--out", x}, 1, ""},
		{"analyze not a dataset", []string{"analyze", f.vae, "--data", f.notData, "--out", x}, 1, ""},
		{"merge not a dataset", []string{"merge", f.notData, "--out", x}, 1, ""},
		{"generate over a file", []string{"generate", "shapes", "--n", "2", "--out", f.notData}, 1, ""},
		{"generate into a folder of other files", []string{"generate", "shapes", "--n", "2", "--out", filepath.Join(f.dir, "vae")}, 2, "is not empty and is not a hiddendim dataset"},
		{"leaderboard not records", []string{"leaderboard", f.notData}, 1, ""},
		// Data of the wrong kind for the model, and checkpoints of the wrong kind for the command.
		{"attention on shapes", []string{"train", "attention", "--data", f.shapes, "--out", x}, 2, "attention trains on counting, relations, webpages datasets"},
		{"grammar on relations", []string{"train", "attention", "--data", f.rel, "--out", x, "--grammar"}, 2, "which only webpages captions have; " + f.rel + " is a relations dataset"},
		{"caption --grammar on relations", []string{"caption", f.captioner, "--data", f.rel, "--out", x, "--grammar"}, 2, "which only webpages captions have; " + f.captioner + " is a relations captioner"},
		{"multilabel on relations", []string{"train", "multilabel", "--data", f.rel, "--out", x}, 2, "classifiers train on datasets with label features; " + f.rel + " is a relations dataset, which has none"},
		{"vae on counting", []string{"train", "vae", "--data", f.counting, "--out", x}, 2, "vae trains on relations, shapes, webpages datasets"},
		{"unknown label", []string{"train", "multilabel", "--data", f.shapes, "--out", x, "--labels", "shape,colour"}, 2, `no label "colour"; its labels: shape, color`},
		{"eval a VAE", []string{"eval", f.vae, "--data", f.shapes}, 2, "holds a vae, not a classifier"},
		{"eval on relations", []string{"eval", f.classifier, "--data", f.rel}, 2, `no label "shape"; its labels: none`},
		{"eval on counting", []string{"eval", f.classifier, "--data", f.counting}, 2, `no label "shape"; its labels: family`},
		{"eval on other images", []string{"eval", f.classifier, "--data", f.shapes32}, 2, "images are [3 32 32], the model takes [3 28 28]"},
		{"eval on other colors", []string{"eval", f.classifier, "--data", f.shapes2}, 2, "label color has values [red green] in " + f.shapes2 + ", the model was trained on [red green blue]"},
		{"inspect on other images", []string{"inspect", f.classifier, "--data", f.shapes32, "--out", x}, 2, "images are [3 32 32], the model takes [3 28 28]"},
		{"inspect on other colors", []string{"inspect", f.classifier, "--data", f.shapes2, "--out", x}, 2, "label color has values [red green]"},
		{"caption on other images", []string{"caption", f.captioner, "--data", f.rel24, "--out", x}, 2, "images are [3 24 24], the captioner takes [3 16 16]"},
		{"resume on other images", []string{"train", "combo", "--data", f.shapes32, "--out", filepath.Join(f.dir, "clf"), "--epochs", "1", "--batch", "8", "--resume"}, 2, "--batch 32 → 8, --data (model.input) [3,28,28] → [3,32,32]"},
		{"inspect a captioner", []string{"inspect", f.captioner, "--data", f.shapes, "--out", x}, 2, "holds a captioner, not a classifier"},
		{"analyze a captioner", []string{"analyze", f.captioner, "--data", f.rel, "--out", x}, 2, "holds a captioner, not a VAE"},
		{"analyze on counting", []string{"analyze", f.vae, "--data", f.counting, "--out", x}, 2, "vae trains on relations, shapes, webpages datasets"},
		{"analyze on other images", []string{"analyze", f.vae, "--data", f.shapes, "--out", x}, 2, "images are [3 28 28], the VAE takes [3 16 16]"},
		{"caption a classifier", []string{"caption", f.classifier, "--data", f.rel, "--out", x}, 2, "holds a classifier, not a captioner"},
		{"caption on counting", []string{"caption", f.captioner, "--data", f.counting, "--out", x}, 2, "trained on relations captions; " + f.counting + " is a counting dataset"},
		{"resume a VAE as a classifier", []string{"train", "combo", "--data", f.shapes, "--out", filepath.Join(f.dir, "vae"), "--resume"}, 2, "holds a vae, not a classifier"},
		{"train over a checkpoint", []string{"train", "combo", "--data", f.shapes, "--out", filepath.Join(f.dir, "clf"), "--epochs", "1", "--batch", "32"}, 2, "already holds a checkpoint; pass --resume to continue it or --overwrite"},
		// Bad --format, --set, --shard and --splits values.
		{"generate --format", gen("--format", "tfrecord"), 2, "want png, npz, tar or parquet"},
		{"generate npz relations parts", []string{"generate", "relations", "--out", x, "--n", "2", "--format", "npz", "--set", "parts=true"}, 2, "cannot be written as npz"},
		{"generate npz webpages", []string{"generate", "webpages", "--out", x, "--n", "2", "--format", "npz"}, 2, "use --format png, tar or parquet"},
		{"generate --rows-per-file png", gen("--rows-per-file", "10", "--n", "2"), 2, "it needs --format parquet"},
		{"generate --rows-per-file -1", gen("--rows-per-file", "-1", "--n", "2", "--format", "parquet"), 2, "want 1 or more samples per parquet file"},
		{"bench --format", []string{"bench", "--format", "xml"}, 2, "want one of table, markdown, csv, json"},
		{"bench unknown suite", []string{"bench", "--suite", "quik"}, 2, "no such suite; built in: full, quick, standard"},
		{"bench missing suite file", []string{"bench", "--suite", missing + ".json"}, 2, "no such file"},
		{"bench suite of an unknown kind", []string{"bench", "--suite", badKind}, 2, `tasks[1].kind: unknown kind "autoencoder"; known: captioning, classification, questions, reasoning, structure, vae`},
		{"bench suite of an unknown reasoner", []string{"bench", "--suite", badReasoner}, 2, `tasks[3].models[1].arch: "cnn-lstm": want rn, cnn-mlp, state-rn, state-mlp or question-only`},
		{"bench suite of an unknown arch", []string{"bench", "--suite", badArch}, 2, "tasks[2].models[0].arch"},
		{"bench --list unknown suite", []string{"bench", "--list", "--suite", "quik"}, 2, "no such suite"},
		{"bench --list not a suite", []string{"bench", "--list", "--suite", f.notData}, 2, "want a JSON object"},
		{"leaderboard --format", []string{"leaderboard", "--format", "xml", f.notData}, 2, "want one of table, markdown, csv, json"},
		{"--set unknown key", gen("--set", "colour=red"), 2, `unknown config key "colour"`},
		{"--set no =", gen("--set", "colors"), 2, "not key=value"},
		{"--set bad int", gen("--set", "image_size=big"), 2, "image_size"},
		{"--set bad color", gen("--set", "colors=red,mauve"), 2, "mauve"},
		{"--shard K=N", gen("--shard", "4/4"), 2, "0 <= K < N"},
		{"--shard word", gen("--shard", "half"), 2, "K/N"},
		{"--shard N=0", gen("--shard", "0/0"), 2, "K/N"},
		{"--splits no count", gen("--splits", "train"), 2, "train"},
		{"--splits bad count", gen("--splits", "train=x"), 2, "train=x"},
		{"--splits negative", gen("--splits", "train=-3"), 2, "-3"},
		{"--splits no name", gen("--splits", "=5"), 2, `split name ""`},
		{"--splits twice", gen("--splits", "train=5,train=6"), 2, "train"},
		{"--n word", gen("--n", "many"), 2, "whole number"},
		{"--holdout unknown", gen("--holdout", "mauve blob", "--n", "4"), 2, "mauve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := runNoPanic(t, tt.args)
			if code != tt.code {
				t.Fatalf("%v: exit %d, want %d (error: %v)", tt.args, code, tt.code, dispatch(context.Background(), tt.args))
			}
			if tt.msg != "" {
				err := dispatch(context.Background(), tt.args)
				if err == nil || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("error %v, want it to contain %q", err, tt.msg)
				}
			}
		})
	}
	if _, err := os.Stat(x); err == nil {
		t.Error("a refused command left its --out folder")
	}
}

// TestHelp checks that every command answers help in its three forms with
// exit 0, and that its help lists every flag its FlagSet defines, with a
// text and its default.
func TestHelp(t *testing.T) {
	quietStdout(t)
	ctx := context.Background()
	for _, name := range commandNames() {
		t.Run(name, func(t *testing.T) {
			for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}, {name, "-help"}} {
				if code := runNoPanic(t, args); code != 0 {
					t.Errorf("%v: exit %d, want 0", args, code)
				}
			}
			text, fs, err := helpText(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, "Usage:\n  hiddendim "+name) || !strings.Contains(text, "Example:\n  hiddendim ") {
				t.Errorf("help lacks a usage line or an example:\n%s", text)
			}
			if !strings.Contains(usage, "hiddendim "+name) {
				t.Errorf("`hiddendim help` does not mention %s", name)
			}
			// verify's flags arrive with its own parsing; help has none.
			if fs == nil && name != "help" && name != "verify" {
				t.Fatalf("%s --help did not reach its FlagSet (parse its flags with parseInterleaved)", name)
			}
			if fs == nil {
				return
			}
			fs.VisitAll(func(fl *flag.Flag) {
				if fl.Usage == "" {
					t.Errorf("--%s has no help text", fl.Name)
				}
				if !strings.Contains(text, "  --"+fl.Name+" ") && !strings.HasSuffix(text, "  --"+fl.Name+"\n") && !strings.Contains(text, "  --"+fl.Name+"\n") {
					t.Errorf("help does not list --%s:\n%s", fl.Name, text)
				}
				if !isZeroDefault(fl) && !strings.Contains(text, "(default "+fl.DefValue+")") && !strings.Contains(fl.Usage, "(default") {
					t.Errorf("help does not give --%s's default %s", fl.Name, fl.DefValue)
				}
				if !strings.Contains(helpEntries()[name].synopsis, "--"+fl.Name) {
					t.Errorf("the synopsis of %s does not show --%s", name, fl.Name)
				}
			})
		})
	}
	for _, want := range []string{"--tasks", "--overwrite", "--regenerate"} {
		if !strings.Contains(usage, want) {
			t.Errorf("`hiddendim help` does not mention %s", want)
		}
	}
	// Help goes to stdout, so that `hiddendim help train | less` works.
	var b bytes.Buffer
	if err := showHelp(ctx, &b, "bench"); err != nil || !strings.Contains(b.String(), "--tasks TASKS") {
		t.Errorf("bench help: %v\n%s", err, b.String())
	}
}

// TestShowWritesWhatTheNameSays checks that show writes JPEG bytes under a
// .jpg name and PNG bytes under a .png one.
func TestShowWritesWhatTheNameSays(t *testing.T) {
	quietStdout(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	if code := runNoPanic(t, []string{"generate", "shapes", "--out", data, "--n", "8"}); code != 0 {
		t.Fatal(code)
	}
	for _, tt := range []struct{ name, magic string }{{"g.jpg", "\xff\xd8\xff"}, {"g.JPEG", "\xff\xd8\xff"}, {"g.png", "\x89PNG"}} {
		out := filepath.Join(dir, tt.name)
		if code := runNoPanic(t, []string{"show", data, "--out", out, "--n", "4"}); code != 0 {
			t.Fatalf("%s: exit %d", tt.name, code)
		}
		b, err := os.ReadFile(out)
		if err != nil || !bytes.HasPrefix(b, []byte(tt.magic)) {
			t.Fatalf("%s starts with %q, want %q (%v)", tt.name, b[:min(len(b), 4)], tt.magic, err)
		}
		if tt.magic[0] == 0xff {
			if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		}
	}
}

// TestCaptionWebpages runs the reproduction, shrunk: caption with a
// captioner trained on pix2code pages, which have no masks or objects.
func TestCaptionWebpages(t *testing.T) {
	quietStdout(t)
	dir := t.TempDir()
	p, r := filepath.Join(dir, "p"), filepath.Join(dir, "r")
	for _, args := range [][]string{
		{"generate", "webpages", "--out", p, "--set", "pix2code=true", "--set", "image_size=128", "--set", "max_rows=2", "--splits", "train=32,test=4"},
		{"train", "attention", "--data", p, "--out", r, "--epochs", "1", "--batch", "32", "--test-split", ""},
		{"caption", filepath.Join(r, "model.ckpt"), "--data", p, "--out", filepath.Join(dir, "c"), "--n", "2"},
		// Scored under pix2code's grammar, every page an untrained-ish captioner writes parses.
		{"train", "attention", "--data", p, "--out", filepath.Join(dir, "g"), "--epochs", "1", "--batch", "32", "--grammar"},
	} {
		if code := runNoPanic(t, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "g", "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Grammar bool               `json:"grammar"`
		Metrics map[string]float64 `json:"metrics"`
	}
	if err := json.Unmarshal(b, &got); err != nil || !got.Grammar || got.Metrics["parse_rate"] != 1 {
		t.Errorf("train --grammar: grammar %v, parse_rate %v (%v); want true and 1", got.Grammar, got.Metrics["parse_rate"], err)
	}
	for i := range 2 {
		if st, err := os.Stat(filepath.Join(dir, "c", fmt.Sprintf("caption_%d.png", i))); err != nil || st.Size() < 100 {
			t.Fatalf("caption_%d.png: %v", i, err)
		}
	}
}
