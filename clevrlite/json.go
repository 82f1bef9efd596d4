package clevrlite

import (
	"strconv"

	"github.com/hiddendim/hiddendim/generators"
)

// AppendJSON writes the record as json.Marshal does, without reflection:
// the writer spends less on a sample's 30 questions (TestAppendJSON holds
// the two equal).
func (ex *Example) AppendJSON(b []byte) ([]byte, error) {
	return ex.appendJSON(b, generators.AppendJSONFloat)
}

// AppendTarJSON writes the record as the tar writer would rewrite its
// AppendJSON, in one pass: whole floats with ".0" (TestAppendTarJSON
// holds it equal to generators.TarJSON).
func (ex *Example) AppendTarJSON(b []byte) ([]byte, error) {
	return ex.appendJSON(b, generators.AppendTarJSONFloat)
}

// appendJSON writes the record with float writing each float.
func (ex *Example) appendJSON(b []byte, float func([]byte, float64) ([]byte, error)) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = generators.AppendJSONString(b, ex.ID)
	b = append(b, `,"image":`...)
	b = generators.AppendJSONString(b, ex.Image)
	b = append(b, `,"mask":`...)
	b = generators.AppendJSONString(b, ex.Mask)
	b = append(b, `,"objects":`...)
	if ex.Objects == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range ex.Objects {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = ex.Objects[i].appendJSON(b, float); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"questions":`...)
	if ex.Questions == nil {
		return append(b, "null}"...), nil
	}
	b = append(b, '[')
	for i := range ex.Questions {
		if i > 0 {
			b = append(b, ',')
		}
		b = ex.Questions[i].appendJSON(b)
	}
	return append(b, "]}"...), nil
}

func (o *Object) appendJSON(b []byte, float func([]byte, float64) ([]byte, error)) ([]byte, error) {
	b = append(b, `{"color":`...)
	b = generators.AppendJSONString(b, o.Color)
	b = append(b, `,"shape":`...)
	b = generators.AppendJSONString(b, o.Shape)
	b = append(b, `,"center":[`...)
	var err error
	if b, err = float(b, o.Center[0]); err != nil {
		return b, err
	}
	b = append(b, ',')
	if b, err = float(b, o.Center[1]); err != nil {
		return b, err
	}
	b = append(b, `],"bbox":[`...)
	for i, v := range o.BBox {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	b = append(b, `],"size":`...)
	if b, err = float(b, o.Size); err != nil {
		return b, err
	}
	if o.SizeClass != "" {
		b = append(b, `,"size_class":`...)
		b = generators.AppendJSONString(b, o.SizeClass)
	}
	return append(b, '}'), nil
}

func (q *Question) appendJSON(b []byte) []byte {
	b = append(b, `{"family":`...)
	b = generators.AppendJSONString(b, q.Family)
	b = append(b, `,"type":`...)
	b = generators.AppendJSONString(b, q.Type)
	b = append(b, `,"text":`...)
	b = generators.AppendJSONString(b, q.Text)
	b = append(b, `,"program":`...)
	b = generators.AppendJSONString(b, q.Program)
	b = append(b, `,"answer":`...)
	b = generators.AppendJSONString(b, q.Answer)
	b = append(b, `,"answer_index":`...)
	b = strconv.AppendInt(b, int64(q.AnswerIndex), 10)
	b = append(b, `,"encoding":[`...)
	for i, v := range q.Encoding {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return append(b, "]}"...)
}
