package generators

import (
	"hash/fnv"
	"math/rand/v2"
)

// SampleRand reseeds src for sample (seed, split, index) and returns a
// generator over it. It is the one seed-derivation function: every random
// choice of every dataset is drawn from a generator it returned, so sample i
// does not depend on which samples were rendered before it or where.
func SampleRand(src *rand.PCG, seed uint64, split string, index int) *rand.Rand {
	src.Seed(seed, stream(split, uint64(index)))
	return rand.New(src)
}

// NewSampleRand is SampleRand on a new source, for callers outside a hot loop.
func NewSampleRand(seed uint64, split string, index int) *rand.Rand {
	return SampleRand(new(rand.PCG), seed, split, index)
}

func stream(split string, index uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(split))
	return splitmix64(h.Sum64() ^ splitmix64(index))
}

// splitmix64 is the finaliser of Steele et al.'s SplitMix64: a bijection that
// spreads neighbouring indices over the whole 64-bit range.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Balanced returns which of k classes sample key belongs to, so that every
// consecutive block of k indices holds each class exactly once, in an order
// drawn per block. Labels are then exactly balanced in any prefix that is a
// whole number of blocks, and within one of every other prefix.
func Balanced(key SampleKey, k int) int {
	if k <= 1 {
		return 0
	}
	block := key.Index / k
	// The block's permutation comes from SampleRand on a split name that no
	// real split has, so it never coincides with a sample's own stream.
	var src rand.PCG
	rng := SampleRand(&src, key.Seed, key.Split+"\x00balance", block)
	pos := key.Index % k
	// Fisher–Yates, stopping once position pos is fixed.
	var small [64]int
	var perm []int
	if k <= len(small) {
		perm = small[:k]
	} else {
		perm = make([]int, k)
	}
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i <= pos; i++ {
		j := i + rng.IntN(k-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[pos]
}
