package caption_test

import (
	"fmt"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/caption"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/scenes"
)

// A suite's captioning task, read and checked: each model entry is an
// architecture and a beam width.
func ExampleKind() {
	h := bench.NewHarness(generators.NewRegistry(scenes.Relations{}), caption.Kind{})
	suite, err := h.ReadSuite("mine.json", []byte(`{"name": "mine", "tasks": [{
		"name": "caption-relations", "version": "1.0.0", "kind": "captioning",
		"dataset": {"generator": "relations", "version": "2.0.0", "seed": 7,
			"splits": [{"name": "train", "count": 2000}, {"name": "test", "count": 300}],
			"train": "train", "test": "test"},
		"models": [{"name": "attention-greedy", "arch": "attention", "beam": 1},
			{"name": "attention-beam3", "arch": "attention", "beam": 3}],
		"budget": {"epochs": 3, "batch": 64, "lr": 0.002},
		"seeds": [1],
		"metrics": ["canonical_exact_match", "caption_truth", "bleu4"],
		"primary": "canonical_exact_match"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range suite.Tasks[0].Models {
		cfg := m.Config.(caption.Model)
		fmt.Println(m.Name, cfg.Architecture, cfg.Beam)
	}
	// Output:
	// attention-greedy attention 1
	// attention-beam3 attention 3
}
