package models_test

import (
	"fmt"

	"github.com/hiddendim/hiddendim/models"
)

// The three classifier architectures on the reference CNN. The multi-label
// count, 105,894, is also what PyTorch's sum of p.numel() counts for the same
// layers written in PyTorch (conv 3→16 and 16→32 with 3×3 kernels, dense
// 32·7·7→64, two heads 64→3).
func ExampleNewClassifier() {
	for _, arch := range []models.ClassifierArch{models.MultiLabel, models.Combo, models.PerLabel} {
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
