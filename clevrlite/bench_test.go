package clevrlite

import (
	"testing"

	"github.com/hiddendim/hiddendim/internal/writebench"
)

// BenchmarkSortOfCLEVR writes images with their 30 questions to disk on
// all cores, as `hiddendim generate clevrlite` does.
func BenchmarkSortOfCLEVR(b *testing.B) { writebench.Run(b, SortOfCLEVR{}, 5000, "images") }
