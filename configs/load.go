package configs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// envPrefix names the environment overrides: ALARMRX_LOG_LEVEL sets
// log.level.
const envPrefix = "ALARMRX"

// Load reads the YAML configuration file at path, or the embedded example
// when path is "". Environment variables ALARMRX_<KEY> override scalar keys.
// Listener keys the file leaves out get DefaultListener's values, key
// formats default to hex, and the result is validated: the error lists
// every problem found, each naming its field.
func Load(path string) (*Config, error) {
	if path == "" {
		return load(example, "embedded example")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	return load(data, path)
}

// LoadBytes is Load for YAML already in memory. The environment overrides
// apply as they do for Load.
func LoadBytes(data []byte) (*Config, error) {
	return load(data, "")
}

func load(data []byte, source string) (*Config, error) {
	// Checked on the raw YAML, before viper folds the keys to lower case
	// and the evidence is gone.
	if err := checkRawKeys(data); err != nil {
		return nil, loadError(source, err)
	}

	v := viper.New()
	v.SetConfigType("yaml")
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	// Set-but-empty counts, so ALARMRX_HTTP_LISTEN= can turn HTTP off.
	v.AllowEmptyEnv(true)
	v.AutomaticEnv()
	// AutomaticEnv only reaches keys viper already knows, so every scalar
	// key gets its default here rather than only those the file mentions.
	setDefaults(v, "", reflect.ValueOf(*Default()))

	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, loadError(source, err)
	}
	if receivers, ok := v.Get("receivers").([]any); ok {
		fillListDefaults(receivers)
		v.Set("receivers", receivers)
	}
	if outs, ok := v.Get("outputs.surgard").([]any); ok {
		for _, o := range outs {
			if om, ok := o.(map[string]any); ok {
				setAbsent(om, "ack_timeout", 4*time.Second)
				setAbsent(om, "retries", 3)
				setAbsent(om, "heartbeat", 30*time.Second)
				setAbsent(om, "line_digits", 3)
				setAbsent(om, "serial", map[string]any{})
				if sm, ok := om["serial"].(map[string]any); ok {
					d := DefaultListener().Serial
					setAbsent(sm, "device", d.Device)
					setAbsent(sm, "baud", d.Baud)
					setAbsent(sm, "data_bits", d.DataBits)
					setAbsent(sm, "parity", d.Parity)
					setAbsent(sm, "stop_bits", d.StopBits)
				}
			}
		}
		v.Set("outputs.surgard", outs)
	}
	if peers, ok := v.Get("outputs.peers").([]any); ok {
		for _, o := range peers {
			if om, ok := o.(map[string]any); ok {
				setAbsent(om, "ack_timeout", 10*time.Second)
				setAbsent(om, "retries", 3)
				setAbsent(om, "heartbeat", 60*time.Second)
				setAbsent(om, "failback", 60*time.Second)
				setAbsent(om, "key_format", FormatHex)
				setAbsent(om, "sender_id", DefaultSenderID)
				setAbsent(om, "transmitter_type", "ARXRX")
			}
		}
		v.Set("outputs.peers", peers)
	}
	if hooks, ok := v.Get("outputs.webhooks").([]any); ok {
		for _, h := range hooks {
			if hm, ok := h.(map[string]any); ok {
				setAbsent(hm, "format", "json")
				setAbsent(hm, "timeout", 10*time.Second)
			}
		}
		v.Set("outputs.webhooks", hooks)
	}

	cfg := new(Config)
	var decodeErrs []error
	if err := v.UnmarshalExact(cfg, viper.DecodeHook(decodeHook)); err != nil {
		decodeErrs = decodeProblems(err)
	}
	// mapstructure decodes what it can, so the rest is validated too and
	// one run shows every problem; fields that failed to decode are left
	// out, or each would be reported a second time as a zero value.
	normalize(cfg)
	errs := slices.Clone(decodeErrs)
	for _, e := range unjoin(cfg.Validate()) {
		if !decodedBadly(e, decodeErrs) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, loadError(source, errors.Join(errs...))
	}
	return cfg, nil
}

