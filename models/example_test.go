package models_test

import (
	"fmt"

	"github.com/hiddendim/hiddendim/models"
)

// The three architectures of the research notes on the reference CNN. The
// multi-label count, 105,894, is also what PyTorch counts for the CNN of
// shared/peers/torch_reference.py: the same network.
func ExampleNewClassifier() {
	for _, arch := range []string{models.MultiLabel, models.Combo, models.PerLabel} {
		c, err := models.NewClassifier(models.ReferenceCNN(arch, 1))
		if err != nil {
			panic(err)
		}
		fmt.Println(arch, models.Count(c.Params()), c.OutputSizes())
	}
	// Output:
	// multilabel 105894 [3 3]
	// combo 106089 [9]
	// perlabel 211398 [3 3]
}
