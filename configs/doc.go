// Package configs is alarmrx's configuration: the typed Config, its defaults,
// loading from YAML with ALARMRX_* environment overrides, and validation.
//
// Load reads one YAML file (or, given "", the embedded example
// alarmrx.example.yaml, which documents every key with its default and
// unit). Every scalar key can be overridden from the environment as
// ALARMRX_<PATH> with dots written as underscores: ALARMRX_DATA_DIR,
// ALARMRX_LOG_LEVEL, ALARMRX_HTTP_ADMIN_TOKEN, ALARMRX_STORE_SYNCHRONOUS and
// so on. A variable that is set but empty counts as a value, so
// ALARMRX_HTTP_LISTEN= turns HTTP off. Lists (receivers, listeners, keys)
// live only in the file, because environment names cannot address list
// elements.
//
// The file is strict, because a typo in an alarm receiver's configuration
// should stop it at start-up rather than silently fall back to a default:
//   - unknown keys are errors, at every depth;
//   - keys are case-insensitive (viper folds them), so two keys that differ
//     only in case are an error instead of one of them winning at random;
//   - a string field given a bare YAML number or boolean is an error (YAML
//     reads account 0123 as the octal number 83), and so is a duration
//     without a unit (YAML 30 would be 30 ns);
//   - Validate reports every problem at once, each naming its field path,
//     e.g. "receivers[0].listeners[1].tcp: invalid address \"x\" ...".
//
// DC-09 keys and the HTTP admin token never appear in an error message, and
// Redacted returns a copy fit for printing.
//
// The package imports viper, the standard library and the protocols' own
// packages (the registry's names and transport checks, the event-code
// tables); the daemon maps the Config onto the receiver's and the store's
// own Options. It must not import the receiver, the store or the daemon.
package configs
