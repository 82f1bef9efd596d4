package vae

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hiddendim/hiddendim/models/latent"
)

func TestPixelMeasures(t *testing.T) {
	// A 4×4 RGB image on a black background with a figure of 3 pixels at
	// (col, row) (1, 0), (2, 0) and (2, 2), in the red channel only, and
	// one faint pixel below the threshold.
	shape := [3]int{3, 4, 4}
	img := make([]float64, 48)
	for _, p := range [][2]int{{1, 0}, {2, 0}, {2, 2}} {
		img[p[1]*4+p[0]] = 0.9
	}
	img[16+3*4+3] = foregroundDiff / 2 // green, (3, 3)
	fg := foreground(img, make([]float32, 48), shape)
	if count(fg) != 3 {
		t.Fatalf("%d foreground pixels, want 3", count(fg))
	}
	for _, c := range []struct {
		factor string
		want   float64
	}{{"size", math.Sqrt(3)}, {"x", 5.0 / 3}, {"y", 2.0 / 3}} {
		if got := pixelMeasures[c.factor](fg, 4); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s = %v, want %v", c.factor, got, c.want)
		}
	}
	// No figure: the centroid falls back to the canvas's centre.
	if got := pixelMeasures["x"](make([]bool, 16), 4); got != 1.5 {
		t.Errorf("x of an empty image = %v, want 1.5", got)
	}
}

func TestNavPairs(t *testing.T) {
	class := []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 2}
	pairs := navPairs(class, len(class), 50, 9)
	if !slices.Equal(pairs, navPairs(class, len(class), 50, 9)) {
		t.Error("one seed drew two sets of pairs")
	}
	if slices.Equal(pairs, navPairs(class, len(class), 50, 10)) {
		t.Error("two seeds drew one set of pairs")
	}
	for _, p := range pairs {
		if p[0] == p[1] || class[p[0]] == class[p[1]] {
			t.Errorf("pair %v: want two images of different classes", p)
		}
	}
}

// composite is a whole at (x, 0) with parts at (x ± spread, 1).
func composite(x, spread float64) latent.Composite {
	return latent.Composite{Whole: []float64{x, 0}, Parts: [][]float64{{x - spread, 1}, nil, {x + spread, 1}}}
}

func TestHierarchy(t *testing.T) {
	// Wholes far apart, each with its parts close by: each composite is a
	// subtree, purity 1, and the cophenetic distances follow the tree
	// (not perfectly: the tree's 2, 3 and 4 steps across composites are
	// all about 100 apart in the codes, the 1 and 2 within all near 0).
	near := []latent.Composite{composite(0, 0.1), composite(100, 0.1), composite(200, 0.1)}
	coph, purity, ex := hierarchy(near)
	if purity != 1 || coph < 0.7 {
		t.Errorf("parts beside their wholes: cophenetic correlation %.3f, purity %.3f; want above 0.7 and 1", coph, purity)
	}
	if ex.Dendrogram.Leaves != 9 || !slices.Equal(ex.Slot, []int{-1, 0, 2, -1, 0, 2, -1, 0, 2}) || !slices.Equal(ex.Group, []int{0, 0, 0, 1, 1, 1, 2, 2, 2}) {
		t.Errorf("leaves %d, slots %v, groups %v", ex.Dendrogram.Leaves, ex.Slot, ex.Group)
	}
	// Parts far from their wholes, wholes together: parts cluster by
	// side, not by whole, and purity falls.
	far := []latent.Composite{composite(0, 100), composite(1, 100), composite(2, 100)}
	if c, p, _ := hierarchy(far); p >= 0.6 || c > coph-0.3 {
		t.Errorf("parts away from their wholes: cophenetic correlation %.3f, purity %.3f; want well below %.3f and below 0.6", c, p, coph)
	}
}

func TestHierarchyPicture(t *testing.T) {
	_, _, ex := hierarchy([]latent.Composite{composite(0, 0.1), composite(100, 0.1), composite(200, 0.1)})
	ex.SlotNames = []string{"subject", "middle", "object"}
	path := filepath.Join(t.TempDir(), "hierarchy.png")
	if err := hierarchyPicture(path, ex, 0.9, 1); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("not a picture (%v)", err)
	}
}
