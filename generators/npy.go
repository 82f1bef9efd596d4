package generators

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The npz layout: data.npz holds "<feature>.npy" for every feature, each with
// the sample axis first. Images are uint8 N×H×W×3, masks uint8 N×H×W, labels
// int32 indices into the feature's vocab (recorded in the manifest), ints
// int64, floats float64, bools bool, texts fixed-width unicode <U{MaxLen} (one
// string per element when a text feature has a Shape). A list feature is
// stored padded, an array per element field and a count (see NPZList).
// Entries are stored uncompressed, as numpy.savez does.

// npyDescr returns the numpy dtype of a feature and its element size.
func npyDescr(f Feature) (string, int) {
	switch f.Kind {
	case ImageFeature, MaskFeature:
		return "|u1", 1
	case LabelFeature:
		return "<i4", 4
	case IntFeature:
		return "<i8", 8
	case FloatFeature:
		return "<f8", 8
	case BoolFeature:
		return "|b1", 1
	case TextFeature:
		return "<U" + strconv.Itoa(f.MaxLen), 4 * f.MaxLen
	}
	panic("generators: no npy dtype for " + f.Kind.String())
}

// npyHeader returns a version 1.0 header for the dtype and shape.
func npyHeader(descr string, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	return b.Bytes()
}

// NPYHeader is a parsed .npy header.
type NPYHeader struct {
	Descr string
	Shape []int
	// DataOffset is where the array data starts.
	DataOffset int
}

// ParseNPYHeader parses the header at the start of a .npy file. It accepts
// versions 1.0 to 3.0, C order only.
func ParseNPYHeader(b []byte) (NPYHeader, error) {
	bad := func(why string) (NPYHeader, error) { return NPYHeader{}, fmt.Errorf("generators: npy header: %s", why) }
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return bad("no \\x93NUMPY magic")
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return bad("truncated")
		}
		n := binary.LittleEndian.Uint32(b[8:12])
		if n > 1<<20 {
			return bad("header longer than 1 MiB")
		}
		hlen, start = int(n), 12
	default:
		return bad(fmt.Sprintf("version %d.%d", b[6], b[7]))
	}
	if start+hlen > len(b) {
		return bad("truncated")
	}
	dict := strings.TrimSpace(string(b[start : start+hlen]))
	descr, ok := pyField(dict, "descr")
	if !ok || len(descr) < 3 || descr[0] != '\'' || descr[len(descr)-1] != '\'' {
		return bad("no 'descr'")
	}
	if fo, ok := pyField(dict, "fortran_order"); !ok || fo != "False" {
		return bad("want fortran_order False")
	}
	sh, ok := pyField(dict, "shape")
	if !ok || len(sh) < 2 || sh[0] != '(' || sh[len(sh)-1] != ')' {
		return bad("no 'shape' tuple")
	}
	var shape []int
	for _, d := range strings.Split(sh[1:len(sh)-1], ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return bad("shape " + sh)
		}
		shape = append(shape, n)
	}
	return NPYHeader{Descr: descr[1 : len(descr)-1], Shape: shape, DataOffset: start + hlen}, nil
}

// pyField finds 'key': value in a Python dict literal of the npy kind.
func pyField(dict, key string) (string, bool) {
	i := strings.Index(dict, "'"+key+"':")
	if i < 0 {
		return "", false
	}
	rest := strings.TrimSpace(dict[i+len(key)+3:])
	end := 0
	switch {
	case strings.HasPrefix(rest, "'"):
		end = strings.Index(rest[1:], "'") + 2
	case strings.HasPrefix(rest, "("):
		end = strings.Index(rest, ")") + 1
	default:
		end = strings.IndexAny(rest, ",}")
	}
	if end <= 0 {
		return "", false
	}
	return strings.TrimSpace(rest[:end]), true
}

// npyStream is one feature's array, written sample by sample to a temp file.
type npyStream struct {
	path string
	f    *os.File
	w    *bufio.Writer
	name string
}

func newNPYStream(path string, feat Feature, n int) (*npyStream, error) {
	descr, _ := npyDescr(feat)
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	s := &npyStream{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16), name: feat.Name}
	s.w.Write(npyHeader(descr, append([]int{n}, feat.Shape...)))
	return s, nil
}

func (s *npyStream) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}

