package generators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// cardMark is in every card hiddendim writes: Write clears a card that has
// it and refuses a folder with any other README.md.
const cardMark = "generator: hiddendim"

// CardLicense is the license the card states. The samples are generated,
// not collected; the project states no license for them yet, and Hugging
// Face's "unknown" says exactly that.
const CardLicense = "unknown"

// hfFeature is a Hugging Face datasets feature.
type hfFeature struct {
	kind   string // "Value", "Image", "ClassLabel", "List", "struct"
	dtype  string
	names  []string
	elem   *hfFeature
	fields []hfField
}

type hfField struct {
	name string
	f    *hfFeature
}

// hfFeatures maps a manifest's parquet layout to Hugging Face features, in
// the files' column order (by name, as parquet groups are written): label
// features become ClassLabel where their vocabulary is declared.
func hfFeatures(m *Manifest) (*hfFeature, error) {
	if m.Parquet == nil || m.Parquet.Layout == nil {
		return nil, fmt.Errorf("generators: %s manifest has no parquet layout", m.Dataset)
	}
	vocab := map[string][]string{}
	for _, f := range m.Features {
		if f.Kind == LabelFeature && len(f.Vocab) > 0 {
			vocab[f.Name] = f.Vocab
		}
	}
	root := hfOf(m.Parquet.Layout)
	for _, f := range root.fields {
		if v, ok := vocab[f.name]; ok && f.f.kind == "Value" && f.f.dtype == "string" {
			f.f.kind, f.f.names = "ClassLabel", v
		}
	}
	return root, nil
}

func hfOf(n *ParquetNode) *hfFeature {
	value := func(d string) *hfFeature { return &hfFeature{kind: "Value", dtype: d} }
	switch n.Type {
	case "string", "json":
		return value("string")
	case "int":
		return value("int64")
	case "float":
		return value("float64")
	case "bool":
		return value("bool")
	case "image":
		return &hfFeature{kind: "Image"}
	case "blob":
		return &hfFeature{kind: "struct", fields: []hfField{{"bytes", value("binary")}, {"path", value("string")}}}
	case "list":
		return &hfFeature{kind: "List", elem: hfOf(n.Elem)}
	}
	// struct or tree
	s := &hfFeature{kind: "struct"}
	for _, f := range n.Fields {
		if f.Type != "children" {
			s.fields = append(s.fields, hfField{f.Name, hfOf(f)})
		}
	}
	if n.Type == "tree" {
		s.fields = append(s.fields, hfField{parquetParent, value("int64")})
	}
	slices.SortFunc(s.fields, func(a, b hfField) int { return strings.Compare(a.name, b.name) })
	if n.Type == "tree" {
		return &hfFeature{kind: "List", elem: s}
	}
	return s
}

// dict is the feature as datasets' Features.to_dict writes it (the
// "huggingface" metadata of a parquet file).
func (f *hfFeature) dict(b *bytes.Buffer) {
	switch f.kind {
	case "Value":
		fmt.Fprintf(b, `{"dtype":%q,"_type":"Value"}`, f.dtype)
	case "Image":
		b.WriteString(`{"_type":"Image"}`)
	case "ClassLabel":
		names, _ := json.Marshal(f.names)
		fmt.Fprintf(b, `{"names":%s,"_type":"ClassLabel"}`, names)
	case "List":
		b.WriteString(`{"feature":`)
		f.elem.dict(b)
		b.WriteString(`,"_type":"List"}`)
	case "struct":
		b.WriteByte('{')
		for i, fd := range f.fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(AppendJSONString(nil, fd.name))
			b.WriteByte(':')
			fd.f.dict(b)
		}
		b.WriteByte('}')
	}
}

func hfFeaturesJSON(m *Manifest) (string, error) {
	root, err := hfFeatures(m)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	b.WriteString(`{"info":{"features":`)
	root.dict(&b)
	b.WriteString(`}}`)
	return b.String(), nil
}

// yaml writes the feature's entry in a card's dataset_info.features list,
// as datasets' Features._to_yaml_list does, indented by ind.
func (f *hfFeature) yaml(b *strings.Builder, name, ind string) {
	fmt.Fprintf(b, "%s- name: %s\n", ind, yq(name))
	f.yamlBody(b, ind+"  ")
}