// unjoin lists the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// decodedBadly reports whether problem e concerns a field that already
// failed to decode: the field itself, something under it, or the listener
// above it ("needs a tcp or a udp address" when tcp: was a bare number).
func decodedBadly(e error, decodeErrs []error) bool {
	var fe *FieldError
	if !errors.As(e, &fe) {
		return false
	}
	for _, d := range decodeErrs {
		var de *FieldError
		if !errors.As(d, &de) || de.Field == "" {
			continue
		}
		f := de.Field
		if fe.Field == f || strings.HasPrefix(fe.Field, f+".") || strings.HasPrefix(fe.Field, f+"[") ||
			strings.HasPrefix(f, fe.Field+".") {
			return true
		}
	}
	return false
}

// loadError prefixes err with the package and the source, and announces a
// list of problems on its own line so that each problem starts a line.
func loadError(source string, err error) error {
	prefix := "configs: "
	if source != "" {
		prefix += source + ": "
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		if n := len(j.Unwrap()); n > 1 {
			return fmt.Errorf("%s%d problems:\n%w", prefix, n, err)
		}
	}
	return fmt.Errorf("%s%w", prefix, err)
}

// setDefaults registers every scalar field of val (a Config) under its
// mapstructure key. Lists are skipped: they come from the file only.
func setDefaults(v *viper.Viper, prefix string, val reflect.Value) {
	t := val.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key := f.Tag.Get("mapstructure")
		if prefix != "" {
			key = prefix + "." + key
		}
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != durationType:
			setDefaults(v, key, val.Field(i))
		case f.Type.Kind() == reflect.Slice:
		default:
			v.SetDefault(key, val.Field(i).Interface())
		}
	}
}

// fillListDefaults gives each listener (and key) in the raw receivers list
// the defaults for the keys it leaves out. It works on the raw maps rather
// than on decoded structs so that an explicit zero (max_conns: 0, ahead: 0s)
// stays zero and is judged by Validate instead of being mistaken for
// "not set". viper has already folded the keys to lower case.
func fillListDefaults(receivers []any) {
	d := DefaultListener()
	for _, r := range receivers {
		rm, ok := r.(map[string]any)
		if !ok {
			continue // UnmarshalExact reports the shape
		}
		listeners, _ := rm["listeners"].([]any)
		for _, l := range listeners {
			lm, ok := l.(map[string]any)
			if !ok {
				continue
			}
			setAbsent(lm, "max_conns", d.MaxConns)
			setAbsent(lm, "max_conns_per_ip", d.MaxConnsPerIP)
			setAbsent(lm, "read_timeout", d.ReadTimeout)
			setAbsent(lm, "idle_timeout", d.IdleTimeout)
			setAbsent(lm, "write_timeout", d.WriteTimeout)
			setAbsent(lm, "heartbeat_timeout", d.HeartbeatTimeout)
			setAbsent(lm, "tls_cert", "")
			setAbsent(lm, "tls_key", "")
			setAbsent(lm, "serial", map[string]any{})
			if sm, ok := lm["serial"].(map[string]any); ok {
				setAbsent(sm, "device", d.Serial.Device)
				setAbsent(sm, "baud", d.Serial.Baud)
				setAbsent(sm, "data_bits", d.Serial.DataBits)
				setAbsent(sm, "parity", d.Serial.Parity)
				setAbsent(sm, "stop_bits", d.Serial.StopBits)
			}
			setAbsent(lm, "timestamp_window", map[string]any{})
			if wm, ok := lm["timestamp_window"].(map[string]any); ok {
				setAbsent(wm, "ahead", d.TimestampWindow.Ahead)
				setAbsent(wm, "behind", d.TimestampWindow.Behind)
				setAbsent(wm, "apply_to_plain", d.TimestampWindow.ApplyToPlain)
			}
			keys, _ := lm["keys"].([]any)
			for _, k := range keys {
				if km, ok := k.(map[string]any); ok {
					setAbsent(km, "format", FormatHex)
				}
			}
		}
	}
}

