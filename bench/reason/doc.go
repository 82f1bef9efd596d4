// Package reason is hiddendim's reasoning kind of task: visual question
// answering on clevrlite's sort-of-CLEVR questions, reproducing Santoro et
// al.'s comparison of a relation network with a CNN+MLP. Three reasoners
// (models.Reasoner) at the reference's sizes answer each question from
// the image or the scene and the reference's 18-element question
// encoding, as one of its 10 answer words (Answers):
//
//   - rn: a convolutional stem to a 5×5 grid of objects, g over all 625
//     ordered pairs of them with the question, summed, then f;
//   - cnn-mlp: the same stem, flattened, with the question, through an MLP;
//   - state-rn: g over the 36 pairs of the scene's six objects' state
//     descriptions (ObjectSize: color one-hot, shape one-hot, center x and
//     y scaled to [-1, 1]).
//
// Scores are accuracy overall, per type (non_relational, binary,
// ternary) and per family (the nine Families, the reference's subtypes),
// each with a Wilson 95% interval, beside the majority-answer baseline
// (each family's most frequent answer among the training questions,
// MajorityPrior) overall and per type on the same questions. While a
// reasoner trains, a probe asks it the test split's first ProbeQuestions
// binary questions every ProbeEvery training questions; the questions
// seen when it first answers 90% of them right are binary_questions_to_90,
// absent from a run that never gets there. A suite's record also keeps
// the training questions per second (timings.train_samples_per_second),
// probes excluded.
//
// Only the sortofclevr config without the sequence questions is read:
// any other dataset or config is refused (CheckTask, OpenDataset), and so
// is a question of another family or without an answer class; none is
// skipped silently.
//
// Kind plugs reasoning into the bench harness. Train, Evaluate, Load and
// Explain serve the command line's train, eval and explain of one
// reasoner, with checkpoints of CheckpointKind. Explain draws, per
// question, the image, the question, the answer and the prediction and,
// for rn and state-rn, the object pairs whose g outputs are largest.
//
// Determinism: a run's seed draws the initial weights, the dropout masks
// and the shuffles; probing predicts in inference mode, which changes no
// weight or running statistic. The same task, model and seed on the same
// build give bit-identical scores (what --verify checks) and checkpoints;
// a 1-epoch run resumed to 2 ends with the checkpoint a 2-epoch run
// writes.
//
// A short example, one state-description RN trained outside the suites:
//
//	scores, err := reason.Train(ctx, reason.TrainOptions{
//		Training: bench.Training{Data: "sortofclevr", Out: "run", Train: "train", Test: "test",
//			Budget: bench.Budget{Epochs: 1, Batch: 64, LR: 1e-3}, Seed: 1},
//		Arch: models.StateRN,
//	})
package reason
