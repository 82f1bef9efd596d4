package generators

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/fogleman/gg"
	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// SheetOptions configure ContactSheet.
type SheetOptions struct {
	// Split to draw from; "" means the first split.
	Split string
	// N samples, from the first; 0 means 64.
	N int
	// Columns; 0 means 8.
	Columns int
}

// ContactSheet draws the first samples of a dataset on one image, each
// enlarged to at least 96 pixels with nearest-neighbour scaling, its mask's
// outline in yellow, and its caption (or id) beneath: a picture for a person
// to check the data by eye.
func ContactSheet(r *Reader, opt SheetOptions) (*image.RGBA, error) {
	if opt.N <= 0 {
		opt.N = 64
	}
	if opt.Columns <= 0 {
		opt.Columns = 8
	}
	if opt.Split == "" {
		opt.Split = r.Manifest.SplitOrder[0]
	}
	var imageField, maskField string
	size := 0
	for _, f := range r.Manifest.Features {
		if f.Kind == ImageFeature && imageField == "" {
			imageField = f.Name
			size = max(f.Shape[0], f.Shape[1])
		}
		if f.Kind == MaskFeature && maskField == "" {
			maskField = f.Name
		}
	}
	if imageField == "" {
		return nil, fmt.Errorf("generators: %s has no image feature to show", r.Dir)
	}
	sr, err := r.Split(opt.Split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	n := min(opt.N, sr.Len())
	if n == 0 {
		return nil, fmt.Errorf("generators: split %q is empty", opt.Split)
	}
	scale := max(1, int(math.Ceil(96/float64(size))))
	cell := size * scale
	const captionH = 18
	cols := min(opt.Columns, n)
	rows := (n + cols - 1) / cols
	pad := 4
	W, H := cols*(cell+pad)+pad, rows*(cell+captionH+pad)+pad
	dc := gg.NewContext(W, H)
	dc.SetRGB255(40, 40, 40)
	dc.Clear()
	face, err := sheetFace()
	if err != nil {
		return nil, err
	}
	dc.SetFontFace(face)
	sheet := dc.Image().(*image.RGBA)
	for i := 0; i < n && sr.Next(); i++ {
		rec := sr.Record()
		x0, y0 := pad+(i%cols)*(cell+pad), pad+(i/cols)*(cell+captionH+pad)
		img, err := rec.Image(imageField)
		if err != nil {
			return nil, err
		}
		dst := image.Rect(x0, y0, x0+cell, y0+cell)
		draw.NearestNeighbor.Scale(sheet, dst, img, img.Bounds(), draw.Src, nil)
		if maskField != "" {
			mask, err := rec.Image(maskField)
			if err != nil {
				return nil, err
			}
			outline(sheet, mask, x0, y0, scale)
		}
		var fields struct {
			ID      string `json:"id"`
			Caption string `json:"caption"`
		}
		json.Unmarshal(rec.JSON, &fields)
		label := fields.Caption
		if label == "" {
			label = fields.ID
		}
		for runes := []rune(label); len(runes) > 3; {
			if w, _ := dc.MeasureString(label); w <= float64(cell) {
				break
			}
			runes = append(runes[:len(runes)-2], '…')
			label = string(runes)
		}
		dc.SetRGB255(230, 230, 230)
		dc.DrawString(label, float64(x0), float64(y0+cell+captionH-5))
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	return sheet, nil
}

// outline marks, on the enlarged image at (x0, y0), every pixel edge where
// the mask value changes.
func outline(dst *image.RGBA, mask image.Image, x0, y0, scale int) {
	b := mask.Bounds()
	val := func(x, y int) uint32 {
		if !(image.Point{x, y}).In(b) {
			return 0
		}
		v, _, _, _ := mask.At(x, y).RGBA()
		return v
	}
	yellow := color.RGBA{255, 230, 0, 255}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := val(x, y)
			if v == 0 {
				continue
			}
			px, py := x0+(x-b.Min.X)*scale, y0+(y-b.Min.Y)*scale
			for k := 0; k < scale; k++ {
				if val(x-1, y) != v {
					dst.SetRGBA(px, py+k, yellow)
				}
				if val(x+1, y) != v {
					dst.SetRGBA(px+scale-1, py+k, yellow)
				}
				if val(x, y-1) != v {
					dst.SetRGBA(px+k, py, yellow)
				}
				if val(x, y+1) != v {
					dst.SetRGBA(px+k, py+scale-1, yellow)
				}
			}
		}
	}
}

// sheetFace is the embedded Go font, so pictures never depend on the system.
func sheetFace() (font.Face, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: 11, DPI: 72, Hinting: font.HintingFull})
}
