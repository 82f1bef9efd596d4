// Package models trains hiddendim's reference models on CPU with gorgonia.
//
// It knows nothing of datasets: models take tensors (Examples), and the
// bench package turns dataset folders into them. The training core is
// layered: custom fused ops (a 2-D convolution as im2col plus one GEMM per
// image through gorgonia.WhichBLAS, parallel over the batch; softmax
// cross-entropy), each with a float64 finite-difference gradient test; then
// parameters with seeded initial values (gorgonia's initialisers read the
// clock, so none is used); then Adam, the training loop and checkpoints;
// then the models themselves (the multi-label classifiers).
//
// Determinism: the same initial seed, data and TrainConfig give
// bit-identical weights. Work split over cores is reduced in a fixed order
// that does not depend on the core count. Epoch e shuffles with a
// permutation drawn from (TrainConfig.Seed, e), so a run resumed from a
// checkpoint continues exactly as if it had never stopped.
//
// Checkpoints are one file: see the format described at checkpointMagic.
//
//	c, _ := models.NewClassifier(models.ReferenceCNN(models.MultiLabel, 1))
//	st, _ := models.Train(ctx, c, ex.Len(), c.Feeder(ex), models.TrainConfig{Epochs: 5, Batch: 64, LR: 1e-3}, nil)
//	pred, _ := c.PredictLabels(test, 256)
package models
