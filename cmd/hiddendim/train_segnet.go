package main

import (
	"context"
	"fmt"

	"github.com/hiddendim/hiddendim/bench/structure"
)

// trainSegNet trains the page segmenter (train segnet) and prints its
// scores on the test split.
func trainSegNet(ctx context.Context, o structure.TrainOptions) error {
	tp := newTrainProgress("train "+structure.SegNetArch, "mean loss %.4f")
	o.OnStep, o.OnEpoch = tp.step, tp.epoch
	scores, err := structure.Train(ctx, o)
	tp.finish()
	if err != nil || scores == nil {
		return err
	}
	fmt.Printf("%s on %s/%s:\n", structure.SegNetArch, o.Data, o.Test)
	return printBoard(scores, structure.TreeExactMetric)
}
