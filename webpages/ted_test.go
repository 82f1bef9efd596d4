package webpages

import (
	"math/rand/v2"
	"testing"
)

// tr builds a tree for tests: a class and children.
func tr(c Class, children ...*Element) *Element {
	e := newElement(c)
	e.Children = children
	return e
}

// Letters for the textbook trees.
const (
	la, lb, lc, ld, le, lf = Header, Menu, MenuItem, Container, Footer, Row
)

func TestTreeEditDistance(t *testing.T) {
	tests := []struct {
		name string
		a, b *Element
		want int
	}{
		{"identical", tr(la, tr(lb), tr(lc, tr(ld))), tr(la, tr(lb), tr(lc, tr(ld))), 0},
		{"empty and empty", nil, nil, 0},
		{"empty and three", nil, tr(la, tr(lb), tr(lc)), 3},
		{"relabel a leaf", tr(la), tr(lb), 1},
		{"delete a leaf", tr(la, tr(lb)), tr(la), 1},
		{"insert inside", tr(la, tr(lb), tr(lc)), tr(la, tr(ld, tr(lb), tr(lc))), 1},
		{"swap two children", tr(la, tr(lb), tr(lc)), tr(la, tr(lc), tr(lb)), 2},
		{"child to sibling", tr(la, tr(lb, tr(lc))), tr(la, tr(lb), tr(lc)), 2},
		// Zhang and Shasha (1989), Fig. 1: f(d(a, c(b)), e) to
		// f(c(d(a, b)), e) deletes c under d and inserts c above d.
		{"Zhang-Shasha figure", tr(lf, tr(ld, tr(la), tr(lc, tr(lb))), tr(le)), tr(lf, tr(lc, tr(ld, tr(la), tr(lb))), tr(le)), 2},
		// A chain of four and a star of four, one class: only the root and
		// one more node map, so 2 deletions and 2 insertions.
		{"chain and star", tr(la, tr(la, tr(la, tr(la)))), tr(la, tr(la), tr(la), tr(la)), 4},
		{"all relabelled", tr(la, tr(lb), tr(lc)), tr(ld, tr(le), tr(lf)), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TreeEditDistance(tt.a, tt.b); got != tt.want {
				t.Errorf("TreeEditDistance = %d, want %d", got, tt.want)
			}
			if got := TreeEditDistance(tt.b, tt.a); got != tt.want {
				t.Errorf("TreeEditDistance reversed = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestNormalizedTreeEditDistance(t *testing.T) {
	tests := []struct {
		name string
		a, b *Element
		want float64
	}{
		{"identical", tr(la, tr(lb)), tr(la, tr(lb)), 0},
		{"empty", nil, nil, 0},
		{"one of four relabelled", tr(la, tr(lb), tr(lc), tr(ld)), tr(la, tr(lb), tr(lc), tr(le)), 0.25},
		{"one deleted of three", tr(la, tr(lb), tr(lc)), tr(la, tr(lb)), 1.0 / 3},
		// Five-chain and five-star: 3+3 edits, more than five nodes.
		{"clamped", tr(la, tr(la, tr(la, tr(la, tr(la))))), tr(la, tr(la), tr(la), tr(la), tr(la)), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizedTreeEditDistance(tt.a, tt.b); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if d := TreeEditDistance(tr(la, tr(la, tr(la, tr(la, tr(la))))), tr(la, tr(la), tr(la), tr(la), tr(la))); d != 6 {
		t.Errorf("five-chain to five-star: %d, want 6", d)
	}
}

// randomTree draws a tree of n nodes over k classes: each node's parent
// is an earlier node.
func randomTree(rng *rand.Rand, n, k int) *Element {
	nodes := []*Element{tr(Class(rng.IntN(k)))}
	for len(nodes) < n {
		e := tr(Class(rng.IntN(k)))
		p := nodes[rng.IntN(len(nodes))]
		p.Children = append(p.Children, e)
		nodes = append(nodes, e)
	}
	return nodes[0]
}

func TestTreeEditDistanceIsAMetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 17))
	for i := range 300 {
		a := randomTree(rng, 1+rng.IntN(12), 3)
		b := randomTree(rng, 1+rng.IntN(12), 3)
		c := randomTree(rng, 1+rng.IntN(12), 3)
		ab, bc, ac := TreeEditDistance(a, b), TreeEditDistance(b, c), TreeEditDistance(a, c)
		if ac > ab+bc {
			t.Fatalf("case %d: d(a,c)=%d > d(a,b)+d(b,c)=%d+%d", i, ac, ab, bc)
		}
		if ba := TreeEditDistance(b, a); ba != ab {
			t.Fatalf("case %d: d(a,b)=%d, d(b,a)=%d", i, ab, ba)
		}
		if aa := TreeEditDistance(a, a); aa != 0 {
			t.Fatalf("case %d: d(a,a)=%d", i, aa)
		}
		if (ab == 0) != sameClasses(a, b) {
			t.Fatalf("case %d: d(a,b)=%d for trees the same: %v", i, ab, sameClasses(a, b))
		}
	}
}

// sameClasses compares shape and classes only.
func sameClasses(a, b *Element) bool {
	if a.Class != b.Class || len(a.Children) != len(b.Children) {
		return false
	}
	for i := range a.Children {
		if !sameClasses(a.Children[i], b.Children[i]) {
			return false
		}
	}
	return true
}

// treeFromBytes reads a tree: each byte adds a node under an earlier one
// (byte/16 picks it) with class byte%13.
func treeFromBytes(data []byte) *Element {
	if len(data) == 0 {
		return nil
	}
	nodes := []*Element{tr(Class(data[0] % 13))}
	for _, d := range data[1:min(len(data), 40)] {
		e := tr(Class(d % 13))
		p := nodes[int(d/16)%len(nodes)]
		p.Children = append(p.Children, e)
		nodes = append(nodes, e)
	}
	return nodes[0]
}

// FuzzTreeEditDistance: symmetric, 0 exactly for the same trees, between
// the size difference and the size sum, normalized in [0, 1].
func FuzzTreeEditDistance(f *testing.F) {
	f.Add([]byte{6, 4, 0x13, 0x11}, []byte{6, 3, 0x14, 0x21})
	f.Add([]byte{}, []byte{1, 2, 3})
	f.Add([]byte{1, 1, 1, 1}, []byte{1, 0x11, 0x21, 0x31})
	f.Fuzz(func(t *testing.T, x, y []byte) {
		a, b := treeFromBytes(x), treeFromBytes(y)
		d := TreeEditDistance(a, b)
		if r := TreeEditDistance(b, a); r != d {
			t.Fatalf("d(a,b)=%d, d(b,a)=%d", d, r)
		}
		na, nb := elementCount(a), elementCount(b)
		if d < abs(na-nb) || d > na+nb {
			t.Fatalf("distance %d between trees of %d and %d", d, na, nb)
		}
		same := (a == nil) == (b == nil) && (a == nil || sameClasses(a, b))
		if (d == 0) != same {
			t.Fatalf("distance %d, same %v", d, same)
		}
		if n := NormalizedTreeEditDistance(a, b); n < 0 || n > 1 || (n == 0) != same {
			t.Fatalf("normalized %v", n)
		}
	})
}
