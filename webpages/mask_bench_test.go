package webpages

import (
	"fmt"
	"testing"
)

// BenchmarkTreeFromClassMask decodes clean class masks of default pages
// at 128×128 and 256×256 and reports pages/s.
func BenchmarkTreeFromClassMask(b *testing.B) {
	for _, size := range []int{128, 256} {
		b.Run(fmt.Sprintf("%dx%d", size, size), func(b *testing.B) {
			pages := renderPages(b, func(c *Config) { c.ImageSize = size }, 16)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := TreeFromClassMask(pages[i%len(pages)].class, MaskOptions{}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkFitTree fits clean class masks of default pages at 128×128
// and 256×256 under their config and reports pages/s.
func BenchmarkFitTree(b *testing.B) {
	for _, size := range []int{128, 256} {
		b.Run(fmt.Sprintf("%dx%d", size, size), func(b *testing.B) {
			mod := func(c *Config) { c.ImageSize = size }
			cfg := testPlan(b, mod).cfg
			pages := renderPages(b, mod, 16)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := FitTree(pages[i%len(pages)].class, cfg); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}
