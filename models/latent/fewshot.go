package latent

import (
	"fmt"
	"math/rand/v2"
)

// FewShot is the notes' "landmarks defined by few labeled samples": each
// episode draws k labelled rows per class from the pool (seeded by
// (seed, episode)), takes each class's mean as its landmark, and labels
// every query row by its nearest landmark. It returns the mean accuracy
// over the episodes. Classes with fewer than k pool rows are an error.
func FewShot(pool [][]float64, poolLabels []int, query [][]float64, queryLabels []int, k, episodes int, seed uint64) (float64, error) {
	if k < 1 || episodes < 1 || len(query) == 0 {
		return 0, fmt.Errorf("latent: few-shot with k = %d, %d episodes, %d queries: want positive numbers", k, episodes, len(query))
	}
	byClass := make([][]int, numLabels(poolLabels))
	for i, l := range poolLabels {
		byClass[l] = append(byClass[l], i)
	}
	for c, rows := range byClass {
		if len(rows) < k {
			return 0, fmt.Errorf("latent: few-shot: class %d has %d labelled rows, fewer than k = %d", c, len(rows), k)
		}
	}
	var total float64
	d := len(pool[0])
	for e := range episodes {
		rng := rand.New(rand.NewPCG(seed, uint64(e)))
		marks := make([][]float64, len(byClass))
		for c, rows := range byClass {
			marks[c] = make([]float64, d)
			for _, j := range rng.Perm(len(rows))[:k] {
				for t, v := range pool[rows[j]] {
					marks[c][t] += v / float64(k)
				}
			}
		}
		right := 0
		for i, q := range query {
			if c, _ := nearest(marks, q); c == queryLabels[i] {
				right++
			}
		}
		total += float64(right) / float64(len(query))
	}
	return total / float64(episodes), nil
}
