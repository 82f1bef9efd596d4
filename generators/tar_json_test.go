package generators

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type floatInner struct {
	X     float64   `json:"x"`
	N     int       `json:"n"`
	Ys    []float32 `json:"ys,omitempty"`
	Label string    `json:"label"`
}

type floatEmbedded struct {
	E float64 `json:"e"`
}

type floatRecord struct {
	floatEmbedded
	ID      string                  `json:"id"`
	Rot     float64                 `json:"rotation"`
	Center  [2]float64              `json:"center"`
	Box     [4]int                  `json:"bbox"`
	Objects []floatInner            `json:"objects"`
	Ptr     *float64                `json:"ptr"`
	ByName  map[string]float64      `json:"by_name"`
	Any     any                     `json:"any"`
	When    time.Time               `json:"when"`
	Raw     json.RawMessage         `json:"raw"`
	Bytes   []byte                  `json:"bytes"`
	Nested  map[string][]floatInner `json:"nested"`
	NoTag   float64
	Skip    float64 `json:"-"`
}

func TestFloatJSON(t *testing.T) {
	two := 2.0
	rec := floatRecord{
		floatEmbedded: floatEmbedded{E: 7}, ID: `a "0" [1], {2}: 3`, Rot: 0, Center: [2]float64{14, 14.5}, Box: [4]int{1, 2, 3, 4},
		Objects: []floatInner{{X: -3, N: 5, Ys: []float32{1, 1.5}, Label: `\"9`}, {X: 1e-7, N: -1}},
		Ptr:     &two, ByName: map[string]float64{"b": 1, "a": 0.25}, Any: 3.0, When: time.Unix(0, 0).UTC(),
		Raw: json.RawMessage(`{"x":1}`), Bytes: []byte{1, 2, 3}, Nested: map[string][]floatInner{"k": {{X: 8}}}, NoTag: 4, Skip: 5,
	}
	js, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := floatJSON(rec, js, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"e":7.0,"id":"a \"0\" [1], {2}: 3","rotation":0.0,"center":[14.0,14.5],"bbox":[1,2,3,4],` +
		`"objects":[{"x":-3.0,"n":5,"ys":[1.0,1.5],"label":"\\\"9"},{"x":1e-7,"n":-1,"label":""}],"ptr":2.0,` +
		`"by_name":{"a":0.25,"b":1.0},"any":3,"when":"1970-01-01T00:00:00Z","raw":{"x":1},"bytes":"AQID",` +
		`"nested":{"k":[{"x":8.0,"n":0,"label":""}]},"NoTag":4.0}`
	if string(got) != want {
		t.Errorf("floatJSON\n got %s\nwant %s", got, want)
	}
	// A nil pointer, a nil slice and a record behind a pointer.
	rec2 := &floatRecord{Rot: 90}
	js, _ = json.Marshal(rec2)
	got, err = floatJSON(rec2, js, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"rotation":90.0,`) || !strings.Contains(string(got), `"ptr":null`) || !strings.Contains(string(got), `"objects":null`) {
		t.Errorf("floatJSON of a pointer: %s", got)
	}
}

// FuzzFloatJSON: the rewritten JSON holds the same values, and every
// float-typed number has a fraction or an exponent.
func FuzzFloatJSON(f *testing.F) {
	f.Add(0.0, int64(3), "x", 1.5)
	f.Add(-12.0, int64(-1), `"]}\u2028`, 1e21)
	f.Fuzz(func(t *testing.T, a float64, n int64, s string, b float64) {
		if math.IsNaN(a) || math.IsInf(a, 0) || math.IsNaN(b) || math.IsInf(b, 0) {
			return
		}
		rec := floatRecord{ID: s, Rot: a, Center: [2]float64{b, a}, Objects: []floatInner{{X: b, N: int(n), Label: s}},
			ByName: map[string]float64{s: a}}
		js, err := json.Marshal(rec)
		if err != nil {
			t.Skip()
		}
		got, err := floatJSON(rec, js, nil)
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		var v1, v2 floatRecord
		if err := json.Unmarshal(js, &v1); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &v2); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if !reflect.DeepEqual(v1, v2) {
			t.Fatalf("values changed:\n%s\n%s", js, got)
		}
		var tree map[string]any
		dec := json.NewDecoder(strings.NewReader(string(got)))
		dec.UseNumber()
		if err := dec.Decode(&tree); err != nil {
			t.Fatal(err)
		}
		if r := tree["rotation"].(json.Number).String(); !strings.ContainsAny(r, ".eE") {
			t.Fatalf("rotation %s has no fraction", r)
		}
	})
}

