package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/clevrlite"
)

// askData generates a clevrlite dataset of 12 test scenes into dir/name
// with the settings given.
func askData(t *testing.T, dir, name string, settings ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	args := []string{"generate", "clevrlite", "--out", out, "--splits", "train=2,test=12"}
	for _, s := range settings {
		args = append(args, "--set", s)
	}
	quietStdout(t)
	if code := runNoPanic(t, args); code != 0 {
		t.Fatalf("%v: exit %d", args, code)
	}
	return out
}

// scoreJSON is what ask --score --json prints.
type scoreJSON struct {
	Questions, Relevant int
	Unparsed            int `json:"not_understood"`
	Families            []struct {
		Family              string
		Questions, Relevant int
		Flaws               map[string]int
	}
}

func scoreFile(t *testing.T, data, file string) scoreJSON {
	t.Helper()
	out := captureStdout(t, []string{"ask", data, "--score", file, "--json"})
	var s scoreJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("ask --score --json printed %q: %v", out, err)
	}
	return s
}

// TestAskWritesRelevantQuestions: ask writes --n answered questions, all
// of which ask --score finds relevant, the same for a seed and others for
// another.
func TestAskWritesRelevantQuestions(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name     string
		settings []string
		families string
	}{
		{"sortofclevr with sequence", []string{"sequence=true"}, ""},
		{"programs", []string{"questions=programs"}, ""},
		{"programs, two families", []string{"questions=programs"}, "same_shape_as,count_color_shape"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := askData(t, dir, strings.ReplaceAll(tt.name, " ", "_"), tt.settings...)
			ask := func(seed, out string) []byte {
				args := []string{"ask", data, "--n", "60", "--seed", seed, "--out", out}
				if tt.families != "" {
					args = append(args, "--families", tt.families)
				}
				if code := runNoPanic(t, args); code != 0 {
					t.Fatalf("%v: exit %d", args, code)
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			first := filepath.Join(dir, tt.name+"-1.jsonl")
			b := ask("3", first)
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if len(lines) != 60 {
				t.Fatalf("%d lines, want 60", len(lines))
			}
			families := map[string]bool{}
			for _, line := range lines {
				var a clevrlite.Asked
				if err := json.Unmarshal([]byte(line), &a); err != nil || a.ID == "" || a.Text == "" || a.Answer == "" {
					t.Fatalf("line %q: %+v (%v)", line, a, err)
				}
				if _, err := clevrlite.Parse(a.Program); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				families[a.Family] = true
			}
			if tt.families != "" && len(families) != 2 {
				t.Errorf("families %v, want %s", families, tt.families)
			}
			s := scoreFile(t, data, first)
			if s.Questions != 60 || s.Relevant != 60 || s.Unparsed != 0 {
				t.Errorf("ask's own questions score %+v, want 60 of 60 relevant", s)
			}
			if again := ask("3", filepath.Join(dir, tt.name+"-again.jsonl")); !bytes.Equal(again, b) {
				t.Error("the same seed asked other questions")
			}
			if other := ask("4", filepath.Join(dir, tt.name+"-2.jsonl")); bytes.Equal(other, b) {
				t.Error("another seed asked the same questions")
			}
		})
	}
}

// TestAskScore scores a file of questions, some not relevant and some not
// understood, against what Relevant says of each.
func TestAskScore(t *testing.T) {
	dir := t.TempDir()
	data := askData(t, dir, "soc", "sequence=true")
	// Every intervention about scene 000003, each relevant or not by its
	// swap, and two lines that are no question.
	var b strings.Builder
	qs, exs, err := openScenes(data, "test")
	if err != nil {
		t.Fatal(err)
	}
	relevant := 0
	for i := 1; i <= 6; i++ {
		for j := i + 1; j <= 6; j++ {
			text := fmt.Sprintf("If the objects at positions %d and %d are swapped, what shape is at position %d?", i, j, j)
			_, p, err := qs.Parse(text)
			if err != nil {
				t.Fatal(err)
			}
			if ok, _ := clevrlite.Relevant(p, qs.Scene(exs[3].Objects)); ok {
				relevant++
			}
			fmt.Fprintf(&b, "{\"id\": %q, \"text\": %q}\n\n", exs[3].ID, text)
		}
	}
	b.WriteString(`{"id": "000001", "text": "Is the sky blue?"}` + "\n")
	b.WriteString(`{"id": "000001", "text": "What is the shape of the purple object?"}` + "\n")
	file := filepath.Join(dir, "q.jsonl")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := scoreFile(t, data, file)
	if s.Questions != 17 || s.Unparsed != 2 || s.Relevant != relevant || len(s.Families) != 1 ||
		s.Families[0].Family != "intervention" || s.Families[0].Questions != 15 || s.Families[0].Flaws["no-op swap"] != 15-relevant {
		t.Errorf("score %+v; want 17 questions, 2 not understood, %d relevant interventions of 15, the others no-op swaps", s, relevant)
	}
	if relevant == 0 || relevant == 15 {
		t.Logf("scene 000003: %d of 15 interventions relevant; the test tells less than it could", relevant)
	}
	// The text report says the same.
	out := captureStdout(t, []string{"ask", data, "--score", file})
	sc := bufio.NewScanner(strings.NewReader(out))
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), fmt.Sprintf("17 questions about %s/test: %.1f%% relevant (%d), 11.8%% not understood (2)", data, 100*float64(relevant)/17, relevant)) {
		t.Errorf("report:\n%s", out)
	}
}

