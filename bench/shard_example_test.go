package bench

import "fmt"

// A suite of one task, 2 models × 2 seeds, dealt into 3 shards: with no
// measured minutes, each run costs its work (1 epoch of 24 training
// samples and 16 test samples) at the default rate.
func ExampleHarness_Plan() {
	h := toyHarness(toyKind{})
	s, _ := h.ReadSuite("tiny.json", toySuite(""))
	p, err := h.Plan(s, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, sp := range p.Shards {
		fmt.Printf("shard %d/%d, %.4f min:", sp.Index, sp.Count, sp.Minutes)
		for _, u := range sp.Units {
			fmt.Printf(" [%s]", u)
		}
		fmt.Println()
	}
	// Output:
	// shard 0/3, 0.0016 min: [toy-task a seed 1] [toy-task b seed 2]
	// shard 1/3, 0.0008 min: [toy-task a seed 2]
	// shard 2/3, 0.0008 min: [toy-task b seed 1]
}
