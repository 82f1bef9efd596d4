package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestSuiteDatasetVersionsAreLiterals holds that every built-in suite names
// each dataset at the version this build renders, read from the suite
// files as written: a MAJOR bump of a dataset fails here until the tasks
// on it are bumped with it (and their numbers measured again).
func TestSuiteDatasetVersionsAreLiterals(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "bench", "suites", "*.json"))
	if len(files) != 3 {
		t.Fatalf("found suite files %v, want quick, standard and full", files)
	}
	reg := datasets()
	for _, f := range files {
		var s struct {
			Tasks []struct {
				Name    string
				Dataset struct{ Generator, Version string }
			}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		for _, task := range s.Tasks {
			ds, err := reg.Lookup(task.Dataset.Generator)
			if err != nil {
				t.Fatalf("%s: %s: %v", f, task.Name, err)
			}
			if v := ds.Version().String(); task.Dataset.Version != v {
				t.Errorf("%s: task %s wants %s %s, this build renders %s: bump the task's version with the dataset's and measure its numbers again",
					f, task.Name, task.Dataset.Generator, task.Dataset.Version, v)
			}
		}
	}
}

// TestBuiltinSuitesRunKeys pins the run key of every (task, model, seed)
// of the built-in suites (testdata/runkeys.golden; -update rewrites it). A
// key changes when anything a run depends on changes — its task, dataset,
// model, budget, seed or the harness version — and with it the record's
// id: this test makes such a change deliberate. The classification keys
// are those the harness had before it became a kernel with kinds.
func TestBuiltinSuitesRunKeys(t *testing.T) {
	h := harness()
	var b bytes.Buffer
	for _, name := range bench.BuiltinSuites() {
		s, err := h.LookupSuite(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range s.Tasks {
			for _, m := range task.Models {
				for _, seed := range task.Seeds {
					fmt.Fprintf(&b, "%s %s %s %d %s\n", name, task.Name, m.Name, seed, bench.RunKey(task, m, seed))
				}
			}
		}
	}
	golden := filepath.Join("testdata", "runkeys.golden")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Errorf("run keys changed (rerun with -update if that is meant); first difference:\n  got  %s\n  want %s", gl[i], wl[i])
				break
			}
		}
		if len(gl) != len(wl) {
			t.Errorf("%d run keys, golden has %d", len(gl)-1, len(wl)-1)
		}
	}
}

// TestBenchList prints every built-in suite, and one suite as a file that
// reads back as the same suite.
func TestBenchList(t *testing.T) {
	out := captureStdout(t, []string{"bench", "--list"})
	for _, want := range []string{"quick — ", "standard — ", "full — ", "shapes-multilabel", "caption-webpages", "attention-greedy, attention-beam3",
		"measured: 65 s", "measured: 92 min", "8 epochs, batch 64, lr 0.004 cosine"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench --list lacks %q:\n%s", want, out)
		}
	}
	file := captureStdout(t, []string{"bench", "--list", "--suite", "standard", "--format", "json"})
	h := harness()
	back, err := h.ReadSuite("printed", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := h.LookupSuite("standard")
	a, _ := json.Marshal(orig)
	b, _ := json.Marshal(back)
	if !bytes.Equal(a, b) {
		t.Fatalf("the printed suite reads back differently:\n%s\n%s", a, b)
	}
}

// captureStdout runs args in-process, wants exit 0, and returns what the
// command printed on stdout.
func captureStdout(t *testing.T, args []string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		done <- b.Bytes()
	}()
	code := runNoPanic(t, args)
	w.Close()
	os.Stdout = old
	out := <-done
	r.Close()
	if code != 0 {
		t.Fatalf("%v: exit %d", args, code)
	}
	return string(out)
}
