package clevrlite

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// The README's numpy mapping to the reference's data lies between these.
const (
	clientBegin = "<!-- clevrlite-reference-client:begin -->\n```python\n"
	clientEnd   = "```\n<!-- clevrlite-reference-client:end -->"
)

// requireNumPy is the environment variable that makes TestReferenceClient
// fail, not skip, without Python and NumPy (CI sets it).
const requireNumPy = "HIDDENDIM_REQUIRE_NUMPY"

// pythonWithNumPy returns a Python that imports numpy: Debian's
// /usr/bin/python3 (apt-get install python3-numpy) or python3 on PATH.
func pythonWithNumPy(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(py, "-c", "import numpy").Run(); err == nil {
			return py
		}
	}
	msg := "no python3 with numpy (/usr/bin/python3 or on PATH): apt-get install -y python3-numpy"
	if os.Getenv(requireNumPy) != "" {
		t.Fatalf("%s, and %s is set", msg, requireNumPy)
	}
	t.Skipf("%s; set %s to make this a failure", msg, requireNumPy)
	return ""
}

// TestReferenceClient runs the README's numpy lines, as written there, on
// a generated data.npz and checks what they make against the Go side:
// every image as float64 BGR in [0, 1], per image the ternary, binary and
// non-relational lists of question vectors and answer indices, and the
// question texts and programs as numpy '<U' strings.
func TestReferenceClient(t *testing.T) {
	py := pythonWithNumPy(t)
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(readme, []byte(clientBegin)), bytes.Index(readme, []byte(clientEnd))
	if i < 0 || j < i {
		t.Fatalf("README.md has no numpy block between %q and %q", clientBegin, clientEnd)
	}
	script := string(readme[i+len(clientBegin):j]) + `
import json, sys
ref = to_reference(sys.argv[1])
d = np.load(sys.argv[1])
json.dump({
    "images": [{"dtype": str(e[0].dtype), "pixels": e[0].tolist(),
                "groups": [{"questions": [[float(x) for x in q] for q in g[0]], "answers": g[1],
                            "types": sorted({type(a).__name__ for a in g[1]} | {str(q.dtype) for q in g[0]})} for g in e[1:]]}
               for e in ref],
    "texts": d["question_texts"].tolist(), "programs": d["question_programs"].tolist(),
    "string_dtypes": [str(d["question_texts"].dtype), str(d["question_programs"].dtype)],
}, sys.stdout)
`
	dir := t.TempDir()
	spec := generators.Spec{Dataset: SortOfCLEVR{}, Seed: 3, Splits: []generators.SplitSize{{Name: "test", Count: 6}}}
	for _, f := range []generators.Format{generators.FormatPNG, generators.FormatNPZ} {
		if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: filepath.Join(dir, string(f)), Format: f}); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(py, "-c", script, filepath.Join(dir, "npz", "test", "data.npz"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the README's numpy lines: %v\n%s", err, stderr.String())
	}
	var got struct {
		Images []struct {
			Dtype  string         `json:"dtype"`
			Pixels [][][3]float64 `json:"pixels"`
			Groups []struct {
				Questions [][18]float64 `json:"questions"`
				Answers   []int         `json:"answers"`
				Types     []string      `json:"types"`
			} `json:"groups"`
		} `json:"images"`
		Texts, Programs [][]string
		StringDtypes    []string `json:"string_dtypes"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for _, dt := range got.StringDtypes {
		if !strings.HasPrefix(dt, "<U") {
			t.Errorf("question strings have dtype %s, want <U…", dt)
		}
	}

	r, err := generators.Open(filepath.Join(dir, "png"))
	if err != nil {
		t.Fatal(err)
	}
	sr, err := r.Split("test")
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	n := 0
	for ; sr.Next(); n++ {
		if n >= len(got.Images) {
			t.Fatalf("numpy made %d images; the split has more", len(got.Images))
		}
		var ex Example
		if err := sr.Record().Decode(&ex); err != nil {
			t.Fatal(err)
		}
		img, err := sr.Record().Image("image")
		if err != nil {
			t.Fatal(err)
		}
		g := got.Images[n]
		if g.Dtype != "float64" || len(g.Pixels) != 75 || len(g.Pixels[0]) != 75 {
			t.Fatalf("image %d: %s, %d rows", n, g.Dtype, len(g.Pixels))
		}
		nonWhite := 0
		for y, row := range g.Pixels {
			for x, px := range row {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				want := [3]float64{float64(c.B) / 255, float64(c.G) / 255, float64(c.R) / 255} // BGR
				if px != want {
					t.Fatalf("image %d pixel (%d, %d): numpy %v, want BGR %v of RGB %v", n, x, y, px, want, c)
				}
				if c.R != 255 || c.G != 255 || c.B != 255 {
					nonWhite++
				}
			}
		}
		if nonWhite < 6*81 {
			t.Fatalf("image %d: only %d colored pixels", n, nonWhite)
		}
		if len(g.Groups) != 3 {
			t.Fatalf("image %d: %d groups, want ternary, binary, non-relational", n, len(g.Groups))
		}
		for k, typ := range []string{"ternary", "binary", "non_relational"} {
			var wantQ [][18]float64
			var wantA []int
			for _, q := range ex.Questions {
				if q.Type == typ {
					var v [18]float64
					for e, b := range q.Encoding {
						v[e] = float64(b)
					}
					wantQ, wantA = append(wantQ, v), append(wantA, q.AnswerIndex)
				}
			}
			gr := g.Groups[k]
			if len(wantQ) != 10 || !slices.Equal(gr.Questions, wantQ) || !slices.Equal(gr.Answers, wantA) {
				t.Fatalf("image %d %s: numpy %v → %v, want %v → %v", n, typ, gr.Questions, gr.Answers, wantQ, wantA)
			}
			if strings.Join(gr.Types, ",") != "float64,int" {
				t.Errorf("image %d %s: element types %v, want float64 vectors and int answers", n, typ, gr.Types)
			}
		}
		for qi, q := range ex.Questions {
			if got.Texts[n][qi] != q.Text || got.Programs[n][qi] != q.Program {
				t.Fatalf("image %d question %d: numpy %q %q, want %q %q", n, qi, got.Texts[n][qi], got.Programs[n][qi], q.Text, q.Program)
			}
		}
	}
	if err := sr.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(got.Images) || n != 6 {
		t.Fatalf("numpy made %d images of %d", len(got.Images), n)
	}
}
