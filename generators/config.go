package generators

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ConfigKey describes one settable config key.
type ConfigKey struct {
	Name    string // the json tag
	Type    string // int, float, bool, string, list
	Default string // the value in the config it was read from
	Help    string // the field's help tag
}

// ConfigKeys lists cfg's keys in field order, with their current values as
// defaults. cfg must be a pointer to a struct; anything else panics.
func ConfigKeys(cfg Config) []ConfigKey {
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	var keys []ConfigKey
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		keys = append(keys, ConfigKey{Name: name, Type: typeName(f.Type), Default: formatValue(v.Field(i)), Help: f.Tag.Get("help")})
	}
	return keys
}

// SetConfig sets key to value in cfg, parsing value by the field's type:
// integers, floats, booleans (true/false), strings, comma-separated lists, or
// any type implementing encoding.TextUnmarshaler. An unknown key or a
// malformed value returns an error that names the known keys or the
// expected form. It does not validate the whole config; call Validate.
func SetConfig(cfg Config, key, value string) error {
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if jsonName(t.Field(i)) == key {
			if err := parseInto(v.Field(i), value); err != nil {
				return fmt.Errorf("generators: --set %s=%q: %w", key, value, err)
			}
			return nil
		}
	}
	names := make([]string, 0)
	for _, k := range ConfigKeys(cfg) {
		names = append(names, k.Name)
	}
	return fmt.Errorf("generators: unknown config key %q; known: %s", key, strings.Join(names, ", "))
}

// ParseSetting splits "key=value".
func ParseSetting(s string) (key, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return "", "", fmt.Errorf("generators: setting %q is not key=value", s)
	}
	return key, value, nil
}

// ConfigHash is the sha256 of the config's canonical JSON, in hex.
func ConfigHash(cfg Config) string {
	b, err := json.Marshal(cfg)
	if err != nil {
		panic("generators: config does not marshal: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func typeName(t reflect.Type) string {
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "string"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "int"
	case reflect.Float64, reflect.Float32:
		return "float"
	case reflect.Bool:
		return "bool"
	case reflect.Slice:
		return "list"
	}
	return "string"
}

func formatValue(v reflect.Value) string {
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, _ := m.MarshalText()
		return string(b)
	}
	switch v.Kind() {
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatValue(v.Index(i))
		}
		return strings.Join(parts, ",")
	case reflect.Float64, reflect.Float32:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}

func parseInto(v reflect.Value, s string) error {
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
			return u.UnmarshalText([]byte(strings.TrimSpace(s)))
		}
	}
	s = strings.TrimSpace(s)
	switch v.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		v.SetInt(n)
	case reflect.Float64, reflect.Float32:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		v.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		v.SetBool(b)
	case reflect.String:
		v.SetString(s)
	case reflect.Slice:
		var parts []string
		if s != "" {
			parts = strings.Split(s, ",")
		}
		out := reflect.MakeSlice(v.Type(), 0, len(parts))
		for _, p := range parts {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := parseInto(e, p); err != nil {
				return fmt.Errorf("list item %q: %w", p, err)
			}
			out = reflect.Append(out, e)
		}
		v.Set(out)
	default:
		return fmt.Errorf("unsupported config field type %s", v.Type())
	}
	return nil
}

// SetAll sets each "key=value" in order, without validating the result.
func SetAll(cfg Config, settings ...string) error {
	for _, s := range settings {
		k, v, err := ParseSetting(s)
		if err != nil {
			return err
		}
		if err := SetConfig(cfg, k, v); err != nil {
			return err
		}
	}
	return nil
}

// ApplySettings sets each "key=value" in order, then validates cfg.
func ApplySettings(cfg Config, settings ...string) error {
	if err := SetAll(cfg, settings...); err != nil {
		return err
	}
	return cfg.Validate()
}
