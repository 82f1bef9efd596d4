// Package caption is the captioning kind of the benchmark harness: image
// captioners (models.Captioner, a CNN encoder and an LSTM decoder, with
// soft attention over the encoder's grid or without) trained on a
// dataset's captions and scored on its test split.
//
// It reads three datasets, each through one entry of its adapter table:
// relations and counting scenes, whose captions it parses, judges against
// each scene graph (caption_truth) and whose figures' masks score where
// attention looks (attention_correctness); and webpages generated with
// pix2code=true, whose "captions" are the pages in pix2code's DSL, scored
// token by token and tree by tree. CaptionScores lists every metric.
//
// Kind is the bench.Kind a harness runs suites' "captioning" tasks with;
// Model is a task's model entry: an architecture, a beam width, for pages
// optionally "grammar": true (decoding constrained to pix2code's grammar,
// token by token, so that every page parses), and optionally its own
// epochs, batch, lr and schedule. The greedy, beam and grammar entries of
// one architecture, seed and budget share one training. Pages of 128 px
// and more are read by a stride-2 first convolution, and a page
// captioner's grid has learned positions (see NewCaptionerFor). Train,
// Load and Pictures serve the train and caption commands.
//
// Everything is deterministic: the vocabulary is the training captions'
// words (for pages, with every pix2code word) sorted, the captioner's weights and shuffles come from the seed,
// and decoding, constrained or not, is greedy or a beam search with no
// sampling, so one
// (data, architecture, seed, budget) always gives the same checkpoint and
// the same scores.
//
// A suite's captioning task reads:
//
//	h := bench.NewHarness(generators.NewRegistry(scenes.Relations{}), caption.Kind{})
//	suite, err := h.ReadSuite("mine.json", []byte(`{"name": "mine", "tasks": [{
//		"name": "caption-relations", "version": "1.0.0", "kind": "captioning",
//		"dataset": {"generator": "relations", "version": "2.0.0", "seed": 7,
//			"splits": [{"name": "train", "count": 2000}, {"name": "test", "count": 300}],
//			"train": "train", "test": "test"},
//		"models": [{"name": "attention-greedy", "arch": "attention", "beam": 1},
//			{"name": "attention-beam3", "arch": "attention", "beam": 3}],
//		"budget": {"epochs": 3, "batch": 64, "lr": 0.002},
//		"seeds": [1],
//		"metrics": ["canonical_exact_match", "caption_truth", "bleu4"],
//		"primary": "canonical_exact_match"}]}`))
//
// and one captioner outside suites trains with
//
//	scores, err := caption.Train(ctx, caption.TrainOptions{Training: bench.Training{
//		Data: "data/relations", Out: "runs/att", Train: "train", Test: "test",
//		Budget: bench.Budget{Epochs: 5, Batch: 64, LR: 2e-3}, Seed: 1},
//		Arch: caption.Attention, Beam: 1, Lambda: -1})
package caption
