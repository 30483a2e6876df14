package configs

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// SecretsKeyField is the configuration key naming the key file.
const SecretsKeyField = "store.secrets_key_file"

// secretsKeyHexDigits is a 256-bit key written in hex.
const secretsKeyHexDigits = 64

// ReadSecretsKey reads the key that seals DC-09 keys and call-list
// passcodes at rest (store.secrets_key_file): 64 hex digits, a trailing
// newline allowed, in a file that neither group nor others may read. An
// empty path is no key: nil, nil. The error is a *FieldError naming the
// file and what is wrong with it, never its content. Validate calls it, and
// so does the daemon, which passes the key on to the store.
func ReadSecretsKey(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	bad := func(format string, args ...any) error {
		return &FieldError{Field: SecretsKeyField, Msg: path + ": " + fmt.Sprintf(format, args...)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, bad("cannot read the key file: %v", errors.Unwrap(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, bad("cannot read the key file: %v", errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, bad("is not a regular file")
	}
	// Windows has no such mode bits; there the file's ACL is the guard.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, bad("mode %04o lets group or others read the key file; make it 0600 (chmod 600)", perm)
	}
	// One byte more than the longest key file tells a long file apart.
	b, err := io.ReadAll(io.LimitReader(f, secretsKeyHexDigits+3))
	if err != nil {
		return nil, bad("cannot read the key file: %v", errors.Unwrap(err))
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if len(s) != secretsKeyHexDigits {
		return nil, bad("must hold a 256-bit key as %d hex digits (make one with: openssl rand -hex 32)", secretsKeyHexDigits)
	}
	key, err := hex.DecodeString(s)
	if err != nil {
		// hex's error would quote the offending byte of the key.
		return nil, bad("must hold a 256-bit key as %d hex digits, and holds other characters", secretsKeyHexDigits)
	}
	return key, nil
}
