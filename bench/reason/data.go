package reason

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
)

// Types are sort-of-CLEVR's three question types, in the order of the
// reference's question encoding.
var Types = []string{"non_relational", "binary", "ternary"}

// Family is one of the nine sort-of-CLEVR question families (the
// reference's subtypes) and the type it belongs to.
type Family struct {
	Name string
	Type int // index into Types
}

// Families are the nine families the reasoning kind scores, three per
// type, in the reference's subtype order.
var Families = []Family{
	{"shape", 0}, {"is_left", 0}, {"is_top", 0},
	{"closest_shape", 1}, {"furthest_shape", 1}, {"count_same_shape", 1},
	{"count_between", 2}, {"on_line", 2}, {"count_obtuse", 2},
}

// Answers is the reference's answer vocabulary (clevrlite.AnswerVocab):
// class i of a reasoner is Answers[i].
var Answers = clevrlite.AnswerVocab

// The state description of one object (see ObjectSize): the reference's
// six colors, in its order, and its two shapes.
var (
	stateColors = []string{"red", "green", "blue", "orange", "gray", "yellow"}
	stateShapes = []string{"square", "circle"}
)

const (
	// ObjectSize is the length of one object's state description: the
	// color one-hot (6, in the reference's color order), the shape one-hot
	// (square, circle) and the center's x and y scaled to [-1, 1] (pixel 0
	// to −1, the last pixel to +1).
	ObjectSize = 6 + 2 + 2
	// SceneObjects is the number of objects in a sort-of-CLEVR scene: one
	// per color.
	SceneObjects = 6
	// QuestionSize is the reference's question encoding's length.
	QuestionSize = 18
)

// Set is one split of a sort-of-CLEVR dataset read for reasoning: every
// image's state description (and, when asked for, its pixels) and every
// question, encoded as the reference encodes it. Questions of one image
// are consecutive, in the dataset's order.
type Set struct {
	// Pixels are the images, NImages × 3×H×W channels first in [0, 1];
	// nil unless asked for.
	Pixels []float32
	// Shape is the images' 3, H, W.
	Shape [3]int
	// States are the state descriptions, NImages × SceneObjects ×
	// ObjectSize.
	States []float32
	// Image is each question's image index.
	Image []int
	// Encodings are the questions' 18-element encodings, NQ × QuestionSize.
	Encodings []float32
	// Answer is each question's answer class (an index into Answers).
	Answer []int
	// Family is each question's family, an index into Families.
	Family []int
	// Text is each question's text.
	Text []string
	// Scenes are the images' objects, as the dataset records them.
	Scenes [][]clevrlite.Object
	// SplitSHA256 is the split's content hash from the manifest.
	SplitSHA256 string
}

// Len is the number of questions.
func (s *Set) Len() int { return len(s.Answer) }

// Type returns question q's type, an index into Types.
func (s *Set) Type(q int) int { return Families[s.Family[q]].Type }

// familyIndex maps a family name to its index in Families.
func familyIndex(name string) int {
	return slices.IndexFunc(Families, func(f Family) bool { return f.Name == name })
}

func familyNames() []string {
	out := make([]string, len(Families))
	for i, f := range Families {
		out[i] = f.Name
	}
	return out
}

// checkConfig refuses a clevrlite config the reasoners cannot read: the
// programs questions, or the sequence and causal groups, which the
// reference's encoding cannot express. what names the setting's source.
func checkConfig(c *clevrlite.Config) error {
	switch {
	case c.Questions != "sortofclevr":
		return fmt.Errorf("questions %q: the reasoners answer the sortofclevr questions (questions=sortofclevr)", c.Questions)
	case c.Sequence:
		return fmt.Errorf("sequence: the sequence and causal questions have no reference encoding or answer class; the reasoners take sequence=false")
	}
	return nil
}

// OpenDataset opens a sort-of-CLEVR dataset folder for reasoning,
// refusing as a bench.MismatchError another dataset, another config or the
// npz format, and splits it lacks.
func OpenDataset(dir string, splits ...string) (*generators.Reader, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, err
	}
	m := r.Manifest
	if m.Dataset != (clevrlite.SortOfCLEVR{}).Name() {
		return nil, bench.Mismatchf("reason: the reasoners train on clevrlite's sortofclevr questions; %s is a %s dataset", dir, m.Dataset)
	}
	var cfg clevrlite.Config
	if err := json.Unmarshal(m.Config, &cfg); err != nil {
		return nil, fmt.Errorf("reason: %s: config: %w", dir, err)
	}
	if err := checkConfig(&cfg); err != nil {
		return nil, bench.Mismatchf("reason: %s: %v", dir, err)
	}
	if !m.Format.Records() {
		return nil, bench.Mismatchf("reason: %s is in the %s format, which keeps no question families or texts; generate it with --format png, tar or parquet", dir, m.Format)
	}
	if err := bench.CheckSplits(m, dir, splits...); err != nil {
		return nil, err
	}
	return r, nil
}

