// Package vae is the VAE kind of hiddendim's benchmark: it trains the
// reference convolutional VAE (models.ReferenceVAE) on a dataset's images
// and scores its latent space: −ELBO and its terms, k-means clustering
// against the dataset's classes, a self-organising map, MIG and DCI
// against the generator's factors, few-shot retrieval by nearest landmark
// mean and by landmark hulls (in two principal components, the notes'
// reading, beside the nearest mean in the same two, hulls in three and
// hulls in the whole code), latent navigation, and, on data drawn with
// parts, latent arithmetic among hard distractors and a part–whole
// dendrogram, with an untrained and a pixel-space baseline scored by the
// same protocol (AnalyzeModel; every score is defined in package
// models/latent).
//
// Navigation draws paths between seeded pairs of test images (lerp,
// slerp, the W2 and Fisher–Rao geodesics between their posteriors, a
// valley path through the k-NN density of the test codes, a path along
// the SOM's U-matrix), decodes them and asks a realism judge whether each
// image looks like data: within the distance to the nearest training
// image, on the first 32 principal components of the pixels, that 95% of
// real test images are (path_validity_*; path_smoothness_* is how
// unevenly the images change). On shapes it also walks along the ridge
// direction of size and position and reads the factor back off the
// decoded pixels (attribute_monotonicity_*). navigation.png and
// hierarchy.png draw them.
//
// A second judge, the issue's own, scores every path again
// (path_validity_*_classifier): the bench's multilabel CNN, trained for
// 3 epochs on the first 3,000 training images to read the labels
// visible in the pixels (shapes' shape and color; relations' predicate
// and the two figures in reading order; a page's menu, footer, rows and
// header buttons), with one image in 8 of noise or the empty canvas
// taught as "any class" (outlier exposure: a ReLU classifier is
// otherwise as sure of noise as of data). An image is valid when the
// classifier's top probability for every label reaches 0.9, or less when
// fewer than 95% of real test images reach 0.9: the threshold passes
// 95% of them, as the realism judge does (judge_classifier_threshold;
// judge_classifier_accuracy is its subset accuracy on them). It compares
// no pixels with real images, so unlike the realism judge, which works
// in pixel-PCA space, it does not favour pixel PCA's decodings. A split
// whose labels all take one value has no classifier judge and no such
// scores.
//
// Kind is the benchmark kind ("vae" in suite files): a model entry is
// {"name": "vae", "latent": 10, "beta": 1} (Model). Which datasets it
// reads, and how their samples become images, classes, factors and
// parts, is one table of adapters, by generator name: shapes, relations
// and webpages (Datasets). Train, Load and Analyze are the single-model
// API behind `hiddendim train vae` and `hiddendim analyze`.
//
// Determinism: a run is a function of the dataset, the model, the budget
// and the seed. The seed draws the initial weights, the shuffles and the
// reparameterisation noise (continued across a resumed run), and seeds
// every analysis (the ELBO's noise, k-means, the SOM, few-shot draws); no
// score reads the clock or global randomness, so a rerun scores bit for bit
// the same, which `hiddendim bench --verify` checks.
//
// A suite with one VAE task, run by the harness:
//
//	h := bench.NewHarness(generators.NewRegistry(generators.Shapes{}), vae.Kind{})
//	s, err := h.ReadSuite("mine", []byte(`{"name": "mine", "tasks": [{
//		"name": "vae-shapes", "version": "1.0.0", "kind": "vae",
//		"dataset": {"generator": "shapes", "version": "1.0.1", "seed": 7,
//			"splits": [{"name": "train", "count": 3000}, {"name": "test", "count": 500}],
//			"train": "train", "test": "test"},
//		"models": [{"name": "vae", "latent": 10, "beta": 1}],
//		"budget": {"epochs": 5, "batch": 64, "lr": 0.002}, "seeds": [1],
//		"metrics": ["neg_elbo", "kmeans_v_measure", "fewshot_k10"], "primary": "neg_elbo"}]}`))
//	if err != nil {
//		return err
//	}
//	records, err := h.Run(ctx, s, bench.Options{Out: "runs/mine.jsonl"})
//
// And one VAE trained and analysed outside a suite:
//
//	scores, err := vae.Train(ctx, vae.TrainOptions{Training: bench.Training{Data: "data/shapes", Out: "runs/vae",
//		Train: "train", Test: "test", Budget: bench.Budget{Epochs: 5, Batch: 64, LR: 2e-3}, Seed: 1}})
//	files, scores, err := vae.Analyze(vae.AnalyzeOptions{Checkpoint: "runs/vae/model.ckpt", Data: "data/shapes",
//		Out: "runs/vae/analysis", Train: "train", Test: "test", Seed: 1})
package vae
