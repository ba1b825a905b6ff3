package feeds

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// jsonKind is the JSON type a JSON Feed field must have.
type jsonKind int

const (
	jsString jsonKind = iota
	jsBool
	jsObject
	jsObjects // an array of objects
	jsStrings // an array of strings
)

// JSON Feed 1.1's optional fields, with their types. id must be a string
// but is often a number: it is converted rather than dropped.
var (
	jsonFeedFields = map[string]jsonKind{
		"title": jsString, "home_page_url": jsString, "feed_url": jsString, "description": jsString,
		"user_comment": jsString, "next_url": jsString, "icon": jsString, "favicon": jsString,
		"language": jsString, "expired": jsBool, "author": jsObject, "authors": jsObjects, "hubs": jsObjects,
	}
	jsonItemFields = map[string]jsonKind{
		"url": jsString, "external_url": jsString, "title": jsString, "content_html": jsString,
		"content_text": jsString, "summary": jsString, "image": jsString, "banner_image": jsString,
		"date_published": jsString, "date_modified": jsString, "language": jsString,
		"author": jsObject, "authors": jsObjects, "tags": jsStrings, "attachments": jsObjects,
	}
)

// fixJSONFeed drops the optional fields of a JSON Feed that have the
// wrong type (a "tags" string instead of an array...), so that one bad
// field loses nothing else. It returns nil when data is no JSON object or
// nothing was wrong, else the repaired document and one warning per field
// name.
func fixJSONFeed(data []byte) ([]byte, []string) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil
	}
	bad := map[string]int{} // field → how many were dropped
	fixFields(doc, jsonFeedFields, "", bad)
	if items, ok := doc["items"].([]any); ok {
		kept := items[:0]
		for _, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				bad["items[] (not an object)"]++
				continue
			}
			switch id := m["id"].(type) {
			case string, nil:
			case float64:
				m["id"] = strconv.FormatFloat(id, 'f', -1, 64)
			default:
				delete(m, "id")
				bad["item id"]++
			}
			fixFields(m, jsonItemFields, "item ", bad)
			kept = append(kept, m)
		}
		doc["items"] = kept
	} else if _, present := doc["items"]; present {
		doc["items"] = []any{}
		bad["items (not an array)"]++
	}
	if len(bad) == 0 {
		return nil, nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, nil
	}
	var warns []string
	for _, name := range sortedKeys(bad) {
		warns = append(warns, fmt.Sprintf("JSON Feed field %s has the wrong type in %d place(s): ignored", name, bad[name]))
	}
	return out, warns
}

// fixFields deletes the fields of m whose value has the wrong type, and
// the wrong-typed elements of arrays.
func fixFields(m map[string]any, fields map[string]jsonKind, prefix string, bad map[string]int) {
	for name, kind := range fields {
		v, ok := m[name]
		if !ok || v == nil {
			continue
		}
		good := false
		switch kind {
		case jsString:
			_, good = v.(string)
		case jsBool:
			_, good = v.(bool)
		case jsObject:
			_, good = v.(map[string]any)
		case jsObjects, jsStrings:
			arr, isArr := v.([]any)
			if isArr {
				good = true
				kept := arr[:0]
				for _, e := range arr {
					_, obj := e.(map[string]any)
					_, str := e.(string)
					if (kind == jsObjects && obj) || (kind == jsStrings && str) {
						kept = append(kept, e)
					} else {
						bad[prefix+name+"[]"]++
					}
				}
				m[name] = kept
			}
		}
		if !good {
			delete(m, name)
			bad[prefix+name]++
		}
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