// setAbsent sets m[key] unless the file gave it a value. A key written with
// no value (YAML null) counts as absent, as it does for viper's scalars.
func setAbsent(m map[string]any, key string, value any) {
	if m[key] == nil {
		m[key] = value
	}
}

// normalize applies the canonical forms Validate expects.
func normalize(c *Config) {
	for i := range c.Receivers {
		c.Receivers[i].AccountPrefix = strings.ToUpper(c.Receivers[i].AccountPrefix)
	}
	// Lists have no viper default: a list the file leaves out gets its
	// default here; an empty list written in the file stays empty.
	if c.Queue.ResolutionCodes == nil {
		c.Queue.ResolutionCodes = DefaultResolutionCodes()
	}
	if c.Queue.LogOnlyCategories == nil {
		c.Queue.LogOnlyCategories = DefaultLogOnlyCategories()
	}
	if len(c.Queue.EscalationEmail) == 0 {
		c.Queue.EscalationEmail = nil
	}
	if c.Queue.EscalateAfter == nil {
		c.Queue.EscalateAfter = DefaultEscalateAfter()
	}
	if c.Queue.Disaster.Categories == nil {
		c.Queue.Disaster.Categories = []string{"trouble", "tamper"}
	}
	if len(c.Queue.Codes) == 0 {
		c.Queue.Codes = nil
	}
	if len(c.XML.Senders) == 0 {
		c.XML.Senders = nil
	}
	if len(c.Outputs.Surgard) == 0 {
		c.Outputs.Surgard = nil
	}
	if len(c.Outputs.Webhooks) == 0 {
		c.Outputs.Webhooks = nil
	}
	if len(c.Outputs.Peers) == 0 {
		c.Outputs.Peers = nil
	}
	if len(c.Report.Scheduled) == 0 {
		c.Report.Scheduled = nil
	}
	for i := range c.Queue.Codes {
		c.Queue.Codes[i].Format = strings.ToUpper(c.Queue.Codes[i].Format)
		c.Queue.Codes[i].Code = strings.ToUpper(c.Queue.Codes[i].Code)
	}
}

var durationType = reflect.TypeFor[time.Duration]()

// decodeHook replaces viper's default hook. It parses durations as viper
// does, and refuses the silent conversions of weakly typed decoding that
// would change what the operator wrote.
func decodeHook(from, to reflect.Type, data any) (any, error) {
	switch {
	case to == durationType:
		return toDuration(from, data)
	case to.Kind() == reflect.String && isScalar(from.Kind()) && from.Kind() != reflect.String:
		// YAML reads account 0123 as the octal number 83 and 1E3 as 1000;
		// by the time it is a string the leading zero is gone. The value is
		// not quoted back: it could be a key.
		return nil, errors.New("must be a quoted string: YAML read a bare number or true/false here, which can change it (0123 reads as 83)")
	case isInt(to.Kind()) && isFloat(from.Kind()):
		if f := reflect.ValueOf(data).Float(); f != math.Trunc(f) {
			return nil, fmt.Errorf("must be a whole number (got %v)", f)
		}
	}
	return data, nil
}

func toDuration(from reflect.Type, data any) (any, error) {
	if from == durationType {
		return data, nil
	}
	switch k := from.Kind(); {
	case k == reflect.String:
		s := strings.TrimSpace(data.(string))
		d, err := parseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("invalid duration %q (want a number with a unit, e.g. \"30s\" or \"5m\")", s)
		}
		return d, nil
	case isInt(k) || isFloat(k):
		// A bare 30 would decode as 30 ns. Zero is zero in any unit.
		if reflect.ValueOf(data).Convert(reflect.TypeFor[float64]()).Float() == 0 {
			return time.Duration(0), nil
		}
		return nil, errors.New("a duration needs a unit, e.g. \"30s\" or \"5m\" (YAML read a bare number)")
	}
	return data, nil
}