// LoadSet reads a split of the sort-of-CLEVR dataset in dir: state
// descriptions always, pixels when pixels is set. A question of a family
// other than the nine (Families) or without an answer class is refused:
// the reasoners cannot be asked it.
func LoadSet(dir, split string, pixels bool) (*Set, error) {
	r, err := OpenDataset(dir, split)
	if err != nil {
		return nil, err
	}
	sr, err := r.Split(split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	s := &Set{SplitSHA256: r.Manifest.Splits[split].SHA256}
	for sr.Next() {
		rec := sr.Record()
		var ex clevrlite.Example
		if err := rec.Decode(&ex); err != nil {
			return nil, fmt.Errorf("reason: %s/%s sample %d: %w", dir, split, rec.Index, err)
		}
		img := len(s.Scenes)
		var size int
		if pixels || img == 0 {
			im, err := rec.Image("image")
			if err != nil {
				return nil, err
			}
			b := im.Bounds()
			if b.Dx() != b.Dy() {
				return nil, fmt.Errorf("reason: %s/%s sample %d: a %dx%d image; sort-of-CLEVR images are square", dir, split, rec.Index, b.Dx(), b.Dy())
			}
			size = b.Dx()
			if img == 0 {
				s.Shape = [3]int{3, size, size}
			} else if size != s.Shape[1] {
				return nil, fmt.Errorf("reason: %s/%s sample %d: a %d px image after %d px ones", dir, split, rec.Index, size, s.Shape[1])
			}
			if pixels {
				s.Pixels = bench.AppendCHW(s.Pixels, im)
			}
		}
		if err := s.appendExample(&ex, s.Shape[1]); err != nil {
			return nil, fmt.Errorf("reason: %s/%s sample %d: %w", dir, split, rec.Index, err)
		}
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	if len(s.Answer) == 0 {
		return nil, bench.Mismatchf("reason: %s/%s holds no questions", dir, split)
	}
	return s, nil
}

// appendExample appends a sample's state description and questions, as
// image len(s.Scenes), to s; its images are size pixels wide. On an error
// s is unchanged.
func (s *Set) appendExample(ex *clevrlite.Example, size int) error {
	img := len(s.Scenes)
	states, err := appendState(s.States, ex.Objects, size)
	if err != nil {
		return err
	}
	for qi, q := range ex.Questions {
		f := familyIndex(q.Family)
		if f < 0 || Types[Families[f].Type] != q.Type {
			return fmt.Errorf("question %d: family %q (%s) is not one of the nine sort-of-CLEVR families the reasoners answer (%s)",
				qi, q.Family, q.Type, strings.Join(familyNames(), ", "))
		}
		if q.AnswerIndex < 0 || q.AnswerIndex >= len(Answers) {
			return fmt.Errorf("question %d (%s): answer %q has no class in the reference's vocabulary", qi, q.Family, q.Answer)
		}
	}
	s.States = states
	s.Scenes = append(s.Scenes, ex.Objects)
	for _, q := range ex.Questions {
		s.Image = append(s.Image, img)
		for _, v := range q.Encoding {
			s.Encodings = append(s.Encodings, float32(v))
		}
		s.Answer = append(s.Answer, q.AnswerIndex)
		s.Family = append(s.Family, familyIndex(q.Family))
		s.Text = append(s.Text, q.Text)
	}
	return nil
}

// appendState appends a scene's state description: its six objects in
// the reference's color order, each as ObjectSize values (see ObjectSize)
// in an image of size pixels.
func appendState(dst []float32, objs []clevrlite.Object, size int) ([]float32, error) {
	if len(objs) != SceneObjects {
		return dst, fmt.Errorf("%d objects; a sort-of-CLEVR scene has %d, one per color", len(objs), SceneObjects)
	}
	ordered := make([]*clevrlite.Object, SceneObjects)
	for i := range objs {
		o := &objs[i]
		c := slices.Index(stateColors, o.Color)
		if c < 0 || ordered[c] != nil {
			return dst, fmt.Errorf("object %d: color %q; want each of %s once", i, o.Color, strings.Join(stateColors, ", "))
		}
		if !slices.Contains(stateShapes, o.Shape) {
			return dst, fmt.Errorf("object %d: shape %q; want %s", i, o.Shape, strings.Join(stateShapes, " or "))
		}
		ordered[c] = o
	}
	scale := float64(max(size-1, 1))
	for c, o := range ordered {
		var v [ObjectSize]float32
		v[c] = 1
		v[6+slices.Index(stateShapes, o.Shape)] = 1
		v[8] = float32(2*o.Center[0]/scale - 1)
		v[9] = float32(2*o.Center[1]/scale - 1)
		dst = append(dst, v[:]...)
	}
	return dst, nil
}