// npzWriter writes data.npz as samples arrive. The largest array (the
// images, as a rule) streams straight into the archive, hashed on the way;
// the others go to temp files that are appended when the last sample is
// in. Memory stays flat, and only the smaller arrays are copied twice.
// Entries are stored, as numpy.savez stores them; the streamed one carries
// its CRC and sizes in a data descriptor, which numpy and Go's archive/zip
// read from the central directory.
type npzWriter struct {
	path, tmp string
	f         *os.File
	bw        *bufio.Writer
	h         hash.Hash
	zw        *zip.Writer
	lead      int       // the streamed feature
	leadW     io.Writer // its entry
	temps     []*npyStream
}

func newNPZWriter(path string, features []Feature, n int) (*npzWriter, error) {
	z := &npzWriter{path: path, tmp: path + ".tmp", h: sha256.New()}
	best := -1
	for k, f := range features {
		_, size := npyDescr(f)
		if b := elements(f) * size; b > best {
			z.lead, best = k, b
		}
	}
	var err error
	if z.f, err = os.Create(z.tmp); err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	z.bw = bufio.NewWriterSize(io.MultiWriter(z.f, z.h), 1<<18)
	z.zw = zip.NewWriter(z.bw)
	z.temps = make([]*npyStream, len(features))
	for k, f := range features {
		if k == z.lead {
			continue
		}
		if z.temps[k], err = newNPYStream(filepath.Join(filepath.Dir(path), f.Name+".npy.tmp"), f, n); err != nil {
			z.abort()
			return nil, err
		}
	}
	// A fixed date (none) keeps the archive's bytes a function of its content.
	lead := features[z.lead]
	if z.leadW, err = z.zw.CreateHeader(&zip.FileHeader{Name: lead.Name + ".npy", Method: zip.Store}); err != nil {
		z.abort()
		return nil, fmt.Errorf("generators: %w", err)
	}
	descr, _ := npyDescr(lead)
	if _, err := z.leadW.Write(npyHeader(descr, append([]int{n}, lead.Shape...))); err != nil {
		z.abort()
		return nil, fmt.Errorf("generators: %w", err)
	}
	return z, nil
}

// writer is where feature k's elements go, in sample order.
func (z *npzWriter) writer(k int) io.Writer {
	if k == z.lead {
		return z.leadW
	}
	return z.temps[k].w
}

// append adds one sample's element of feature k.
func (z *npzWriter) append(k int, b []byte) error {
	if _, err := z.writer(k).Write(b); err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	return nil
}

// finish appends the other arrays, closes the archive, puts it in place
// and returns its sha256.
func (z *npzWriter) finish() (string, error) {
	defer z.abort()
	for _, s := range z.temps {
		if s == nil {
			continue
		}
		if err := s.Close(); err != nil {
			return "", fmt.Errorf("generators: %w", err)
		}
		w, err := z.zw.CreateHeader(&zip.FileHeader{Name: s.name + ".npy", Method: zip.Store})
		if err != nil {
			return "", fmt.Errorf("generators: %w", err)
		}
		in, err := os.Open(s.path)
		if err != nil {
			return "", fmt.Errorf("generators: %w", err)
		}
		_, err = io.Copy(w, in)
		in.Close()
		if err != nil {
			return "", fmt.Errorf("generators: %w", err)
		}
	}
	if err := z.zw.Close(); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	if err := z.bw.Flush(); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	if err := z.f.Close(); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	z.f = nil
	if err := os.Rename(z.tmp, z.path); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	return hex.EncodeToString(z.h.Sum(nil)), nil
}

// abort removes the temp files and, unless finish put it in place, the
// partial archive; it is safe after finish.
func (z *npzWriter) abort() {
	for _, s := range z.temps {
		if s != nil {
			s.Close()
			os.Remove(s.path)
		}
	}
	z.temps = nil
	if z.f != nil {
		z.f.Close()
		os.Remove(z.tmp)
		z.f = nil
	}
}

