package clevrlite

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestCalibratedWeights computes calibrateWeights for the default config
// and requires calibrated.json to hold the same weights, bit for bit; with
// -update it rewrites the file.
func TestCalibratedWeights(t *testing.T) {
	s, err := SortOfCLEVR{}.New(SortOfCLEVR{}.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	p := s.(*plan)
	stored, ok := calibratedWeights(p.cfg)
	p.calibrateWeights()
	if *update {
		js, err := json.MarshalIndent(calibration{Config: p.cfg, Weights: p.weight}, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("calibrated.json", append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !ok {
		t.Fatal("calibrated.json does not hold the default config's weights; rewrite it with -update")
	}
	if len(stored) != len(p.weight) {
		t.Fatalf("calibrated.json has %d families, calibrating gives %d; rewrite it with -update", len(stored), len(p.weight))
	}
	for fi, w := range p.weight {
		if len(stored[fi]) != len(w) {
			t.Fatalf("family %d: %d stored weights, calibrating gives %d; rewrite calibrated.json with -update", fi, len(stored[fi]), len(w))
		}
		for a := range w {
			if math.Float64bits(stored[fi][a]) != math.Float64bits(w[a]) {
				t.Fatalf("family %d answer %d: stored weight %v, calibrating gives %v; rewrite calibrated.json with -update", fi, a, stored[fi][a], w[a])
			}
		}
	}
	// Another config is calibrated, not read.
	cfg := p.cfg
	cfg.Sequence = true
	if _, ok := calibratedWeights(cfg); ok {
		t.Error("calibrated.json serves a config it was not made for")
	}
}
