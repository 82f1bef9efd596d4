package classify

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/draw"
	"gorgonia.org/tensor"

	"github.com/hiddendim/hiddendim/models"
)

// InspectOptions configure Inspect: the checkpoint, the dataset folder
// and split its samples come from, and the folder the pictures go to.
type InspectOptions struct {
	Checkpoint, Data, Split, Out string
	// N samples get activation maps; 0 means 4.
	N int
}

// Inspect writes what a classifier learned as pictures: the first layer's
// filters of each trunk (filters_<trunk>.png, each 3×3×3 filter as an RGB
// patch) and, for the first N samples of a split, the input and every
// channel of every convolution's ReLU output (activations_<i>.png, one row
// per layer). It returns the files written.
func Inspect(o InspectOptions) ([]string, error) {
	if o.N <= 0 {
		o.N = 4
	}
	c, meta, err := Load(o.Checkpoint)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	data, err := LoadLabeledImages(o.Data, o.Split, meta.Labels)
	if err != nil {
		return nil, err
	}
	if err := fits(meta, o.Data, data); err != nil {
		return nil, err
	}
	return drawLearned(c, data.Examples, o.N, o.Out)
}

// drawLearned writes the files Inspect describes for classifier c and the
// first n of examples into out.
func drawLearned(c *models.Classifier, ex *models.Examples, n int, out string) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	var files []string
	save := func(name string, img image.Image) error {
		p := filepath.Join(out, name)
		f, err := os.Create(p)
		if err != nil {
			return fmt.Errorf("classify: %w", err)
		}
		defer f.Close()
		files = append(files, p)
		return png.Encode(f, img)
	}
	for _, p := range c.Params() {
		if strings.HasSuffix(p.Name, ".conv1.w") {
			trunk, _, _ := strings.Cut(p.Name, ".")
			if err := save("filters_"+trunk+".png", filterGrid(p.Data(), p.Value.Shape()[0], ex.Shape[0])); err != nil {
				return nil, err
			}
		}
	}
	n = min(n, ex.Len())
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	acts, err := c.Activations(ex, idx)
	if err != nil {
		return nil, err
	}
	layers := make([]string, 0, len(acts))
	for name := range acts {
		layers = append(layers, name)
	}
	sort.Strings(layers)
	per := ex.Shape[0] * ex.Shape[1] * ex.Shape[2]
	for i := 0; i < n; i++ {
		img := activationSheet(ex.X[i*per:(i+1)*per], ex.Shape, layers, acts, i)
		if err := save(fmt.Sprintf("activations_%d.png", i), img); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// filterGrid draws out filters of 3×3 weights over inC channels, the first
// three channels as red, green and blue, each filter scaled to use the full
// range symmetrically around mid-gray (0 weight).
func filterGrid(w []float32, out, inC int) image.Image {
	const k, scale, pad = 3, 16, 4
	cols := min(out, 8)
	rows := (out + cols - 1) / cols
	img := image.NewRGBA(image.Rect(0, 0, cols*(k*scale+pad)+pad, rows*(k*scale+pad)+pad))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{40, 40, 40, 255}), image.Point{}, draw.Src)
	per := inC * k * k
	for f := 0; f < out; f++ {
		fw := w[f*per : (f+1)*per]
		var m float64
		for _, v := range fw {
			m = math.Max(m, math.Abs(float64(v)))
		}
		x0, y0 := pad+(f%cols)*(k*scale+pad), pad+(f/cols)*(k*scale+pad)
		for y := 0; y < k; y++ {
			for x := 0; x < k; x++ {
				var ch [3]uint8
				for c := 0; c < 3; c++ {
					v := 0.0
					if c < inC && m > 0 {
						v = float64(fw[c*k*k+y*k+x]) / m
					}
					ch[c] = uint8(math.Round(127.5 + 127.5*v))
				}
				r := image.Rect(x0+x*scale, y0+y*scale, x0+(x+1)*scale, y0+(y+1)*scale)
				draw.Draw(img, r, image.NewUniform(color.RGBA{ch[0], ch[1], ch[2], 255}), image.Point{}, draw.Src)
			}
		}
	}
	return img
}

// activationSheet draws one sample: its input on the first row, then a row
// per layer with each channel's map in grayscale (0 black, the layer's
// largest value for this sample white).
func activationSheet(x []float32, shape [3]int, layers []string, acts map[string]*tensor.Dense, i int) image.Image {
	const cell, pad, maxCols = 56, 3, 16
	rows := 1
	cols := 1
	for _, l := range layers {
		ch := acts[l].Shape()[1]
		rows += (ch + maxCols - 1) / maxCols
		cols = max(cols, min(ch, maxCols))
	}
	img := image.NewRGBA(image.Rect(0, 0, cols*(cell+pad)+pad, rows*(cell+pad)+pad))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{20, 20, 60, 255}), image.Point{}, draw.Src)
	// Input image.
	H, W := shape[1], shape[2]
	in := image.NewRGBA(image.Rect(0, 0, W, H))
	for y := 0; y < H; y++ {
		for xx := 0; xx < W; xx++ {
			p := y*W + xx
			in.SetRGBA(xx, y, color.RGBA{uint8(255 * x[p]), uint8(255 * x[H*W+p]), uint8(255 * x[2*H*W+p]), 255})
		}
	}
	draw.NearestNeighbor.Scale(img, image.Rect(pad, pad, pad+cell, pad+cell), in, in.Bounds(), draw.Src, nil)
	row := 1
	for _, l := range layers {
		t := acts[l]
		s := t.Shape()
		C, h, w := s[1], s[2], s[3]
		data := t.Data().([]float32)[i*C*h*w : (i+1)*C*h*w]
		var top float32
		for _, v := range data {
			top = max(top, v)
		}
		for c := 0; c < C; c++ {
			m := image.NewGray(image.Rect(0, 0, w, h))
			for p := 0; p < h*w; p++ {
				v := max(data[c*h*w+p], 0)
				if top > 0 {
					m.Pix[p] = uint8(math.Round(float64(255 * v / top)))
				}
			}
			r, col := row+c/maxCols, c%maxCols
			x0, y0 := pad+col*(cell+pad), pad+r*(cell+pad)
			draw.NearestNeighbor.Scale(img, image.Rect(x0, y0, x0+cell, y0+cell), m, m.Bounds(), draw.Src, nil)
		}
		row += (C + maxCols - 1) / maxCols
	}
	return img
}
