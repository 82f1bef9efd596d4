package clevrlite

import (
	_ "embed"
	"encoding/json"
)

// calibrated.json holds what calibrateWeights computes for the default
// config: the weights of mix subtypes, and the resolved config they belong
// to. Calibrating takes 2,500 scenes of questions, single-threaded, before
// the first image; reading the result takes microseconds. It is the same
// function's output, not a second source of truth: TestCalibratedWeights
// computes it again and requires every bit equal (rewrite it with
// go test ./clevrlite -run TestCalibratedWeights -update).
//
//go:embed calibrated.json
var calibratedJSON []byte

// calibration is the layout of calibrated.json.
type calibration struct {
	Config  Config      `json:"config"`
	Weights [][]float64 `json:"weights"`
}

// calibratedWeights returns the stored weights for cfg, a resolved config,
// if they are stored for it.
func calibratedWeights(cfg Config) ([][]float64, bool) {
	var c calibration
	if err := json.Unmarshal(calibratedJSON, &c); err != nil {
		return nil, false // TestCalibratedWeights fails on a bad file
	}
	want, err1 := json.Marshal(c.Config)
	got, err2 := json.Marshal(cfg)
	if err1 != nil || err2 != nil || string(got) != string(want) {
		return nil, false
	}
	return c.Weights, true
}
