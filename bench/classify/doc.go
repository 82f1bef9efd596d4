// Package classify is hiddendim's classification kind of task: CNN
// classifiers (models.Classifier, of the three architectures multilabel,
// combo and perlabel) that predict a dataset's label features ("shape",
// "color") from its images, scored by subset accuracy, Hamming loss, macro
// F1, per-label accuracy and, on a dataset with a holdout, the subset
// accuracy of the held-out combinations.
//
// Kind plugs classification into the bench harness: it reads the
// classifier entries of a suite file (Model), checks a task's labels
// against its dataset, loads the splits and runs one (model, seed). Train,
// Evaluate, Load and Inspect serve the command line's train, eval and
// inspect of a single classifier, with checkpoints of CheckpointKind.
//
// Determinism: a run's seed draws the initial weights and the shuffles and
// seeds the bootstrap of macro_f1's interval, so the same task, model and
// seed on the same build give bit-identical scores (what --verify checks)
// and checkpoints; a 1-epoch run resumed to 2 ends with the checkpoint a
// 2-epoch run writes.
//
// Any dataset with an image and label features trains classifiers; the
// little this package knows of particular datasets (which config holds
// combinations out of training) is in one table of adapters.
//
// A short example, a harness that runs classification suites on shapes:
//
//	h := bench.NewHarness(generators.NewRegistry(generators.Shapes{}), classify.Kind{})
//	suite, err := h.ReadSuite("mine.json", suiteJSON)
//	if err != nil {
//		return err
//	}
//	recs, err := h.Run(ctx, suite, bench.Options{Out: "results.jsonl"})
//
// and one classifier trained outside the suites:
//
//	scores, err := classify.Train(ctx, classify.TrainOptions{
//		Training: bench.Training{Data: "shapes", Out: "run", Train: "train", Test: "test",
//			Budget: bench.Budget{Epochs: 5, Batch: 64, LR: 2e-3}, Seed: 1},
//		Arch: models.Combo,
//	})
package classify
