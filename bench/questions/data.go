package questions

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
)

// The rungs of Pearl's ladder the sortofclevr-causal questions are
// grouped by: association (the reference's and the sequence families),
// intervention and counterfactual.
const (
	RungAssociation    = "association"
	RungIntervention   = "intervention"
	RungCounterfactual = "counterfactual"
)

// Rungs lists the rungs in the ladder's order.
var Rungs = []string{RungAssociation, RungIntervention, RungCounterfactual}

// ProgramGroups are the question groups of the programs config, in its
// order.
var ProgramGroups = []string{"attribute", "counting", "comparison", "spatial", "logical"}

// rung returns the rung of a sortofclevr family: the two causal families
// are their own rungs, every other one is association.
func rung(family string) string {
	switch family {
	case RungIntervention, RungCounterfactual:
		return family
	}
	return RungAssociation
}

// sortOfCLEVRColors and sortOfCLEVRShapes are the sortofclevr config's
// six colors, in the reference's order, and its two shapes.
var (
	sortOfCLEVRColors = []string{"red", "green", "blue", "orange", "gray", "yellow"}
	sortOfCLEVRShapes = []string{"square", "circle"}
)

// sizeClasses are the programs config's object sizes.
var sizeClasses = []string{"small", "large"}

// Layout is how a scene is described to the state-description models: up
// to Objects rows of ObjectSize values, one per object in the dataset's
// order, then zero rows. An object's row is its color one-hot (Colors),
// its shape one-hot (Shapes), its size class one-hot (small, large) when
// Sizes, its center's x and y scaled to [−1, 1] (pixel 0 to −1, the last
// pixel to +1) and a present flag 1.
type Layout struct {
	Colors  []string `json:"colors"`
	Shapes  []string `json:"shapes"`
	Sizes   bool     `json:"sizes,omitempty"`
	Objects int      `json:"objects"`
}

// ObjectSize is the length of one object's row.
func (l Layout) ObjectSize() int {
	n := len(l.Colors) + len(l.Shapes) + 3
	if l.Sizes {
		n += len(sizeClasses)
	}
	return n
}

// layoutOf returns the state layout of a clevrlite config the kind reads.
func layoutOf(c *clevrlite.Config) Layout {
	if c.Questions == "programs" {
		return Layout{Colors: slices.Clone(c.Colors), Shapes: slices.Clone(c.Shapes), Sizes: true, Objects: c.MaxObjects}
	}
	return Layout{Colors: slices.Clone(sortOfCLEVRColors), Shapes: slices.Clone(sortOfCLEVRShapes), Objects: 6}
}

// appendState appends a scene's state description in an image of size
// pixels to dst.
func (l Layout) appendState(dst []float32, objs []clevrlite.Object, size int) ([]float32, error) {
	if len(objs) > l.Objects {
		return dst, fmt.Errorf("%d objects; the layout holds at most %d", len(objs), l.Objects)
	}
	per := l.ObjectSize()
	scale := float64(max(size-1, 1))
	row := make([]float32, per)
	for i, o := range objs {
		clear(row)
		c := slices.Index(l.Colors, o.Color)
		if c < 0 {
			return dst, fmt.Errorf("object %d: color %q; want one of %s", i, o.Color, strings.Join(l.Colors, ", "))
		}
		s := slices.Index(l.Shapes, o.Shape)
		if s < 0 {
			return dst, fmt.Errorf("object %d: shape %q; want one of %s", i, o.Shape, strings.Join(l.Shapes, ", "))
		}
		row[c] = 1
		k := len(l.Colors)
		row[k+s] = 1
		k += len(l.Shapes)
		if l.Sizes {
			z := slices.Index(sizeClasses, o.SizeClass)
			if z < 0 {
				return dst, fmt.Errorf("object %d: size class %q; want %s", i, o.SizeClass, strings.Join(sizeClasses, " or "))
			}
			row[k+z] = 1
			k += len(sizeClasses)
		}
		row[k] = float32(2*o.Center[0]/scale - 1)
		row[k+1] = float32(2*o.Center[1]/scale - 1)
		row[k+2] = 1
		dst = append(dst, row...)
	}
	return append(dst, make([]float32, (l.Objects-len(objs))*per)...), nil
}

// Set is one split of a clevrlite dataset read for text questions: every
// image's state description (and, when asked for, its pixels) and every
// question with its text, program, answer, family and group. Questions
// of one image are consecutive, in the dataset's order.
type Set struct {
	// Pixels are the images, NImages × 3×H×W channels first in [0, 1];
	// nil unless asked for.
	Pixels []float32
	// Shape is the images' 3, H, W.
	Shape [3]int
	// Layout is how States describes a scene.
	Layout Layout
	// States are the state descriptions, NImages × Layout.Objects ×
	// Layout.ObjectSize().
	States []float32
	// Image is each question's image index.
	Image []int
	// Text, Program, Answer and Family are each question's, as the
	// dataset records them.
	Text, Program, Answer, Family []string
	// Group is each question's group: its type for the programs config
	// (ProgramGroups), its rung for sortofclevr (Rungs).
	Group []string
	// SplitSHA256 is the split's content hash from the manifest.
	SplitSHA256 string
}

// Len is the number of questions.
func (s *Set) Len() int { return len(s.Answer) }