func TestAskErrors(t *testing.T) {
	dir := t.TempDir()
	data := askData(t, dir, "prog", "questions=programs")
	shapes := filepath.Join(dir, "shapes")
	if code := runNoPanic(t, []string{"generate", "shapes", "--out", shapes, "--splits", "train=2,test=2"}); code != 0 {
		t.Fatal("generate shapes")
	}
	npz := filepath.Join(dir, "npz")
	if code := runNoPanic(t, []string{"generate", "clevrlite", "--out", npz, "--splits", "test=2", "--format", "npz"}); code != 0 {
		t.Fatal("generate npz")
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknownID := write("unknown-id.jsonl", `{"id": "000099", "text": "How many red objects are there?"}`+"\n")
	notJSON := write("not-json.jsonl", `{"id": "000001", "text": "How many red objects are there?"}`+"\nHow many?\n")
	noText := write("no-text.jsonl", `{"id": "000001"}`+"\n")
	empty := write("empty.jsonl", "\n\n")
	for _, tt := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no dir", []string{"ask"}, 2, "want one clevrlite dataset DIR"},
		{"two dirs", []string{"ask", data, data}, 2, "want one clevrlite dataset DIR"},
		{"n zero", []string{"ask", data, "--n", "0"}, 2, "--n 0: want at least 1"},
		{"n not a number", []string{"ask", data, "--n", "many"}, 2, "invalid value"},
		{"unknown flag", []string{"ask", data, "--count", "3"}, 2, "flag provided but not defined"},
		{"missing split", []string{"ask", data, "--split", "val"}, 2, `has no split "val"; it has train, test`},
		{"another dataset", []string{"ask", shapes}, 2, "is a shapes dataset; ask asks about the scenes of a clevrlite dataset"},
		{"npz", []string{"ask", npz}, 2, "npz format, whose records keep no scenes"},
		{"not a dataset", []string{"ask", filepath.Join(dir, "nothing")}, 1, "not a dataset"},
		{"unknown family", []string{"ask", data, "--families", "shape_of_color,shape"}, 2, `no family "shape" in`},
		{"score with n", []string{"ask", data, "--score", unknownID, "--n", "5"}, 2, "it takes no --n"},
		{"json without score", []string{"ask", data, "--json"}, 2, "--json goes with --score"},
		{"score missing file", []string{"ask", data, "--score", filepath.Join(dir, "none.jsonl")}, 1, "no such file"},
		{"score unknown id", []string{"ask", data, "--score", unknownID}, 1, `unknown-id.jsonl:1: id "000099" is not a sample of ` + data + "/test (ids 000000 to 000011)"},
		{"score not json", []string{"ask", data, "--score", notJSON}, 1, "not-json.jsonl:2: want a JSON object with id and text"},
		{"score no text", []string{"ask", data, "--score", noText}, 1, `no-text.jsonl:1: want a JSON object with id and text, got {"id": "000001"}`},
		{"score empty", []string{"ask", data, "--score", empty}, 1, "holds no questions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := dispatch(context.Background(), tt.args); err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("%v: %v; want an error saying %q", tt.args, err, tt.says)
			}
			if code := runNoPanic(t, tt.args); code != tt.code {
				t.Errorf("%v: exit %d, want %d", tt.args, code, tt.code)
			}
		})
	}
	// Help exits 0 (captureStdout holds it) and lists the flags.
	help := captureStdout(t, []string{"ask", "--help"})
	if !strings.Contains(help, "--families F1,F2,...") || !strings.Contains(help, "--score FILE.jsonl") {
		t.Errorf("ask --help:\n%s", help)
	}
}
