package bench

import "image"

// AppendCHW appends img as three planes (channels first) of values in
// [0, 1], the layout models take.
func AppendCHW(dst []float32, img image.Image) []float32 {
	b := img.Bounds()
	n := b.Dx() * b.Dy()
	start := len(dst)
	dst = append(dst, make([]float32, 3*n)...)
	planes := dst[start:]
	if rgba, ok := img.(*image.RGBA); ok { // what PNG decoding gives for our images: no per-pixel interface calls
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := rgba.Pix[rgba.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				planes[i], planes[n+i], planes[2*n+i] = float32(row[4*x])/255, float32(row[4*x+1])/255, float32(row[4*x+2])/255
				i++
			}
		}
		return dst
	}
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			planes[i], planes[n+i], planes[2*n+i] = float32(r>>8)/255, float32(g>>8)/255, float32(bl>>8)/255
			i++
		}
	}
	return dst
}

// CHWImage turns channels-first values in [0, 1] into an image; one
// channel is drawn gray.
func CHWImage(x []float32, shape [3]int) image.Image {
	h, w := shape[1], shape[2]
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	plane := h * w
	for i := range plane {
		for c := range 3 {
			v := x[min(c, shape[0]-1)*plane+i]
			img.Pix[4*i+c] = uint8(min(max(v, 0), 1)*255 + 0.5)
		}
		img.Pix[4*i+3] = 255
	}
	return img
}

// Upscale enlarges im s times, each pixel a square of s×s.
func Upscale(im image.Image, s int) image.Image {
	b := im.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*s, b.Dy()*s))
	for y := range b.Dy() * s {
		for x := range b.Dx() * s {
			out.Set(x, y, im.At(b.Min.X+x/s, b.Min.Y+y/s))
		}
	}
	return out
}