// checkConfig refuses a clevrlite config other than programs or
// sortofclevr with sequence questions.
func checkConfig(c *clevrlite.Config) error {
	switch {
	case c.Questions == "programs":
		return nil
	case c.Questions == "sortofclevr" && c.Sequence:
		return nil
	case c.Questions == "sortofclevr":
		return fmt.Errorf("sortofclevr without sequence questions: the questions kind reads questions=programs or sortofclevr with sequence=true (the reasoning kind reads this one)")
	}
	return fmt.Errorf("questions %q: want questions=programs, or questions=sortofclevr with sequence=true", c.Questions)
}

// OpenDataset opens a clevrlite dataset folder for text questions,
// refusing as a bench.MismatchError another dataset, another config, the
// npz format, and splits it lacks. It returns the reader and the config.
func OpenDataset(dir string, splits ...string) (*generators.Reader, *clevrlite.Config, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	m := r.Manifest
	if m.Dataset != (clevrlite.SortOfCLEVR{}).Name() {
		return nil, nil, bench.Mismatchf("questions: the text-question models train on clevrlite; %s is a %s dataset", dir, m.Dataset)
	}
	var cfg clevrlite.Config
	if err := json.Unmarshal(m.Config, &cfg); err != nil {
		return nil, nil, fmt.Errorf("questions: %s: config: %w", dir, err)
	}
	if err := checkConfig(&cfg); err != nil {
		return nil, nil, bench.Mismatchf("questions: %s: %v", dir, err)
	}
	if !m.Format.Records() {
		return nil, nil, bench.Mismatchf("questions: %s is in the %s format, which keeps no question texts or families; generate it with --format png, tar or parquet", dir, m.Format)
	}
	if err := bench.CheckSplits(m, dir, splits...); err != nil {
		return nil, nil, err
	}
	return r, &cfg, nil
}

// LoadSet reads a split of the clevrlite dataset in dir: state
// descriptions always, pixels when pixels is set. A question without text
// or answer is refused.
func LoadSet(dir, split string, pixels bool) (*Set, error) {
	r, cfg, err := OpenDataset(dir, split)
	if err != nil {
		return nil, err
	}
	sr, err := r.Split(split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	s := &Set{SplitSHA256: r.Manifest.Splits[split].SHA256, Layout: layoutOf(cfg)}
	programs := cfg.Questions == "programs"
	for sr.Next() {
		rec := sr.Record()
		var ex clevrlite.Example
		if err := rec.Decode(&ex); err != nil {
			return nil, fmt.Errorf("questions: %s/%s sample %d: %w", dir, split, rec.Index, err)
		}
		first := s.Shape[1] == 0
		if pixels || first {
			im, err := rec.Image("image")
			if err != nil {
				return nil, err
			}
			b := im.Bounds()
			if b.Dx() != b.Dy() {
				return nil, fmt.Errorf("questions: %s/%s sample %d: a %dx%d image; clevrlite images are square", dir, split, rec.Index, b.Dx(), b.Dy())
			}
			if first {
				s.Shape = [3]int{3, b.Dx(), b.Dx()}
			} else if b.Dx() != s.Shape[1] {
				return nil, fmt.Errorf("questions: %s/%s sample %d: a %d px image after %d px ones", dir, split, rec.Index, b.Dx(), s.Shape[1])
			}
			if pixels {
				s.Pixels = bench.AppendCHW(s.Pixels, im)
			}
		}
		if err := s.appendExample(&ex, programs); err != nil {
			return nil, fmt.Errorf("questions: %s/%s sample %d: %w", dir, split, rec.Index, err)
		}
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	if s.Len() == 0 {
		return nil, bench.Mismatchf("questions: %s/%s holds no questions", dir, split)
	}
	return s, nil
}

// images is the number of scenes read.
func (s *Set) images() int { return len(s.States) / (s.Layout.Objects * s.Layout.ObjectSize()) }

// appendExample appends a sample's state description and questions to s.
// On an error s is unchanged.
func (s *Set) appendExample(ex *clevrlite.Example, programs bool) error {
	img := s.images()
	states, err := s.Layout.appendState(s.States, ex.Objects, s.Shape[1])
	if err != nil {
		return err
	}
	for qi, q := range ex.Questions {
		if strings.TrimSpace(q.Text) == "" || q.Answer == "" || q.Family == "" {
			return fmt.Errorf("question %d: text %q, answer %q, family %q; want all three", qi, q.Text, q.Answer, q.Family)
		}
	}
	s.States = states
	for _, q := range ex.Questions {
		s.Image = append(s.Image, img)
		s.Text = append(s.Text, q.Text)
		s.Program = append(s.Program, q.Program)
		s.Answer = append(s.Answer, q.Answer)
		s.Family = append(s.Family, q.Family)
		g := q.Type
		if !programs {
			g = rung(q.Family)
		}
		s.Group = append(s.Group, g)
	}
	return nil
}

// groupNames lists the groups of set's questions: ProgramGroups or Rungs
// in their order, then any other group in name order.
func groupNames(groups []string) []string {
	return orderedNames(groups, append(slices.Clone(ProgramGroups), Rungs...))
}

// familyNames lists the families of the questions in clevrlite's order
// (clevrlite.FamilyNames), then any other in name order.
func familyNames(families []string) []string {
	return orderedNames(families, clevrlite.FamilyNames())
}

// orderedNames lists the distinct names, those in order first in its
// order, then the others sorted.
func orderedNames(names, order []string) []string {
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	var out []string
	for _, n := range order {
		if seen[n] {
			out = append(out, n)
			delete(seen, n)
		}
	}
	rest := make([]string, 0, len(seen))
	for n := range seen {
		rest = append(rest, n)
	}
	slices.Sort(rest)
	return append(out, rest...)
}
