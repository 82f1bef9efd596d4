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
// The reasoners (Reasoner) answer questions about scenes, after Santoro et
// al. 2017 and torch_reference.py: RN, a Relation Network on pixels (a
// stem of four stride-2 convolutions with batch norm to a 5×5 grid of
// objects, g over the 625 ordered pairs with the question, summed, then
// f); CNNMLP, the paper's baseline on the same stem; and StateRN, g over
// the pairs of a scene's ground-truth objects. g is one fused op that
// factors its first layer per object and runs the other three as matrix
// products over every pair of a part of the batch; batch norm and its
// ReLU are one op whose running statistics are Params that training
// updates in the forward pass (nil in Graph.Nodes, so Adam leaves them
// alone) and checkpoints keep. Dropout's mask is a graph input drawn from
// (Seed, step), so a resumed run draws the masks an uninterrupted one
// would. Two baselines join them: StateMLP (CNNMLP's twin on states) and
// QuestionOnly (f over the question alone). With ReasonerConfig.Text a
// question is word ids that an LSTM reads, its final state taking the
// place of the question vector (see question.go); the fused g then also
// differentiates its question input.
//
// SegNet is a small U-Net for semantic segmentation (torch_reference.py's
// segnet): a class per pixel, trained on the per-pixel softmax
// cross-entropy. Its same-size convolutions run in L2-sized bands of
// im2col rows (convSame), its 2×2 upsampling is one product per image
// (deconv2x2), and its skip connections stack channels with a fused op
// (concatChannels), not gorgonia's Concat.
//
// Determinism: the same initial seed, data and TrainConfig give
// bit-identical weights. Work split over cores is reduced in a fixed order
// that does not depend on the core count. Epoch e shuffles with a
// permutation drawn from (TrainConfig.Seed, e), so a run resumed from a
// checkpoint continues exactly as if it had never stopped.
//
// Checkpoints are one file: see the format described at checkpointMagic.
//
// # gorgonia v0.9.18: no Slice, no Concat
//
// gorgonia v0.9.18 gives wrong values and gradients through one bug: its
// Slice op hashes its start, end and step as single bytes, that is modulo
// 256, and ExprGraph.AddNode returns the existing node when a new node's
// op hash and inputs match one already in the graph. So two Slices of the
// same node along the same axis whose bounds agree modulo 256 are one
// node, and the second silently holds the first's values: [256:320] of a
// vector is its [0:64]; of the four gates of a 64×512 LSTM pre-activation
// (128 columns each), the third is the first and the fourth the second.
// Concat's gradient is built from Slices of the incoming gradient at the
// inputs' offsets, so the inputs of a Concat that extends past 256 along
// its axis can get another input's gradient: six steps of 64 rows give
// steps 4 and 5 the gradients of steps 0 and 1, and a bias shared by the
// steps a wrong sum. Nothing else is at fault: element-wise ops on views,
// column views included, give exact values as long as no two Slices
// merge, and a copy of gorgonia with the three bytes widened to int64
// passes every case. Earlier comments here blamed views of large tensors
// or element-wise ops on column slices; those were this bug.
//
// The rule: model code never calls gorgonia's Slice or Concat. A packed
// result is cut with unpack, a range with segment, both copies whose op
// names hold every bound in full; ops compute their parts packed in one
// vector rather than being concatenated. TestNoGorgoniaSliceOrConcat
// holds the rule (tests may still slice); TestGorgoniaSliceBugStillPresent
// reproduces the bug and fails once a gorgonia upgrade fixes it.
//
//	c, _ := models.NewClassifier(models.ReferenceCNN(models.MultiLabel, 1))
//	st, _ := models.Train(ctx, c, ex.Len(), c.Feeder(ex), models.TrainConfig{Epochs: 5, Batch: 64, LR: 1e-3}, nil)
//	pred, _ := c.PredictLabels(test, 256)
package models
