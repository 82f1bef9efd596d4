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

// The three reasoners at the reference sizes. Params holds the weights and
// batch norm's running statistics (2·24 per stem layer): rn's 366,386 are
// the 366,194 parameters of torch_reference.py's RN (sum of p.numel()) plus
// its 192 running-statistics values; cnn-mlp's 309,298 are CNNMLP's
// 309,106 plus the same 192.
func ExampleNewReasoner() {
	for _, arch := range models.ReasonerArchs {
		r, err := models.NewReasoner(models.ReferenceReasoner(arch, 1))
		if err != nil {
			panic(err)
		}
		fmt.Println(arch, models.Count(r.Params()))
	}
	// Output:
	// rn 366386
	// cnn-mlp 309298
	// state-rn 341514
	// state-mlp 154378
	// question-only 73226
}
