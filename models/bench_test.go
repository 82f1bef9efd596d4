package models

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkReferenceCNN trains the reference CNN (28×28×3, conv16, pool,
// conv32, pool, dense64, two 3-way heads; Adam, batch 64) and reports
// training samples/s, to read against a PyTorch twin of the same net
// (same layers, Adam, batch 64) measured in the same session.
func BenchmarkReferenceCNN(b *testing.B) {
	c, err := NewClassifier(ReferenceCNN(MultiLabel, 1))
	if err != nil {
		b.Fatal(err)
	}
	const n, batch = 16 * 64, 64 // 16 distinct batches, as the script cycles
	rng := rand.New(rand.NewPCG(1, 1))
	ex := &Examples{Shape: [3]int{3, 28, 28}, X: make([]float32, n*3*28*28)}
	for i := range ex.X {
		ex.X[i] = rng.Float32()
	}
	for i := 0; i < n; i++ {
		ex.Labels = append(ex.Labels, []int{rng.IntN(3), rng.IntN(3)})
	}
	feed := c.Feeder(ex)
	cfg := TrainConfig{Steps: 10, Batch: batch, LR: 1e-3}
	if _, err := Train(context.Background(), c, n, feed, cfg, nil); err != nil { // warm-up, as the script
		b.Fatal(err)
	}
	steps := 0
	for b.Loop() {
		cfg.Seed++
		if _, err := Train(context.Background(), c, n, feed, TrainConfig{Steps: 30, Batch: batch, LR: 1e-3, Seed: cfg.Seed}, nil); err != nil {
			b.Fatal(err)
		}
		steps += 30
	}
	b.ReportMetric(float64(steps*batch)/b.Elapsed().Seconds(), "samples/s")
}
