package main

import (
	"context"
	"fmt"

	"github.com/hiddendim/hiddendim/bench/questions"
)

// trainQuestions trains a text-question model and prints its scores; the
// grouping pictures are in its --out folder.
func trainQuestions(ctx context.Context, o questions.TrainOptions) error {
	tp := newTrainProgress("train "+o.Arch.Name, "mean loss %.4f")
	o.OnStep, o.OnEpoch = tp.step, tp.epoch
	scores, err := questions.Train(ctx, o)
	tp.finish()
	if err != nil || scores == nil {
		return err
	}
	fmt.Printf("%s on %s/%s (pictures of the questions' grouping in %s):\n", o.Arch.Name, o.Data, o.Test, o.Out)
	return printBoard(scores, questions.AccuracyMetric)
}
