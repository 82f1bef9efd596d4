package webpages

// Pix2CodeState is where a token-by-token reading of pix2code's DSL
// stands: what ParsePix2Code would accept next. A decoder uses it to
// allow only tokens that keep the output a page (grammar-constrained
// decoding). Tokens are the DSL's words, with "{", "}" and "," words of
// their own (as PrintPix2Code spaces them). The zero value is the start
// of a page. It is a small value: copy it to branch (beam search).
type Pix2CodeState struct {
	at    grammarAt
	width string // the current row's column word
	cols  int    // the current row's columns closed
	items int    // the current list's elements
}

type grammarAt uint8

const (
	atStart      grammarAt = iota // want "header"
	atHeader                      // "header", want "{"
	atHeaderItem                  // want a header button
	atHeaderNext                  // after a header button: "," or "}"
	atTop                         // a page so far: "row", or the end
	atRow                         // "row", want "{"
	atRowWidth                    // in a row, want its column word
	atColumn                      // column word, want "{"
	atColumnItem                  // want a column element
	atColumnNext                  // after a column element: "," or "}"
	atRowNext                     // a column closed: the column word again, or "}" when the row is full
)

// The pix2code words by where they may stand.
var (
	pix2codeHeaderWords = []string{"btn-active", "btn-inactive"}
	pix2codeColumnWords = []string{"big-title", "small-title", "text", "btn-green", "btn-orange", "btn-red"}
	pix2codeWidthWords  = []string{"single", "double", "quadruple"}
)

// Pix2CodeWords lists every token of pix2code's DSL that
// Pix2CodeState can accept, in a fixed order.
func Pix2CodeWords() []string {
	ws := []string{"header", "row", "{", "}", ","}
	ws = append(ws, pix2codeHeaderWords...)
	ws = append(ws, pix2codeWidthWords...)
	return append(ws, pix2codeColumnWords...)
}

// Next returns the state after tok, and false (and s unchanged) if
// ParsePix2Code would refuse tok here.
func (s Pix2CodeState) Next(tok string) (Pix2CodeState, bool) {
	n := s
	switch s.at {
	case atStart:
		if tok != "header" {
			return s, false
		}
		n.at = atHeader
	case atHeader, atRow, atColumn:
		if tok != "{" {
			return s, false
		}
		n.at = opened(s.at)
		n.items = 0
	case atHeaderItem, atColumnItem:
		words, next := pix2codeHeaderWords, atHeaderNext
		if s.at == atColumnItem {
			words, next = pix2codeColumnWords, atColumnNext
		}
		if !oneOf(tok, words) {
			return s, false
		}
		n.at, n.items = next, s.items+1
	case atHeaderNext, atColumnNext:
		switch tok {
		case ",":
			n.at = atColumnItem
			if s.at == atHeaderNext {
				n.at = atHeaderItem
			}
		case "}":
			if s.at == atHeaderNext {
				n.at = atTop
			} else {
				n.at, n.cols = atRowNext, s.cols+1
			}
		default:
			return s, false
		}
	case atTop:
		if tok != "row" {
			return s, false
		}
		n.at = atRow
	case atRowWidth:
		if !oneOf(tok, pix2codeWidthWords) {
			return s, false
		}
		n.at, n.width, n.cols = atColumn, tok, 0
	case atRowNext:
		full := s.cols == pix2codeColumns[s.width]
		switch {
		case full && tok == "}":
			n.at, n.width, n.cols = atTop, "", 0
		case !full && tok == s.width:
			n.at = atColumn
		default:
			return s, false
		}
	default:
		return s, false
	}
	return n, true
}

// opened is where a "{" after a header, row or column word leads: to its
// first item.
func opened(at grammarAt) grammarAt {
	switch at {
	case atHeader:
		return atHeaderItem
	case atRow:
		return atRowWidth
	}
	return atColumnItem
}

// Allows reports whether tok may come next.
func (s Pix2CodeState) Allows(tok string) bool {
	_, ok := s.Next(tok)
	return ok
}

// CanEnd reports whether the tokens so far are a whole page.
func (s Pix2CodeState) CanEnd() bool { return s.at == atTop }

// ToEnd is the fewest tokens that make the tokens so far a whole page:
// a decoder with k steps left may take tok only if 1 + the ToEnd of the
// state after it is at most k, and then every output it ends parses.
func (s Pix2CodeState) ToEnd() int {
	// A column is at least "W { x }" (4 tokens), its row's close 1.
	rest := func(closed int) int { return 4*(pix2codeColumns[s.width]-closed) + 1 }
	switch s.at {
	case atStart:
		return 4 // header { btn-active }
	case atHeader:
		return 3
	case atHeaderItem:
		return 2
	case atHeaderNext:
		return 1
	case atTop:
		return 0
	case atRow:
		return 6 // { single { x } }
	case atRowWidth:
		return 5 // single { x } }
	case atColumn:
		return rest(s.cols) - 1 // the column word is taken
	case atColumnItem:
		return rest(s.cols) - 2
	case atColumnNext:
		return rest(s.cols) - 3
	case atRowNext:
		return rest(s.cols)
	}
	return 0
}

func oneOf(w string, ws []string) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}