func (f *hfFeature) yamlBody(b *strings.Builder, ind string) {
	switch f.kind {
	case "Value":
		fmt.Fprintf(b, "%sdtype: %s\n", ind, f.dtype)
	case "Image":
		fmt.Fprintf(b, "%sdtype: image\n", ind)
	case "ClassLabel":
		fmt.Fprintf(b, "%sdtype:\n%s  class_label:\n%s    names:\n", ind, ind, ind)
		for i, n := range f.names {
			fmt.Fprintf(b, "%s      '%d': %s\n", ind, i, yq(n))
		}
	case "List":
		switch e := f.elem; e.kind {
		case "Value":
			fmt.Fprintf(b, "%slist: %s\n", ind, e.dtype)
		case "Image":
			fmt.Fprintf(b, "%slist: image\n", ind)
		case "struct":
			fmt.Fprintf(b, "%slist:\n", ind)
			for _, fd := range e.fields {
				fd.f.yaml(b, fd.name, ind)
			}
		default:
			fmt.Fprintf(b, "%slist:\n", ind)
			e.yamlBody(b, ind+"  ")
		}
	case "struct":
		fmt.Fprintf(b, "%sstruct:\n", ind)
		for _, fd := range f.fields {
			fd.f.yaml(b, fd.name, ind)
		}
	}
}

// yq quotes s for YAML as a JSON string, which YAML reads as it is.
func yq(s string) string { return string(AppendJSONString(nil, s)) }

// Card returns the dataset card of a parquet dataset: YAML front matter
// that Hugging Face datasets reads (features, splits, data files, license)
// and hiddendim's provenance (generator, version, config, seed), then a
// short description. It depends on the manifest alone, so Verify can check
// it.
func Card(m *Manifest) (string, error) {
	root, err := hfFeatures(m)
	if err != nil {
		return "", err
	}
	// The manifest indents its config; the card holds it on one line.
	var cfg bytes.Buffer
	if err := json.Compact(&cfg, m.Config); err != nil {
		return "", fmt.Errorf("generators: %s config: %w", m.Dataset, err)
	}
	var b strings.Builder
	b.WriteString("---\n")
	fmt.Fprintf(&b, "license: %s\n", CardLicense)
	fmt.Fprintf(&b, "pretty_name: %s\n", yq("hiddendim "+m.Dataset))
	b.WriteString("tags:\n- synthetic\n- hiddendim\n")
	b.WriteString("dataset_info:\n  features:\n")
	for _, f := range root.fields {
		f.f.yaml(&b, f.name, "  ")
	}
	b.WriteString("  splits:\n")
	for _, s := range m.SplitOrder {
		fmt.Fprintf(&b, "  - name: %s\n    num_bytes: %d\n    num_examples: %d\n", yq(s), m.Parquet.Bytes[s], m.Splits[s].Count)
	}
	b.WriteString("configs:\n- config_name: default\n  data_files:\n")
	for _, s := range m.SplitOrder {
		fmt.Fprintf(&b, "  - split: %s\n    path: %s\n", yq(s), yq(ParquetDir+"/"+s+"-[0-9][0-9][0-9][0-9][0-9]-of-*.parquet"))
	}
	// The provenance, which datasets keeps as extra card data.
	fmt.Fprintf(&b, "%s\n", cardMark)
	fmt.Fprintf(&b, "hiddendim:\n  dataset: %s\n  version: %s\n  seed: %d\n  config_sha256: %s\n  config: %s\n",
		yq(m.Dataset), yq(m.Version), m.Seed, yq(m.ConfigSHA256), yq(cfg.String()))
	if m.Shard != nil {
		fmt.Fprintf(&b, "  shard: %d/%d\n", m.Shard.Index, m.Shard.Count)
	}
	b.WriteString("---\n\n")
	fmt.Fprintf(&b, "# hiddendim %s %s\n\n", m.Dataset, m.Version)
	fmt.Fprintf(&b, "Generated by hiddendim: dataset %s, version %s, seed %d, config sha256 %s. "+
		"Regenerate it with `hiddendim generate %s --seed %d --format parquet` and this config:\n\n```json\n%s\n```\n\n",
		m.Dataset, m.Version, m.Seed, m.ConfigSHA256, m.Dataset, m.Seed, cfg.String())
	b.WriteString("## Features\n\n| name | what it holds |\n|---|---|\n")
	for _, f := range m.Features {
		if f.NPZ == NPZOnly {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s |\n", f.Name, strings.ReplaceAll(f.Doc, "|", `\|`))
	}
	b.WriteString("\nImages are {bytes, path} structs (PNG bytes; the path the png format would use). " +
		"A list of objects or relations is a list of structs; an element tree is stored depth first as a " +
		"list of its nodes, each with `parent`, the index of its parent node (−1 for the root).\n\n")
	b.WriteString("## Splits\n\n| split | samples |\n|---|---|\n")
	for _, s := range m.SplitOrder {
		fmt.Fprintf(&b, "| %s | %s |\n", s, strconv.Itoa(m.Splits[s].Count))
	}
	b.WriteString("\n## Loading\n\n```python\nfrom datasets import load_dataset\nds = load_dataset(\"parquet\", data_dir=\"data\")  # or load_dataset(\"path/to/this/folder\")\n```\n")
	return b.String(), nil
}