// sampleArrays converts one sample (its record and images) to one byte
// slice per feature, in the npy element layout. Numbers the renderer hands
// over as Go values are encoded directly; anything else goes through the
// record's JSON, which is built only when a feature needs it.
// Image and mask bytes go into buffers from pool when it is not nil.
func sampleArrays(features []Feature, record any, files []File, arrays map[string]any, pool *sync.Pool) ([][]byte, error) {
	var fields map[string]json.RawMessage
	field := func(name string) (json.RawMessage, error) {
		if fields == nil {
			line, err := json.Marshal(record)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(line, &fields); err != nil {
				return nil, err
			}
		}
		return fields[name], nil
	}
	out := make([][]byte, len(features))
	for k, f := range features {
		var b []byte
		var err error
		switch f.Kind {
		case ImageFeature, MaskFeature:
			var img *File
			for i := range files {
				if files[i].Field == f.Name {
					img = &files[i]
				}
			}
			if img == nil {
				return nil, fmt.Errorf("generators: sample has no image for feature %q", f.Name)
			}
			var buf []byte
			if pool != nil {
				if p, ok := pool.Get().(*[]byte); ok {
					buf = (*p)[:0]
				}
			}
			if f.Kind == ImageFeature {
				b = rgbBytes(buf, img.Image)
			} else {
				b = grayBytes(buf, img.Image)
			}
		default:
			v, given := arrays[f.Name]
			if vals, ok := numbers(v); given && ok && len(vals) == elements(f) && (f.Kind == IntFeature || f.Kind == FloatFeature) {
				b = encodeNumbers(f, vals)
				break
			}
			if texts, ok := v.([]string); given && ok && f.Kind == TextFeature {
				b, err = encodeTexts(f, texts)
				break
			}
			var raw json.RawMessage
			if given {
				raw, err = json.Marshal(v)
			} else {
				raw, err = field(f.Name)
			}
			if err == nil {
				b, err = encodeValue(f, raw)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("generators: feature %q: %w", f.Name, err)
		}
		out[k] = b
	}
	return out, nil
}

// numbers flattens the numeric Go values renderers hand over, in row-major
// order, as their JSON would read; ok is false for any other type.
func numbers(v any) (vals []float64, ok bool) {
	switch x := v.(type) {
	case int:
		return []float64{float64(x)}, true
	case float64:
		return []float64{x}, true
	case []int:
		vals = make([]float64, len(x))
		for i, e := range x {
			vals[i] = float64(e)
		}
		return vals, true
	case []float64:
		return append([]float64(nil), x...), true
	case [][2]float64:
		vals = make([]float64, 0, 2*len(x))
		for _, e := range x {
			vals = append(vals, e[:]...)
		}
		return vals, true
	case [][18]uint8:
		vals = make([]float64, 0, 18*len(x))
		for _, e := range x {
			for _, u := range e {
				vals = append(vals, float64(u))
			}
		}
		return vals, true
	}
	return nil, false
}

// encodeNumbers lays out an int or float feature's values as npy elements:
// int64 or float64, little-endian.
func encodeNumbers(f Feature, vals []float64) []byte {
	b := make([]byte, 0, 8*len(vals))
	for _, v := range vals {
		if f.Kind == IntFeature {
			b = binary.LittleEndian.AppendUint64(b, uint64(int64(v)))
		} else {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
}

func elements(f Feature) int {
	n := 1
	for _, d := range f.Shape {
		n *= d
	}
	return n
}

func encodeValue(f Feature, raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return nil, fmt.Errorf("missing from the record")
	}
	n := elements(f)
	switch f.Kind {
	case LabelFeature:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		for i, v := range f.Vocab {
			if v == s {
				return binary.LittleEndian.AppendUint32(nil, uint32(i)), nil
			}
		}
		return nil, fmt.Errorf("%q is not in the vocabulary", s)
	case IntFeature, FloatFeature:
		var tree any
		if err := json.Unmarshal(raw, &tree); err != nil {
			return nil, err
		}
		vals, err := flatten(tree, make([]float64, 0, n))
		if err != nil {
			return nil, err
		}
		if len(vals) != n {
			return nil, fmt.Errorf("want %d values, got %d", n, len(vals))
		}
		return encodeNumbers(f, vals), nil
	case BoolFeature:
		var v bool
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		if v {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	case TextFeature:
		var tree any
		if err := json.Unmarshal(raw, &tree); err != nil {
			return nil, err
		}
		texts, err := flattenText(tree, make([]string, 0, n))
		if err != nil {
			return nil, err
		}
		return encodeTexts(f, texts)
	}
	return nil, fmt.Errorf("kind %s has no array form", f.Kind)
}

// encodeTexts lays out a text feature's strings, row-major, as npy '<U'
// elements: MaxLen little-endian code points each, padded with NULs.
func encodeTexts(f Feature, texts []string) ([]byte, error) {
	if n := elements(f); len(texts) != n {
		return nil, fmt.Errorf("want %d strings, got %d", n, len(texts))
	}
	b := make([]byte, 4*f.MaxLen*len(texts))
	for i, s := range texts {
		if utf8.RuneCountInString(s) > f.MaxLen {
			return nil, fmt.Errorf("%q is longer than %d", s, f.MaxLen)
		}
		at := 4 * f.MaxLen * i
		for _, r := range s {
			binary.LittleEndian.PutUint32(b[at:], uint32(r))
			at += 4
		}
	}
	return b, nil
}

// flattenText appends the strings of a JSON value (a string, or arrays of
// arrays of strings) in row-major order.
func flattenText(v any, dst []string) ([]string, error) {
	switch x := v.(type) {
	case string:
		return append(dst, x), nil
	case []any:
		for _, e := range x {
			var err error
			if dst, err = flattenText(e, dst); err != nil {
				return nil, err
			}
		}
		return dst, nil
	}
	return nil, fmt.Errorf("want strings, got %T", v)
}

// flatten appends the numbers of a JSON value (a number, or arrays of
// arrays of numbers) in row-major order.
func flatten(v any, dst []float64) ([]float64, error) {
	switch x := v.(type) {
	case float64:
		return append(dst, x), nil
	case []any:
		for _, e := range x {
			var err error
			if dst, err = flatten(e, dst); err != nil {
				return nil, err
			}
		}
		return dst, nil
	}
	return nil, fmt.Errorf("want numbers, got %T", v)
}

// nest shapes flat row-major values as nested lists, as records hold them.
func nest(vals []any, shape []int) any {
	if len(shape) <= 1 {
		return vals
	}
	step := len(vals) / shape[0]
	out := make([]any, shape[0])
	for i := range out {
		out[i] = nest(vals[i*step:(i+1)*step], shape[1:])
	}
	return out
}

// decodeValue is encodeValue's inverse: element bytes to a JSON value.
func decodeValue(f Feature, b []byte) (any, error) {
	switch f.Kind {
	case LabelFeature:
		i := int(int32(binary.LittleEndian.Uint32(b)))
		if i < 0 || i >= len(f.Vocab) {
			return nil, fmt.Errorf("label %d outside the vocabulary of %d", i, len(f.Vocab))
		}
		return f.Vocab[i], nil
	case IntFeature, FloatFeature:
		n := elements(f)
		vals := make([]any, n)
		for i := range vals {
			u := binary.LittleEndian.Uint64(b[8*i:])
			if f.Kind == IntFeature {
				vals[i] = int64(u)
			} else {
				vals[i] = math.Float64frombits(u)
			}
		}
		if len(f.Shape) == 0 {
			return vals[0], nil
		}
		return nest(vals, f.Shape), nil
	case BoolFeature:
		return b[0] != 0, nil
	case TextFeature:
		width := 4 * f.MaxLen
		n := elements(f)
		if width <= 0 || len(b) != n*width {
			return nil, fmt.Errorf("want %d strings of %d bytes, got %d bytes", n, width, len(b))
		}
		vals := make([]any, n)
		for i := range vals {
			s, err := decodeUTF32(b[i*width : (i+1)*width])
			if err != nil {
				return nil, err
			}
			vals[i] = s
		}
		if len(f.Shape) == 0 {
			return vals[0], nil
		}
		return nest(vals, f.Shape), nil
	}
	return nil, fmt.Errorf("kind %s has no array form", f.Kind)
}

// decodeUTF32 reads one numpy '<U' element: little-endian code points,
// padded with NULs, which numpy strips from the end (and only there).
func decodeUTF32(b []byte) (string, error) {
	end := len(b) / 4
	for end > 0 && binary.LittleEndian.Uint32(b[4*(end-1):]) == 0 {
		end--
	}
	var sb strings.Builder
	for i := range end {
		u := binary.LittleEndian.Uint32(b[4*i:])
		if r := rune(u); u > utf8.MaxRune || !utf8.ValidRune(r) {
			return "", fmt.Errorf("code point %#x is not a Unicode scalar value", u)
		}
		sb.WriteRune(rune(u))
	}
	return sb.String(), nil
}
