package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Model is anything the trainer can train: parameters and a graph builder.
type Model interface {
	// Params are the trainable parameters, in a fixed order.
	Params() []*Param
	// Graph returns the model's graph for batches of n, with the loss and
	// gradients when train is set. Models may cache graphs.
	Graph(n int, train bool) (*Graph, error)
}

// Feeder fills a batch's input tensors (in the graph's Inputs order) with
// the examples at the given indices.
type Feeder func(inputs []*tensor.Dense, idx []int)

// TrainConfig is a training budget and its hooks. The zero value of a hook
// means none.
type TrainConfig struct {
	// Epochs over the data; or, if Steps is set, that many updates instead.
	Epochs, Steps int
	// Batch is the minibatch size; the last partial batch of each epoch is
	// dropped, so every step sees exactly Batch examples.
	Batch int
	LR    float64
	// Schedule shapes the learning rate over the run; the zero value keeps
	// LR.
	Schedule Schedule
	// Seed drives the shuffles: epoch e visits the examples in a permutation
	// drawn from (Seed, e).
	Seed uint64
	// OnStep is called after each update with the step, the total steps and
	// the batch loss (for a progress bar).
	OnStep func(step, total int, loss float64)
	// OnEpoch is called after each epoch (evaluation, checkpoints); an
	// error stops training.
	OnEpoch func(epoch int, st *State) error
}

// State is where training stands: what a checkpoint holds besides the
// weights.
type State struct {
	Epoch int // epochs completed
	Step  int // updates made
	Adam  *Adam
	// Losses holds each epoch's mean batch loss.
	Losses []float64
}

// Train trains m on n examples through feed. A non-nil resume continues a
// run from its state, giving the same weights as an uninterrupted run. The
// result depends only on the model's initial weights, the data and cfg: the
// same inputs give bit-identical weights.
func Train(ctx context.Context, m Model, n int, feed Feeder, cfg TrainConfig, resume *State) (*State, error) {
	if cfg.Batch <= 0 || cfg.Batch > n {
		return nil, fmt.Errorf("models: batch %d with %d examples: want 1 to %d", cfg.Batch, n, n)
	}
	if cfg.Epochs <= 0 && cfg.Steps <= 0 {
		return nil, errors.New("models: no budget: set Epochs or Steps")
	}
	if cfg.Schedule < 0 || int(cfg.Schedule) >= len(scheduleNames) {
		return nil, fmt.Errorf("models: unknown learning-rate schedule %d; want %v", int(cfg.Schedule), Schedules)
	}
	perEpoch := n / cfg.Batch
	total := cfg.Steps
	if total <= 0 {
		total = cfg.Epochs * perEpoch
	}
	st := resume
	if st == nil {
		st = &State{Adam: NewAdam(cfg.LR)}
	}
	gr, err := m.Graph(cfg.Batch, true)
	if err != nil {
		return nil, err
	}
	inputs := make([]*tensor.Dense, len(gr.Inputs))
	for i, in := range gr.Inputs {
		inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
	}
	params := m.Params()
	grads := make([][]float32, len(params))
	idx := make([]int, cfg.Batch)
	for st.Step < total {
		epoch := st.Step / perEpoch
		perm := rand.New(rand.NewPCG(cfg.Seed, uint64(epoch))).Perm(n)
		var sum float64
		count := 0
		for b := st.Step % perEpoch; b < perEpoch && st.Step < total; b++ {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			st.Adam.LR = scheduledLR(cfg, st.Step, total)
			copy(idx, perm[b*cfg.Batch:(b+1)*cfg.Batch])
			feed(inputs, idx)
			if err := gr.Run(inputs...); err != nil {
				return st, err
			}
			loss, err := scalarOf(gr.Loss.Value())
			if err != nil {
				return st, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return st, fmt.Errorf("models: loss is %v at step %d; lower the learning rate", loss, st.Step)
			}
			for i, nd := range gr.Nodes {
				if nd == nil { // not trained: no gradient, no update
					grads[i] = nil
					continue
				}
				gv, err := nd.Grad()
				if err != nil {
					return st, fmt.Errorf("models: gradient of %s: %w", params[i].Name, err)
				}
				grads[i] = gv.Data().([]float32)
			}
			st.Adam.Update(params, grads)
			// gorgonia adds each run's gradients to the last ones; start
			// every step from zero, as its own solvers do.
			for _, g := range grads {
				clear(g)
			}
			st.Step++
			sum += loss
			count++
			if cfg.OnStep != nil {
				cfg.OnStep(st.Step, total, loss)
			}
		}
		if st.Step%perEpoch == 0 || st.Step == total {
			st.Losses = append(st.Losses, sum/float64(max(count, 1)))
			st.Epoch = (st.Step + perEpoch - 1) / perEpoch
			if cfg.OnEpoch != nil {
				if err := cfg.OnEpoch(st.Epoch, st); err != nil {
					return st, err
				}
			}
		}
	}
	return st, nil
}

// Predict runs m's inference graph over n examples in batches of batch
// (the last one padded by repeating its final example) and hands each
// example's outputs to visit: out[k] is the example's slice of output k.
func Predict(m Model, n, batch int, feed Feeder, visit func(i int, out [][]float32)) error {
	batch = min(batch, n)
	if batch <= 0 {
		return nil
	}
	gr, err := m.Graph(batch, false)
	if err != nil {
		return err
	}
	inputs := make([]*tensor.Dense, len(gr.Inputs))
	for i, in := range gr.Inputs {
		inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
	}
	idx := make([]int, batch)
	out := make([][]float32, len(gr.Outputs))
	for lo := 0; lo < n; lo += batch {
		for j := range idx {
			idx[j] = min(lo+j, n-1)
		}
		feed(inputs, idx)
		if err := gr.Run(inputs...); err != nil {
			return err
		}
		for j := 0; j < batch && lo+j < n; j++ {
			for k, o := range gr.Outputs {
				data := o.Value().Data().([]float32)
				per := len(data) / batch
				out[k] = data[j*per : (j+1)*per]
			}
			visit(lo+j, out)
		}
	}
	return nil
}
