package bench

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestReadSuiteNamesTheFieldAtFault feeds the reader a good toy suite with
// one thing wrong at a time: each error is a FieldError naming the field
// and what would be right.
func TestReadSuiteNamesTheFieldAtFault(t *testing.T) {
	h := toyHarness(toyKind{})
	good := string(toySuite(""))
	tests := []struct {
		name, old, new string
		field, msg     string
	}{
		{"not JSON", `{"name": "tiny"`, `{"name": tiny`, "(the file)", "want a JSON object"},
		{"unknown top field", `"description": "toy"`, `"descr": "toy"`, "descr", "unknown field; known: name, description, minutes, tasks"},
		{"unknown kind", `"kind": "toy"`, `"kind": "classify"`, "tasks[0].kind", `unknown kind "classify"; known: toy`},
		{"bad task name", `"name": "toy-task"`, `"name": "Toy Task"`, "tasks[0].name", "want lowercase letters"},
		{"bad version", `"version": "1.0.0"`, `"version": "1"`, "tasks[0].version", "want MAJOR.MINOR.PATCH"},
		{"unknown task field", `"primary": "score"`, `"primary": "score", "primery": 1`, "tasks[0].primery", "unknown field"},
		{"unknown generator", `"generator": "shapes"`, `"generator": "shape"`, "tasks[0].dataset.generator", `unknown dataset "shape"; known: shapes`},
		{"old dataset version", `"seed": 7`, `"seed": 7, "version": "0.9.0"`, "tasks[0].dataset.version", "this build renders shapes"},
		{"bad setting", `"image_size": "16"`, `"image_size": "huge"`, "tasks[0].dataset.settings", "image_size"},
		{"test split missing", `"test": "test"`, `"test": "val"`, "tasks[0].dataset.test", `"val" is not one of the splits (train, test)`},
		{"empty split", `"count": 16`, `"count": 0`, "tasks[0].dataset.splits[1]", "count of at least 1"},
		{"model without name", `{"name": "a", "bias": 0.5}`, `{"bias": 0.5}`, "tasks[0].models[0].name", "want the model's name"},
		{"model field unknown", `{"name": "a", "bias": 0.5}`, `{"name": "a", "bias": 0.5, "arch": "x"}`, "tasks[0].models[0].arch", "unknown field; known: bias"},
		{"model value refused by its kind", `{"name": "a", "bias": 0.5}`, `{"name": "a", "bias": -1}`, "tasks[0].models[0].bias", "want at least 0"},
		{"model value of the wrong type", `{"name": "a", "bias": 0.5}`, `{"name": "a", "bias": "high"}`, "tasks[0].models[0].bias", "want float64"},
		{"two models of one name", `{"name": "b", "bias": 0.2}`, `{"name": "a", "bias": 0.2}`, "tasks[0].models[1].name", "a second model named"},
		{"no epochs", `"epochs": 1`, `"epochs": 0`, "tasks[0].budget.epochs", "want at least 1"},
		{"no rate", `"lr": 0.001`, `"lr": 0`, "tasks[0].budget.lr", "want a learning rate above 0"},
		{"unknown schedule", `"lr": 0.001`, `"lr": 0.001, "schedule": "linear"`, "tasks[0].budget.schedule", "want [constant cosine]"},
		{"no seeds", `"seeds": [1, 2]`, `"seeds": []`, "tasks[0].seeds", "want at least one seed"},
		{"seed twice", `"seeds": [1, 2]`, `"seeds": [1, 1]`, "tasks[0].seeds[1]", "seed 1 twice"},
		{"negative seed", `"seeds": [1, 2]`, `"seeds": [-1]`, "tasks[0].seeds", "want an array of seeds"},
		{"unknown metric", `"metrics": ["score", "loss", "params"]`, `"metrics": ["score", "accuracy"]`, "tasks[0].metrics[1]", `toy does not score "accuracy"; it scores loss, params, score`},
		{"primary not shown", `"primary": "score"`, `"primary": "loss2"`, "tasks[0].primary", `"loss2" is not one of the task's metrics`},
		{"target of another model", `"primary": "score"`, `"primary": "score", "expect": [{"model": "c", "metric": "score", "min": 0.5}]`, "tasks[0].expect[0].model", `"c" is not one of the task's models (a, b)`},
		{"refused by the kind", `"primary": "score"`, `"primary": "score", "labels": ["shape"]`, "tasks[0].labels", "toy predicts no labels"},
		{"target of an unknown metric", `"primary": "score"`, `"primary": "score", "expect": [{"model": "a", "metric": "acc", "min": 0.5}]`, "tasks[0].expect[0].metric", `toy does not score "acc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(good, tt.old, tt.new, 1)
			if src == good && tt.old != tt.new {
				t.Fatalf("the edit %q did not apply", tt.old)
			}
			_, err := h.ReadSuite("tiny.json", []byte(src))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a FieldError", err)
			}
			if fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) || fe.File != "tiny.json" {
				t.Fatalf("FieldError{%q, %q, %q}, want field %q with %q", fe.File, fe.Field, fe.Msg, tt.field, tt.msg)
			}
		})
	}
}

func TestKindErrorsArePlacedUnderTheirTask(t *testing.T) {
	// A kind's FieldError is relative to its task; the reader places it.
	err := under(Fieldf("dataset.generator", "toy reads shapes only"), "f.json", "tasks[3]")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "tasks[3].dataset.generator" || fe.File != "f.json" {
		t.Fatalf("under: %+v", fe)
	}
	if got := err.Error(); got != "bench: suite f.json: tasks[3].dataset.generator: toy reads shapes only" {
		t.Fatalf("message %q", got)
	}
}

// TestSuiteRoundTrips holds that a suite the reader accepted marshals to a
// file the reader reads back to the same suite: what `bench --list --format
// json` prints is a suite file.
func TestSuiteRoundTrips(t *testing.T) {
	h := toyHarness(toyKind{})
	s := readToy(t, h, `, "expect": [{"model": "a", "metric": "score", "min": 0.5}], "note": "why", "minutes": 0.5`)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := h.ReadSuite("again", b)
	if err != nil {
		t.Fatalf("reading back %s: %v", b, err)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) {
		t.Fatalf("round trip changed the suite:\n%s\n%s", b, b2)
	}
}

// FuzzReadSuite feeds the suite reader arbitrary files: it must never
// panic, and what it accepts must round-trip.
func FuzzReadSuite(f *testing.F) {
	f.Add(toySuite(""))
	f.Add(toySuite(`, "expect": [{"model": "a", "metric": "score", "min": 0.5}]`))
	f.Add([]byte(`{"name": "x", "tasks": [{"kind": "toy"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	h := toyHarness(toyKind{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := h.ReadSuite("fuzz.json", b)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FieldError", err)
			}
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.ReadSuite("again", out); err != nil {
			t.Fatalf("accepted %q but not its own marshalling %s: %v", b, out, err)
		}
	})
}
