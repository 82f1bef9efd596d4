package generators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"slices"
)

// tarImage decodes the PNG member of a tar sample's image or mask field.
func (r Record) tarImage(field string) (image.Image, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(r.JSON, &fields); err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	var rel string
	if err := json.Unmarshal(fields[field], &rel); err != nil || rel == "" {
		return nil, fmt.Errorf("generators: sample %d has no image field %q", r.Index, field)
	}
	return r.tarDecode(field, rel)
}

// tarFile decodes the PNG member of the file at rel, which one of the
// record's fields names, alone or in a list.
func (r Record) tarFile(rel string) (image.Image, error) {
	field, err := r.tarField(rel)
	if err != nil {
		return nil, err
	}
	return r.tarDecode(field, rel)
}

// tarBytes returns the member of the file at rel as it is.
func (r Record) tarBytes(rel string) ([]byte, error) {
	field, err := r.tarField(rel)
	if err != nil {
		return nil, err
	}
	name := TarMember(r.tar.key, field, rel)
	b, ok := r.tar.member(name)
	if !ok {
		return nil, fmt.Errorf("generators: %s: sample %s has no member %s (for %s)", r.tar.file, r.tar.key, name, rel)
	}
	return b, nil
}

// tarField returns the record's field that names rel, alone or in a list.
func (r Record) tarField(rel string) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(r.JSON, &fields); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var one string
		var list []string
		if json.Unmarshal(fields[k], &one) == nil && one == rel ||
			json.Unmarshal(fields[k], &list) == nil && slices.Contains(list, rel) {
			return k, nil
		}
	}
	return "", fmt.Errorf("generators: sample %d: no field of its record names %q", r.Index, rel)
}

func (r Record) tarDecode(field, rel string) (image.Image, error) {
	name := TarMember(r.tar.key, field, rel)
	b, ok := r.tar.member(name)
	if !ok {
		return nil, fmt.Errorf("generators: %s: sample %s has no member %s (for %s)", r.tar.file, r.tar.key, name, rel)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("generators: %s: %s: %w", r.tar.file, name, err)
	}
	return img, nil
}
