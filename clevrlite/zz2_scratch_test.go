package clevrlite

import "testing"

func BenchmarkScratchNew(b *testing.B) {
	for b.Loop() {
		SortOfCLEVR{}.New(SortOfCLEVR{}.DefaultConfig())
	}
}
func BenchmarkScratchNewAnswers(b *testing.B) {
	for b.Loop() {
		c := SortOfCLEVR{}.DefaultConfig().(*Config)
		c.Mix = "answers"
		SortOfCLEVR{}.New(c)
	}
}
