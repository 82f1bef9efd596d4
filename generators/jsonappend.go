package generators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// JSONAppender is a record that writes its own samples.jsonl line: exactly
// the bytes json.Marshal would write for it, without reflection. The
// writer uses it when a record has it; a generator that implements it
// should test the two against each other (see AppendJSONString).
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// TarJSONAppender is a JSONAppender that also writes its tar record
// (KEY.json, see the tar layout) itself: the bytes of its AppendJSON with
// every float-typed whole number given a fraction, which the tar writer
// would otherwise rewrite in a second pass over the JSON. A generator that
// implements it should hold it equal to TarJSON in a test.
type TarJSONAppender interface {
	JSONAppender
	AppendTarJSON(b []byte) ([]byte, error)
}

// TarJSON returns rec's tar record as the tar writer makes it for a record
// without AppendTarJSON: its samples.jsonl line (AppendJSON or
// json.Marshal) with every number in a float-typed place given a fraction
// or an exponent (0 as 0.0).
func TarJSON(rec any) ([]byte, error) {
	js, err := marshalRecord(rec, 0)
	if err != nil {
		return nil, err
	}
	return floatJSON(rec, js, nil)
}

// AppendTarJSONFloat is AppendJSONFloat for a tar record: a whole number
// is written with ".0" (45 as 45.0), as TarJSON writes it.
func AppendTarJSONFloat(b []byte, f float64) ([]byte, error) {
	n := len(b)
	b, err := AppendJSONFloat(b, f)
	if err == nil && !bytes.ContainsAny(b[n:], ".eE") {
		b = append(b, ".0"...)
	}
	return b, err
}

// marshalRecord is json.Marshal(rec), through the record's own appender
// when it has one, into a new slice of capacity sizeHint.
func marshalRecord(rec any, sizeHint int) ([]byte, error) {
	if a, ok := rec.(JSONAppender); ok {
		return a.AppendJSON(make([]byte, 0, sizeHint))
	}
	return json.Marshal(rec)
}

// AppendJSONString appends s as encoding/json writes a string: quoted,
// with <, > and & escaped for HTML. Plain printable ASCII is copied;
// anything else goes through encoding/json itself.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// AppendJSONFloat appends f as encoding/json writes a float64; NaN and
// infinities, which JSON lacks, are an error as there.
func AppendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 → e-9, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}
