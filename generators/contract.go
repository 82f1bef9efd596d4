package generators

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// Version is a dataset's semantic version. PATCH: same samples; MINOR: fields
// added, old fields identical; MAJOR: samples changed.
type Version struct{ Major, Minor, Patch int }

// String returns "MAJOR.MINOR.PATCH".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// ParseVersion parses "MAJOR.MINOR.PATCH".
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("generators: version %q is not MAJOR.MINOR.PATCH", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Version{}, fmt.Errorf("generators: version %q is not MAJOR.MINOR.PATCH", s)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

// FeatureKind says what a feature holds and how it is stored.
type FeatureKind int

const (
	// ImageFeature is an RGB image: a PNG path in samples.jsonl, an
	// N×H×W×3 uint8 array in npz.
	ImageFeature FeatureKind = iota
	// MaskFeature is a one-channel 8-bit image (PNG path, or N×H×W uint8).
	MaskFeature
	// LabelFeature is a string from Vocab (an int32 index in npz).
	LabelFeature
	// IntFeature is an integer, or an array of them of fixed Shape.
	IntFeature
	// FloatFeature is a float64, or an array of them of fixed Shape.
	FloatFeature
	// BoolFeature is a boolean.
	BoolFeature
	// TextFeature is a string of at most MaxLen runes, or an array of them
	// of fixed Shape (numpy '<U{MaxLen}' in npz).
	TextFeature
	// ListFeature is a variable-length structure (objects, relations): it
	// has no fixed size, so a dataset that has one cannot be written as npz.
	ListFeature
)

var featureKindNames = [...]string{"image", "mask", "label", "int", "float", "bool", "text", "list"}

// String returns the kind's lowercase name.
func (k FeatureKind) String() string {
	if k < 0 || int(k) >= len(featureKindNames) {
		return "FeatureKind(" + strconv.Itoa(int(k)) + ")"
	}
	return featureKindNames[k]
}

// MarshalText encodes the kind by name.
func (k FeatureKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a kind name.
func (k *FeatureKind) UnmarshalText(b []byte) error {
	for i, n := range featureKindNames {
		if n == string(b) {
			*k = FeatureKind(i)
			return nil
		}
	}
	return fmt.Errorf("generators: unknown feature kind %q", b)
}

// Feature declares one field that every sample carries.
type Feature struct {
	Name string      `json:"name"`
	Kind FeatureKind `json:"kind"`
	// Shape is the per-sample array shape: [H, W, 3] for images, [H, W] for
	// masks, nil for scalars, [4] for a bounding box.
	Shape []int `json:"shape,omitempty"`
	// Vocab lists a label's values; its index is the integer label.
	Vocab []string `json:"vocab,omitempty"`
	// MaxLen bounds a text feature's length in runes.
	MaxLen int    `json:"max_len,omitempty"`
	Doc    string `json:"doc"`
	// NPZ says where the feature is stored; the zero value, InBoth, in
	// both formats.
	NPZ NPZStorage `json:"npz,omitempty"`
}

// NPZStorage says in which formats a feature is stored. It marshals as
// "" (InBoth, left out of the manifest), "only" or "omit".
type NPZStorage int

const (
	// InBoth stores the feature in both the PNG/JSON and the npz format.
	InBoth NPZStorage = iota
	// NPZOnly stores it in npz alone, its values taken from Sample.Arrays:
	// an array form of what a list feature holds.
	NPZOnly
	// NotInNPZ leaves it out of npz: a list whose content the NPZOnly
	// features carry.
	NotInNPZ
)

var npzStorageNames = [...]string{InBoth: "", NPZOnly: "only", NotInNPZ: "omit"}

// String returns the manifest's name of the storage: "", "only" or "omit".
func (s NPZStorage) String() string {
	if s < 0 || int(s) >= len(npzStorageNames) {
		return "NPZStorage(" + strconv.Itoa(int(s)) + ")"
	}
	return npzStorageNames[s]
}

// MarshalText encodes the storage by its manifest name.
func (s NPZStorage) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(npzStorageNames) {
		return nil, fmt.Errorf("generators: no npz storage %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a manifest's npz storage name.
func (s *NPZStorage) UnmarshalText(b []byte) error {
	for i, n := range npzStorageNames {
		if n == string(b) {
			*s = NPZStorage(i)
			return nil
		}
	}
	return fmt.Errorf("generators: unknown npz storage %q; want \"only\", \"omit\" or none", b)
}

// FixedSize reports whether every feature stored in npz has a fixed size,
// which is what the npz format needs.
func FixedSize(fs []Feature) bool {
	for _, f := range fs {
		if f.NPZ == NotInNPZ {
			continue
		}
		if f.Kind == ListFeature || (f.Kind == TextFeature && f.MaxLen <= 0) {
			return false
		}
	}
	return true
}

// inNPZ says whether npz stores the feature.
func inNPZ(f Feature) bool { return f.NPZ != NotInNPZ }

// SplitSize names a split and its sample count.
type SplitSize struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Dataset is one kind of dataset: the entry a Registry lists.
type Dataset interface {
	// Name is the dataset's registry name ("shapes").
	Name() string
	// Version is the version of the samples this code renders.
	Version() Version
	// Description is one sentence for `hiddendim list`.
	Description() string
	// DefaultSplits is the split layout used when none is given.
	DefaultSplits() []SplitSize
	// DefaultConfig returns a new config holding the defaults: a pointer
	// to a struct whose json tags are the config keys (see SetConfig).
	DefaultConfig() Config
	// New validates cfg and returns the sampler it configures.
	New(cfg Config) (Sampler, error)
}

// Config is a dataset's configuration: a pointer to a struct with json tags.
type Config interface {
	// Validate returns an error that says what is wrong and what would be right.
	Validate() error
}

// Sampler is a dataset with a validated config.
type Sampler interface {
	// Features declares what each sample carries.
	Features() []Feature
	// NewRenderer returns a renderer for one worker.
	NewRenderer() Renderer
}

// Renderer renders samples. It keeps its buffers between calls, so it is
// not safe for concurrent use, and the images of a Sample it returns are
// valid only until its next Render call.
type Renderer interface {
	Render(key SampleKey, rng *rand.Rand) (Sample, error)
}

// SampleKey identifies a sample: everything besides config and version that
// it may depend on.
type SampleKey struct {
	Seed  uint64
	Split string
	Index int
	// IDWidth is the zero-padded width of ids in this split.
	IDWidth int
}

// ID returns the sample's id: its index, zero-padded so that ids sort.
func (k SampleKey) ID() string {
	w := k.IDWidth
	if w < 1 {
		w = 6
	}
	return fmt.Sprintf("%0*d", w, k.Index)
}

// Path returns dir/ID.ext, the conventional path of one of the sample's files.
func (k SampleKey) Path(dir, ext string) string { return dir + "/" + k.ID() + "." + ext }

// IDWidth returns the id width for a split of n samples: at least 6 digits.
func IDWidth(n int) int {
	w := len(strconv.Itoa(max(n-1, 0)))
	return max(w, 6)
}

// Sample is one rendered sample.
type Sample struct {
	// Record is the sample's samples.jsonl object: a struct whose fields
	// include "id" and, for each File, its Field holding its Path.
	Record any
	// Files are the images the sample writes, paths relative to the split folder.
	Files []File
	// Arrays holds the values of the sampler's npz-only features, by name.
	Arrays map[string]any
}

// File is a file a sample writes: an image (written as PNG) or, when Data
// is set, those bytes as they are (a page's HTML, say).
type File struct {
	Field string // the record field that holds Path, and the npz array name
	Path  string
	Image image.Image
	Data  []byte
}

// Registry lists datasets by name.
type Registry struct{ byName map[string]Dataset }

// NewRegistry returns a registry of the given datasets. It panics if two
// share a name, which is a programming error.
func NewRegistry(ds ...Dataset) *Registry {
	r := &Registry{byName: map[string]Dataset{}}
	for _, d := range ds {
		if _, dup := r.byName[d.Name()]; dup {
			panic("generators: dataset registered twice: " + d.Name())
		}
		r.byName[d.Name()] = d
	}
	return r
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrUnknownDataset is wrapped by Lookup's error.
var ErrUnknownDataset = errors.New("unknown dataset")

// Lookup returns the named dataset, or an error listing the known ones.
func (r *Registry) Lookup(name string) (Dataset, error) {
	if d, ok := r.byName[name]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("generators: %w %q; known: %s", ErrUnknownDataset, name, strings.Join(r.Names(), ", "))
}

// ContentHash is the sha256 of a sample's canonical JSON record and the
// decoded pixels of its images: what golden tests pin, independent of how
// PNG encoding may change between Go versions.
func ContentHash(s Sample) string {
	h := sha256.New()
	rec, _ := json.Marshal(s.Record)
	h.Write(rec)
	for _, f := range s.Files {
		h.Write([]byte(f.Field))
		if f.Data != nil {
			h.Write(f.Data)
			continue
		}
		switch m := f.Image.(type) {
		case *image.RGBA:
			h.Write(m.Pix)
		case *image.Gray:
			h.Write(m.Pix)
		case *image.Gray16:
			h.Write(m.Pix)
		default:
			b := f.Image.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bl, a := f.Image.At(x, y).RGBA()
					h.Write([]byte{byte(r >> 8), byte(g >> 8), byte(bl >> 8), byte(a >> 8)})
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
