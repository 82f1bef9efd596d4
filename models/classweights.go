package models

import (
	"fmt"
	"slices"
)

// MedianFrequencyWeights returns class weights for a segmentation loss
// by median frequency balancing (Eigen and Fergus, 2015): a class's
// frequency is its pixels over all the pixels of the masks it appears in,
// and its weight is the median of the present classes' frequencies over
// its own, so a class as common as the median class weighs 1, rarer
// classes more and commoner ones less. masks holds masks of hw pixels
// each, class ids in [0, classes). A class no mask has weighs 1 (no
// pixel of it is ever weighed). The result depends only on the masks,
// not their order beyond float64 sums of integers, which are exact.
// It returns an error for masks that are not whole, an id ≥ classes, or
// no masks.
func MedianFrequencyWeights(masks []uint8, hw, classes int) ([]float64, error) {
	if hw <= 0 || len(masks) == 0 || len(masks)%hw != 0 {
		return nil, fmt.Errorf("models: median frequency weights of %d mask values in masks of %d pixels; want a positive whole number of masks", len(masks), hw)
	}
	if classes < 1 || classes > 256 {
		return nil, fmt.Errorf("models: median frequency weights for %d classes; want 1 to 256", classes)
	}
	pixels := make([]int, classes)  // pixels of each class
	present := make([]int, classes) // pixels of the masks each class appears in
	count := make([]int, classes)
	for m := 0; m < len(masks); m += hw {
		clear(count)
		for _, c := range masks[m : m+hw] {
			if int(c) >= classes {
				return nil, fmt.Errorf("models: mask %d has class %d; want 0 to %d", m/hw, c, classes-1)
			}
			count[c]++
		}
		for c, n := range count {
			if n > 0 {
				pixels[c] += n
				present[c] += hw
			}
		}
	}
	freq := make([]float64, classes)
	var seen []float64
	for c := range freq {
		if pixels[c] > 0 {
			freq[c] = float64(pixels[c]) / float64(present[c])
			seen = append(seen, freq[c])
		}
	}
	slices.Sort(seen)
	med := seen[len(seen)/2]
	if len(seen)%2 == 0 {
		med = (seen[len(seen)/2-1] + med) / 2
	}
	w := make([]float64, classes)
	for c := range w {
		w[c] = 1
		if pixels[c] > 0 {
			w[c] = med / freq[c]
		}
	}
	return w, nil
}
