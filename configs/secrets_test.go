package configs_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/configs"
)

// keyHex is a 256-bit key as a key file holds it.
const keyHex = "4D6F6E69746F72696E672073746174696F6E206B657920666F72207465737473"

func writeKeyFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secrets.key")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode passes the umask
		t.Fatal(err)
	}
	return path
}

// TestSecretsKeyFile: store.secrets_key_file must name a private file of 64
// hex digits, and no message about it shows what the file holds.
func TestSecretsKeyFile(t *testing.T) {
	clearEnv(t)
	want, _ := hex.DecodeString(keyHex)
	dir := t.TempDir()
	for _, c := range []struct {
		name    string
		path    string // when set, instead of a file with content and mode
		content string
		mode    os.FileMode
		problem string // "" = valid; else a fragment of the one problem
	}{
		{name: "key", content: keyHex, mode: 0o600},
		{name: "trailing newline", content: keyHex + "\n", mode: 0o600},
		{name: "trailing CRLF", content: keyHex + "\r\n", mode: 0o400},
		{name: "lower case", content: strings.ToLower(keyHex) + "\n", mode: 0o600},
		{name: "missing", path: filepath.Join(dir, "nothing.key"), problem: "cannot read the key file: no such file or directory"},
		{name: "directory", path: dir, problem: "is not a regular file"},
		{name: "group readable", content: keyHex, mode: 0o640, problem: "mode 0640 lets group or others read the key file"},
		{name: "world readable", content: keyHex, mode: 0o644, problem: "mode 0644 lets group or others read the key file"},
		{name: "empty", content: "", mode: 0o600, problem: "must hold a 256-bit key as 64 hex digits"},
		{name: "short", content: keyHex[:62] + "\n", mode: 0o600, problem: "must hold a 256-bit key as 64 hex digits"},
		{name: "long", content: keyHex + "00", mode: 0o600, problem: "must hold a 256-bit key as 64 hex digits"},
		{name: "two lines", content: keyHex + "\n\n", mode: 0o600, problem: "must hold a 256-bit key as 64 hex digits"},
		{name: "not hex", content: keyHex[:60] + "WXYZ", mode: 0o600, problem: "holds other characters"},
		{name: "128-bit DC-09 key", content: keyHex[:32] + "\n", mode: 0o600, problem: "must hold a 256-bit key as 64 hex digits"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := c.path
			if path == "" {
				path = writeKeyFile(t, c.content, c.mode)
			}
			key, err := configs.ReadSecretsKey(path)
			cfg := configs.Default()
			cfg.Store.SecretsKeyFile = path
			verr := cfg.Validate()
			if c.problem == "" {
				if err != nil || verr != nil {
					t.Fatalf("ReadSecretsKey: %v; Validate: %v", err, verr)
				}
				if !bytes.Equal(key, want) {
					t.Fatalf("key = %x, want %x", key, want)
				}
				return
			}
			if err == nil || key != nil {
				t.Fatalf("ReadSecretsKey accepted it: %x", key)
			}
			got := problems(t, verr)
			if len(got) != 1 {
				t.Fatalf("problems = %q, want one", got)
			}
			if !strings.HasPrefix(got[0], "store.secrets_key_file: "+path+": ") || !strings.Contains(got[0], c.problem) {
				t.Errorf("problem = %q, want the path and %q", got[0], c.problem)
			}
			if got[0] != err.Error() {
				t.Errorf("Validate says %q, ReadSecretsKey %q", got[0], err)
			}
			// Not a run of eight characters of the content in the message.
			for i := 0; i+8 <= len(c.content); i++ {
				if strings.Contains(got[0], c.content[i:i+8]) {
					t.Fatalf("problem shows the key file's content: %q", got[0])
				}
			}
		})
	}
}

// TestSecretsKeyFileFromEnvironment: the key file may be named in the
// environment, and is checked as if named in the file.
func TestSecretsKeyFileFromEnvironment(t *testing.T) {
	clearEnv(t)
	path := writeKeyFile(t, keyHex+"\n", 0o600)
	t.Setenv("ALARMRX_STORE_SECRETS_KEY_FILE", path)
	if cfg := mustLoad(t, examplePath); cfg.Store.SecretsKeyFile != path {
		t.Fatalf("store.secrets_key_file = %q, want %q", cfg.Store.SecretsKeyFile, path)
	}
	if err := os.Chmod(path, 0o604); err != nil {
		t.Fatal(err)
	}
	_, err := configs.Load(examplePath)
	if err == nil || !strings.Contains(err.Error(), "store.secrets_key_file: "+path+": mode 0604") {
		t.Fatalf("Load = %v, want the mode refused", err)
	}
}
