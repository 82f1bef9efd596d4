package bench

import (
	"fmt"
	"strings"
)

// A suite file with a field wrong is refused before anything runs, naming
// the field and what would be right.
func ExampleHarness_ReadSuite() {
	h := toyHarness(toyKind{})
	bad := strings.Replace(string(toySuite("")), `"lr": 0.001`, `"lr": 0.001, "schedule": "step"`, 1)
	_, err := h.ReadSuite("my-suite.json", []byte(bad))
	fmt.Println(err)
	s, err := h.ReadSuite("my-suite.json", toySuite(""))
	fmt.Println(s.Tasks[0].Name, len(s.Tasks[0].Models), "models,", len(s.Tasks[0].Seeds), "seeds,", err)
	// Output:
	// bench: suite my-suite.json: tasks[0].budget.schedule: "step": want [constant cosine] (or leave it out: constant)
	// toy-task 2 models, 2 seeds, <nil>
}
