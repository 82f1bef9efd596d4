// Package questions is hiddendim's text-questions kind of task: visual
// question answering on clevrlite's questions in words (issue 16). The
// question is tokenized (Tokenize: lower-case words and punctuation, "?"
// a token of its own), mapped to ids of the training questions' word
// vocabulary (Vocab: 0 padding, 1 unknown) and read by an LSTM (word
// embeddings of 32, 128 units; models.TextConfig) whose final state q
// feeds one of five models (Archs):
//
//   - rn-lstm: the relation network on pixels, q in g;
//   - cnn-lstm: the CLEVR paper's CNN+LSTM on the same stem;
//   - state-rn-lstm: the relation network over the scene's state
//     descriptions (Layout: color one-hot, shape one-hot, size class when
//     the config has sizes, center x and y in [−1, 1], a present flag,
//     padded with zero rows to the config's most objects);
//   - state-mlp-lstm: the state descriptions flattened, with q, through
//     an MLP;
//   - lstm: the question alone, to show what the words give away.
//
// Answers are classes of the distinct training answers, sorted
// (AnswerVocab); a test answer no training question has counts as wrong
// (unknown_test_answers says how many). Both vocabularies, the scene
// layout and the majority prior are kept in the checkpoint's meta.
//
// Only two clevrlite configs are read: questions=programs (15 families
// in five groups: attribute, counting, comparison, spatial, logical) and
// sortofclevr with sequence=true (the reference's nine families, the
// sequence ones and the causal ones). Others are refused (CheckTask,
// OpenDataset); the plain sortofclevr config belongs to the reasoning
// kind.
//
// # Scores
//
// Accuracy overall with a Wilson 95% interval, beside the majority
// baseline (each family's most frequent training answer) on the same
// questions; per family (accuracy_<family>, majority_<family>); per group
// for programs and, for sortofclevr, per rung of Pearl's ladder
// (accuracy_association: the reference and sequence families;
// accuracy_intervention; accuracy_counterfactual).
//
// # Grouping
//
// For every model (all have a text encoder) the test questions
// (GroupSample: at most GroupQuestions, evenly thinned) are embedded by
// the trained encoder, by the same encoder untrained (same config and
// seed) and as bags of words, and clustered by k-means and a SOM into as
// many groups as the questions have families. Each clustering is scored
// against the families and against the outermost function of each
// question's program (V-measure, ARI, homogeneity: GroupMetric names
// them, e.g. group_vmeasure_family_kmeans_bow), and the trained one also
// against the answer's type, the question's length and its first word,
// which say what the clusters follow when they miss the families. Train
// draws it (PictureFiles): questions_pca.png, questions_umatrix.png and
// questions_clusters.txt.
//
// # Determinism
//
// A run's seed draws the initial weights, the dropout masks, the
// shuffles, k-means and the SOM; the vocabularies are sorted. The same
// task, model and seed on the same build give bit-identical scores (what
// --verify checks) and checkpoints.
//
// A short example, one state-description RN trained outside the suites:
//
//	arch, _ := questions.ParseArch("state-rn-lstm")
//	scores, err := questions.Train(ctx, questions.TrainOptions{
//		Training: bench.Training{Data: "programs", Out: "run", Train: "train", Test: "test",
//			Budget: bench.Budget{Epochs: 4, Batch: 64, LR: 1e-3}, Seed: 1},
//		Arch: arch, Width: 128,
//	})
package questions
