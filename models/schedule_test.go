package models

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestScheduledLR(t *testing.T) {
	for _, tt := range []struct {
		schedule    string
		step, total int
		want        float64
	}{
		{"", 50, 100, 0.01},
		{"constant", 99, 100, 0.01},
		{"cosine", 0, 100, 0.01},
		{"cosine", 50, 100, 0.005},
		{"cosine", 25, 100, 0.01 * (1 + math.Sqrt2/2) / 2},
		{"cosine", 100, 100, 0},
	} {
		s, err := ParseSchedule(tt.schedule)
		if err != nil {
			t.Fatal(err)
		}
		got := scheduledLR(TrainConfig{LR: 0.01, Schedule: s}, tt.step, tt.total)
		if math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("%q at %d/%d: %v, want %v", tt.schedule, tt.step, tt.total, got, tt.want)
		}
	}
	if _, err := ParseSchedule("linear"); err == nil {
		t.Error("ParseSchedule accepted linear")
	}
	for _, s := range Schedules {
		b, err := s.MarshalText()
		var back Schedule
		if err != nil || back.UnmarshalText(b) != nil || back != s {
			t.Errorf("%v does not round-trip through its name %q: %v", s, b, err)
		}
	}
	_, err := Train(context.Background(), nil, 10, nil, TrainConfig{Epochs: 1, Batch: 2, LR: 1, Schedule: Schedule(7)}, nil)
	if err == nil {
		t.Error("Train accepted an unknown schedule")
	}
}

// A cosine run stopped after two of four epochs and resumed from its state
// ends with the weights of the uninterrupted run: the rate depends on the
// step alone.
func TestCosineRunResumesExactly(t *testing.T) {
	cfg := TrainConfig{Epochs: 4, Batch: 16, LR: 3e-3, Seed: 2, Schedule: Cosine}
	whole, wholeSt := trainToy(t, PerLabel, cfg, nil, nil)
	constant := cfg
	constant.Schedule = Constant
	flat, _ := trainToy(t, PerLabel, constant, nil, nil)
	if slices.Equal(weights(whole)[0], weights(flat)[0]) {
		t.Fatal("the cosine schedule changed nothing")
	}

	stop := errors.New("stop")
	c, err := NewClassifier(toyConfig(PerLabel))
	if err != nil {
		t.Fatal(err)
	}
	ex := toyExamples(256, 1)
	halted := cfg
	halted.OnEpoch = func(epoch int, _ *State) error {
		if epoch == 2 {
			return stop
		}
		return nil
	}
	st, err := Train(context.Background(), c, ex.Len(), c.Feeder(ex), halted, nil)
	if !errors.Is(err, stop) {
		t.Fatalf("halted run: %v", err)
	}
	if st, err = Train(context.Background(), c, ex.Len(), c.Feeder(ex), cfg, st); err != nil {
		t.Fatal(err)
	}
	sameRun(t, "stopped after 2 epochs and resumed", whole, c, wholeSt, st)
}
