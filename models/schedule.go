package models

import (
	"fmt"
	"math"
	"strings"
)

// Schedule shapes the learning rate over a run. The zero value, Constant,
// keeps it. It marshals as its name ("constant", "cosine").
type Schedule int

const (
	// Constant keeps the rate at TrainConfig.LR.
	Constant Schedule = iota
	// Cosine anneals the rate from LR to 0 along half a cosine,
	// lr(t) = LR·(1 + cos(π·t/T))/2 at update t of T.
	Cosine
)

// Schedules lists every schedule, in order.
var Schedules = []Schedule{Constant, Cosine}

var scheduleNames = [...]string{Constant: "constant", Cosine: "cosine"}

// String returns the schedule's name.
func (s Schedule) String() string {
	if s < 0 || int(s) >= len(scheduleNames) {
		return fmt.Sprintf("Schedule(%d)", int(s))
	}
	return scheduleNames[s]
}

// ParseSchedule returns the schedule named name; "" is Constant.
func ParseSchedule(name string) (Schedule, error) {
	if name == "" {
		return Constant, nil
	}
	for i, n := range scheduleNames {
		if n == name {
			return Schedule(i), nil
		}
	}
	return 0, fmt.Errorf("models: unknown learning-rate schedule %q; want %s", name, strings.Join(scheduleNames[:], " or "))
}

// MarshalText returns the schedule's name.
func (s Schedule) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(scheduleNames) {
		return nil, fmt.Errorf("models: no schedule %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a schedule's name; "" is Constant.
func (s *Schedule) UnmarshalText(b []byte) error {
	v, err := ParseSchedule(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// scheduledLR is the learning rate of update step of total: a function of
// the step alone, so a resumed run follows the same schedule.
func scheduledLR(cfg TrainConfig, step, total int) float64 {
	if cfg.Schedule == Cosine {
		return cfg.LR * (1 + math.Cos(math.Pi*float64(step)/float64(total))) / 2
	}
	return cfg.LR
}
