package configs

import (
	"net/url"
	"reflect"
	"strings"
)

// secretParams are the words that make a URL parameter's value a secret
// when its name (unescaped, any letter case) holds one: "token" covers
// access_token and auth_token, "key" api_key, apikey and passkey.
var secretParams = []string{"token", "key", "password", "passwd", "secret", "passkey", "apikey", "api_key",
	"access_token", "auth", "signature"}

// RedactURL returns a URL fit for printing. The userinfo's password is
// replaced by "[redacted]" (https://user:[redacted]@host/…), and so is a
// user name that comes alone, as tokens do (https://[redacted]@host/…). The
// value of every query or fragment parameter whose name looks secret (see
// secretParams) is replaced too. A string that does not parse as a URL and
// holds '@', '?' or '#' is replaced whole, as is one without an authority
// whose opaque part holds '@' ("user:pass@host" reads as scheme "user"):
// where the credentials would start cannot be known. Every other byte is
// kept as written.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || strings.Contains(u.Opaque, "@") {
		if strings.ContainsAny(s, "@?#") {
			return redactedValue
		}
		return s
	}
	// Cut as url.Parse does: the fragment at the first '#', then the query
	// at the first '?' [RFC 3986 §3].
	rest, frag, hasFrag := strings.Cut(s, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	if u.User != nil {
		i := strings.Index(rest, "//")
		if i < 0 {
			return redactedValue
		}
		auth := rest[i+2:]
		if j := strings.IndexByte(auth, '/'); j >= 0 {
			auth = auth[:j]
		}
		at := strings.LastIndexByte(auth, '@')
		if at < 0 {
			return redactedValue
		}
		info := auth[:at]
		switch c := strings.IndexByte(info, ':'); {
		case c < 0 && info != "":
			info = redactedValue
		case c >= 0 && c+1 < len(info):
			info = info[:c+1] + redactedValue
		}
		rest = rest[:i+2] + info + rest[i+2+at:]
	}
	if hasQuery {
		rest += "?" + redactParams(query)
	}
	if hasFrag {
		rest += "#" + redactParams(frag)
	}
	return rest
}

// redactParams replaces the values of the secret-looking parameters of a
// query (or a fragment written like one), '&' or ';' separated.
func redactParams(q string) string {
	var b strings.Builder
	for q != "" {
		part, sep := q, ""
		if i := strings.IndexAny(q, "&;"); i >= 0 {
			part, sep, q = q[:i], q[i:i+1], q[i+1:]
		} else {
			q = ""
		}
		if name, value, ok := strings.Cut(part, "="); ok && value != "" && secretParam(name) {
			part = name + "=" + redactedValue
		}
		b.WriteString(part + sep)
	}
	return b.String()
}

func secretParam(name string) bool {
	n, err := url.QueryUnescape(name)
	if err != nil {
		return true // what it says cannot be read: assume the worst
	}
	n = strings.ToLower(n)
	for _, w := range secretParams {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// redactURLs walks the Redacted copy c and passes through RedactURL every
// string that is a URL: a field keyed url or *_url, and any
// other string holding "://", so that a URL key added later (a database
// DSN, another webhook) is covered without a line here. On the way it gives
// the copy its own slices and maps, so that nothing it changes is shared
// with the original.
func redactURLs(c *Config) { redactURLValue(reflect.ValueOf(c).Elem(), "") }

// redactURLValue is redactURLs for a value found under the yaml key key.
func redactURLValue(v reflect.Value, key string) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); s != "" && (key == "url" || strings.HasSuffix(key, "_url") || strings.Contains(s, "://")) {
			v.SetString(RedactURL(s))
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
				redactURLValue(f, name)
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		for i := 0; i < c.Len(); i++ {
			redactURLValue(c.Index(i), key)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			redactURLValue(v.Index(i), key)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			redactURLValue(e, key)
			c.SetMapIndex(it.Key(), e)
		}
		v.Set(c)
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		redactURLValue(c.Elem(), key)
		v.Set(c)
	}
}

// RedactDSN returns a PostgreSQL connection string fit for printing: a URL
// as RedactURL gives it, and in the key=value form the value of every
// password key replaced by "[redacted]" (quoted or not, as libpq reads
// it).
func RedactDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		return RedactURL(dsn)
	}
	var b strings.Builder
	rest := dsn
	for {
		i := strings.Index(rest, "password")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		// A key starts the string or follows a space.
		j := i + len("password")
		k := j
		for k < len(rest) && rest[k] == ' ' {
			k++
		}
		if (i > 0 && rest[i-1] != ' ') || k >= len(rest) || rest[k] != '=' {
			b.WriteString(rest[:j])
			rest = rest[j:]
			continue
		}
		k++
		for k < len(rest) && rest[k] == ' ' {
			k++
		}
		b.WriteString(rest[:k])
		b.WriteString(redactedValue)
		rest = rest[k+valueLen(rest[k:]):]
	}
}

// valueLen is the length of the key=value value s starts with: up to the
// next space, or a quoted string with its backslash escapes.
func valueLen(s string) int {
	if !strings.HasPrefix(s, "'") {
		if i := strings.IndexByte(s, ' '); i >= 0 {
			return i
		}
		return len(s)
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			return i + 1
		}
	}
	return len(s)
}
