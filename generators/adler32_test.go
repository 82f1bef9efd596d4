package generators

import (
	stdadler "hash/adler32"
	"math/rand/v2"
	"testing"
)

// TestAdler32 holds adler32 equal to hash/adler32 for every length up to
// past two of the blocks it sums at once, on random bytes and on all 0xff
// (the largest sums), and when a checksum is carried on.
func TestAdler32(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 2*adlerMax+40)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	ff := make([]byte, len(buf))
	for i := range ff {
		ff[i] = 0xff
	}
	for _, b := range [][]byte{buf, ff} {
		for n := 0; n <= len(b); n += 1 + n/64 {
			if got, want := adler32(b[:n]), adler32Checksum(b[:n]); got != want {
				t.Fatalf("adler32 of %d bytes = %08x, want %08x", n, got, want)
			}
		}
		for cut := 0; cut < len(b); cut += 997 {
			if got, want := adler32Update(adler32(b[:cut]), b[cut:]), adler32Checksum(b); got != want {
				t.Fatalf("adler32 carried on at byte %d = %08x, want %08x", cut, got, want)
			}
		}
	}
}

func TestAdler32UpRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 7, 769, adlerMax, 3*adlerMax + 5, 1 << 20} {
		row := make([]byte, n+1)
		row[0] = 2
		for range 20 {
			start := uint32(rng.IntN(adlerMod))<<16 | uint32(rng.IntN(adlerMod))
			if got, want := adler32UpRow(start, n), adler32Update(start, row); got != want {
				t.Fatalf("adler32UpRow(%08x, %d) = %08x, want %08x", start, n, got, want)
			}
		}
	}
}

func adler32Checksum(b []byte) uint32 { return stdadler.Checksum(b) }

func FuzzAdler32(f *testing.F) {
	f.Add([]byte("Wikipedia"))
	f.Add(make([]byte, 100))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := adler32(b), adler32Checksum(b); got != want {
			t.Fatalf("adler32(%x) = %08x, want %08x", b, got, want)
		}
	})
}

func BenchmarkAdler32(b *testing.B) {
	buf := make([]byte, 256*769) // a filtered 256×256 RGB image
	for i := range buf {
		buf[i] = byte(i * 7 / 5)
	}
	b.Run("ours", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			adler32(buf)
		}
	})
	b.Run("hash/adler32", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			adler32Checksum(buf)
		}
	})
}