// BenchmarkFloatJSON rewrites a shapes record, as the tar writer does for
// every sample.
func BenchmarkFloatJSON(b *testing.B) {
	s, err := Shapes{}.New(Shapes{}.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	smp, err := s.NewRenderer().Render(SampleKey{Seed: 1, Split: "train", Index: 3}, NewSampleRand(1, "train", 3))
	if err != nil {
		b.Fatal(err)
	}
	js, _ := json.Marshal(smp.Record)
	cache := &jsonTypes{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := floatJSON(smp.Record, js, cache); err != nil {
			b.Fatal(err)
		}
	}
}

// floatTree is a recursive type with a float deep inside; intTree one
// without.
type floatTree struct {
	Kids []*floatTree `json:"kids"`
	Leaf *floatInner  `json:"leaf"`
}

type intTree struct {
	N    int        `json:"n"`
	Kids []*intTree `json:"kids"`
	Tags []string   `json:"tags"`
}

// loop and pool reach each other; only pool's side holds a float.
type loop struct {
	P []pool `json:"p"`
}

type pool struct {
	L []loop  `json:"l"`
	F float32 `json:"f"`
}

func TestHasFloats(t *testing.T) {
	tests := []struct {
		t    reflect.Type
		want bool
	}{
		{reflect.TypeFor[floatRecord](), true},
		{reflect.TypeFor[floatInner](), true},
		{reflect.TypeFor[floatTree](), true},
		{reflect.TypeFor[intTree](), false},
		{reflect.TypeFor[loop](), true},
		{reflect.TypeFor[[]pool](), true},
		{reflect.TypeFor[map[string]*float64](), true},
		{reflect.TypeFor[[][4]int](), false},
		{reflect.TypeFor[time.Time](), false},       // writes its own JSON
		{reflect.TypeFor[any](), false},             // copied as it is
		{reflect.TypeFor[json.RawMessage](), false}, // likewise
		{reflect.TypeFor[struct {
			Skip float64 `json:"-"`
			N    int
		}](), false},
	}
	for _, tt := range tests {
		p := floatPatcher{types: &jsonTypes{}}
		for pass := range 2 { // the second from the cache
			if got := p.hasFloats(tt.t); got != tt.want {
				t.Errorf("hasFloats(%v), pass %d = %v, want %v", tt.t, pass, got, tt.want)
			}
		}
	}
	// A value whose type has no floats is copied as it is, whole numbers
	// and all; the same numbers in a float's place gain their fraction.
	rec := struct {
		Ints intTree   `json:"ints"`
		Fs   floatTree `json:"fs"`
	}{intTree{N: 3, Kids: []*intTree{{N: 4}}}, floatTree{Kids: []*floatTree{{Leaf: &floatInner{X: 4, N: 4}}}}}
	js, _ := json.Marshal(rec)
	got, err := floatJSON(rec, js, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ints":{"n":3,"kids":[{"n":4,"kids":null,"tags":null}],"tags":null},` +
		`"fs":{"kids":[{"kids":null,"leaf":{"x":4.0,"n":4,"label":""}}],"leaf":null}}`
	if string(got) != want {
		t.Errorf("floatJSON\n got %s\nwant %s", got, want)
	}
}

func TestAppendTarJSONFloat(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{{0, "0.0"}, {-12, "-12.0"}, {12.5, "12.5"}, {1e20, "100000000000000000000.0"}, {1e21, "1e+21"}, {1e-7, "1e-7"}, {-0.25, "-0.25"}} {
		got, err := AppendTarJSONFloat([]byte("x"), tt.f)
		if err != nil || string(got) != "x"+tt.want {
			t.Errorf("AppendTarJSONFloat(%v) = %s, %v; want x%s", tt.f, got, err, tt.want)
		}
		// The rewrite of the plain JSON number agrees.
		js, _ := AppendJSONFloat(nil, tt.f)
		if re, err := floatJSON(tt.f, js, nil); err != nil || string(re) != tt.want {
			t.Errorf("floatJSON(%s) = %s, %v; want %s", js, re, err, tt.want)
		}
	}
	if _, err := AppendTarJSONFloat(nil, math.Inf(1)); err == nil {
		t.Error("+Inf: no error")
	}
}