// parseDuration is time.ParseDuration with whole days in front: "1095d",
// "7d", "1d12h". Retention periods run to years, which "26280h" would hide.
func parseDuration(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	if d, ok := strings.CutPrefix(s, "-"); ok && !strings.HasPrefix(d, "-") {
		// Parsed, so that Validate says what is wrong with it.
		v, err := parseDuration(d)
		return -v, err
	}
	n, err := strconv.ParseUint(days, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	d := time.Duration(n) * 24 * time.Hour
	if d/(24*time.Hour) != time.Duration(n) {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	if rest == "" {
		return d, nil
	}
	r, err := time.ParseDuration(rest)
	if err != nil || r < 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return d + r, nil
}

func isInt(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Uint64
}

func isFloat(k reflect.Kind) bool {
	return k == reflect.Float32 || k == reflect.Float64
}

func isScalar(k reflect.Kind) bool {
	return k == reflect.Bool || k == reflect.String || isInt(k) || isFloat(k)
}

// namedError is what mapstructure's DecodeError offers without importing
// mapstructure (this package imports viper and the standard library only).
type namedError interface {
	Name() string
	Unwrap() error
}

// decodeProblems turns mapstructure's decode errors into FieldErrors, so a
// decoding problem reads like a validation problem: "receivers[0].bogus:
// unknown key" rather than "'receivers[0]' has invalid keys: bogus".
func decodeProblems(err error) []error {
	var ne namedError
	if !errors.As(err, &ne) {
		return []error{err}
	}
	var out []error
	var walk func(error)
	walk = func(e error) {
		switch u := e.(type) {
		case nil:
		case namedError:
			out = append(out, fieldErrors(u)...)
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		default:
			out = append(out, e)
		}
	}
	walk(err)
	return out
}

const unusedPrefix = "has invalid keys: "

func fieldErrors(e namedError) []error {
	msg := "invalid value"
	if inner := e.Unwrap(); inner != nil {
		msg = inner.Error()
	}
	if keys, ok := strings.CutPrefix(msg, unusedPrefix); ok {
		var out []error
		for k := range strings.SplitSeq(keys, ", ") {
			out = append(out, &FieldError{Field: joinPath(e.Name(), k), Msg: "unknown key"})
		}
		return out
	}
	return []error{&FieldError{Field: e.Name(), Msg: msg}}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// checkRawKeys parses the YAML as viper will and rejects what viper's key
// handling would otherwise hide: two keys that differ only in case (viper
// keeps one of them, whichever map iteration meets last) and keys holding
// viper's path separator "." (log.level: at the top would silently merge
// with log: {level:}).
func checkRawKeys(data []byte) error {
	dec, err := viper.NewCodecRegistry().Decoder("yaml")
	if err != nil {
		return err
	}
	raw := map[string]any{}
	if err := dec.Decode(data, raw); err != nil {
		return err
	}
	var out []error
	walkRawKeys("", raw, &out)
	return errors.Join(out...)
}

func walkRawKeys(path string, val any, out *[]error) {
	switch m := val.(type) {
	case map[string]any:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		seen := make(map[string]string, len(keys))
		for _, k := range keys {
			lk := strings.ToLower(k)
			switch prev, dup := seen[lk]; {
			case strings.Contains(k, "."):
				*out = append(*out, &FieldError{Field: joinPath(path, lk), Msg: `a key must not contain "." (nest it instead)`})
			case dup:
				*out = append(*out, &FieldError{Field: joinPath(path, lk),
					Msg: fmt.Sprintf("written twice, as %q and %q (keys are case-insensitive)", prev, k)})
			default:
				seen[lk] = k
			}
			walkRawKeys(joinPath(path, lk), m[k], out)
		}
	case map[any]any:
		sm := make(map[string]any, len(m))
		for k, v := range m {
			sm[fmt.Sprint(k)] = v
		}
		walkRawKeys(path, sm, out)
	case []any:
		for i, e := range m {
			walkRawKeys(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	}
}
