package models

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSegNet trains the reference segmentation net as
// torch_reference.py's segnet_step_factory does (4 distinct batches of 16
// random 128×128 images with random masks of 13 classes, Adam lr 1e-3, 10
// warm-up steps) and reports training pages/s; read it against
// `torch_reference.py segnet` measured in the same session.
func BenchmarkSegNet(b *testing.B) { benchSegNet(b, ReferenceSegNet(13, 128, 1)) }

// BenchmarkSegNetDeep is BenchmarkSegNet with a fourth level of 64 and of
// 128 channels (SegNetConfig.Deep); read it as a ratio to
// BenchmarkSegNet run in the same session.
func BenchmarkSegNetDeep(b *testing.B) {
	for _, deep := range []int{64, 128} {
		b.Run(fmt.Sprint(deep), func(b *testing.B) {
			cfg := ReferenceSegNet(13, 128, 1)
			cfg.Deep = deep
			benchSegNet(b, cfg)
		})
	}
}

func benchSegNet(b *testing.B, cfg SegNetConfig) {
	const batch, steps = 16, 5
	s, err := NewSegNet(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	d := randomSegmentation(cfg, 4*batch, 1)
	feed := s.Feeder(d)
	tc := TrainConfig{Steps: 10, Batch: batch, LR: 1e-3}
	if _, err := Train(context.Background(), s, d.Len(), feed, tc, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	done := 0
	for b.Loop() {
		tc.Seed++
		if _, err := Train(context.Background(), s, d.Len(), feed, TrainConfig{Steps: steps, Batch: batch, LR: 1e-3, Seed: tc.Seed}, nil); err != nil {
			b.Fatal(err)
		}
		done += steps
	}
	b.ReportMetric(float64(done*batch)/b.Elapsed().Seconds(), "pages/s")
	b.Logf("BLAS %s", BLASName())
}

// BenchmarkSegNetPages256 trains U-Nets on 256×256 pages (the full
// suite's): the deep net of 128 channels, and the same with a stem of 8
// or 16 channels (SegNetConfig.Stem), whose other levels run at half the
// resolution. Read them as ratios to each other, run in the same session.
func BenchmarkSegNetPages256(b *testing.B) {
	for _, stem := range []int{0, 8, 16} {
		b.Run(fmt.Sprintf("stem-%d", stem), func(b *testing.B) {
			cfg := ReferenceSegNet(13, 256, 1)
			cfg.Deep, cfg.Stem = 128, stem
			benchSegNet(b, cfg)
		})
	}
}
