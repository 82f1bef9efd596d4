package caption

import (
	"fmt"
	"testing"
)

// TestSharedTraining holds that the entries whose Run shares one trained
// captioner (same architecture and budget) name the same training, and
// no others do.
func TestSharedTraining(t *testing.T) {
	h := newHarness()
	s, err := h.ReadSuite("x.json", fmt.Appendf(nil, `{"name": "x", "tasks": [{
		"name": "c", "version": "1.0.0", "kind": "captioning",
		"dataset": {"generator": "relations", "version": %q, "seed": 7,
			"splits": [{"name": "train", "count": 20}, {"name": "test", "count": 10}], "train": "train", "test": "test"},
		"models": [{"name": "greedy", "arch": "attention", "beam": 1},
			{"name": "beam3", "arch": "attention", "beam": 3},
			{"name": "plain", "arch": "no-attention", "beam": 1},
			{"name": "longer", "arch": "attention", "beam": 1, "epochs": 9},
			{"name": "longer-beam", "arch": "attention", "beam": 3, "epochs": 9}],
		"budget": {"epochs": 3, "batch": 64, "lr": 0.002}, "seeds": [1],
		"metrics": ["exact_match"], "primary": "exact_match"}]}`, version(t, "relations")))
	if err != nil {
		t.Fatal(err)
	}
	task := s.Tasks[0]
	key := map[string]string{}
	for _, m := range task.Models {
		key[m.Name] = Kind{}.SharedTraining(task, m)
		if key[m.Name] == "" {
			t.Errorf("%s shares no training", m.Name)
		}
	}
	same := [][2]string{{"greedy", "beam3"}, {"longer", "longer-beam"}}
	differ := [][2]string{{"greedy", "plain"}, {"greedy", "longer"}, {"plain", "longer"}}
	for _, p := range same {
		if key[p[0]] != key[p[1]] {
			t.Errorf("%s and %s share a training, but their keys differ: %q, %q", p[0], p[1], key[p[0]], key[p[1]])
		}
	}
	for _, p := range differ {
		if key[p[0]] == key[p[1]] {
			t.Errorf("%s and %s train apart, but share the key %q", p[0], p[1], key[p[0]])
		}
	}
	p, err := h.Plan(s, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(p.Shards[0].Units); got == "" || len(p.Shards[0].Units) != 3 {
		t.Errorf("units %s, want 3: the two shared trainings and the plain one", got)
	}
}
