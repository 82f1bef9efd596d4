package webpages

// TreeEditDistance is the Zhang–Shasha edit distance between two ordered
// trees (Zhang and Shasha 1989): the fewest node insertions, deletions and
// relabellings, each costing 1, that turn a into b. A node's label is its
// class alone (styles, boxes and texts are ignored). A nil tree is the
// empty tree. It runs in O(|a|·|b|·min(depth, leaves)²) time.
func TreeEditDistance(a, b *Element) int {
	ta, tb := postorder(a), postorder(b)
	if len(ta.label) == 0 || len(tb.label) == 0 {
		return len(ta.label) + len(tb.label)
	}
	n, m := len(ta.label), len(tb.label)
	// td[i][j] is the distance between the subtrees rooted at i and j.
	td := make([][]int, n)
	for i := range td {
		td[i] = make([]int, m)
	}
	// fd is the forest distance table, reused for every pair of keyroots.
	fd := make([][]int, n+1)
	for i := range fd {
		fd[i] = make([]int, m+1)
	}
	for _, i := range ta.keyroots {
		for _, j := range tb.keyroots {
			li, lj := ta.lml[i], tb.lml[j]
			// Row x of fd stands for the forest of nodes li..li+x-1.
			fd[0][0] = 0
			for x := 1; x <= i-li+1; x++ {
				fd[x][0] = fd[x-1][0] + 1
			}
			for y := 1; y <= j-lj+1; y++ {
				fd[0][y] = fd[0][y-1] + 1
			}
			for x := 1; x <= i-li+1; x++ {
				for y := 1; y <= j-lj+1; y++ {
					p, q := li+x-1, lj+y-1
					del, ins := fd[x-1][y]+1, fd[x][y-1]+1
					if ta.lml[p] == li && tb.lml[q] == lj {
						// Both forests are whole trees.
						relabel := 0
						if ta.label[p] != tb.label[q] {
							relabel = 1
						}
						fd[x][y] = min(del, ins, fd[x-1][y-1]+relabel)
						td[p][q] = fd[x][y]
					} else {
						fd[x][y] = min(del, ins, fd[ta.lml[p]-li][tb.lml[q]-lj]+td[p][q])
					}
				}
			}
		}
	}
	return td[n-1][m-1]
}

// NormalizedTreeEditDistance is TreeEditDistance divided by the larger
// tree's element count, clamped to 1 (shapes far apart, a chain against a
// star, can cost more edits than the larger tree has nodes): 0 iff the
// trees have the same shape and classes, 1 at worst. Two empty (nil) trees
// are 0 apart.
func NormalizedTreeEditDistance(a, b *Element) float64 {
	n := max(elementCount(a), elementCount(b))
	if n == 0 {
		return 0
	}
	return min(1, float64(TreeEditDistance(a, b))/float64(n))
}

func elementCount(e *Element) int {
	if e == nil {
		return 0
	}
	return e.Count()
}

// zsTree is a tree numbered in postorder: labels, the leftmost leaf
// descendant of each node, and the keyroots (the root and every node with
// a left sibling), in increasing order.
type zsTree struct {
	label    []Class
	lml      []int
	keyroots []int
}

func postorder(root *Element) zsTree {
	var t zsTree
	if root == nil {
		return t
	}
	var visit func(e *Element) int
	visit = func(e *Element) int {
		leftmost := -1
		for i, c := range e.Children {
			l := visit(c)
			if i == 0 {
				leftmost = l
			}
		}
		t.label = append(t.label, e.Class)
		if leftmost < 0 {
			leftmost = len(t.label) - 1
		}
		t.lml = append(t.lml, leftmost)
		return leftmost
	}
	visit(root)
	// A keyroot is the highest-numbered node with its leftmost leaf.
	seen := make([]bool, len(t.label))
	for i := len(t.label) - 1; i >= 0; i-- {
		if !seen[t.lml[i]] {
			seen[t.lml[i]] = true
			t.keyroots = append(t.keyroots, i)
		}
	}
	for i, j := 0, len(t.keyroots)-1; i < j; i, j = i+1, j-1 {
		t.keyroots[i], t.keyroots[j] = t.keyroots[j], t.keyroots[i]
	}
	return t
}
