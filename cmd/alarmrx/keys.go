package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

const keysUsage = `usage: alarmrx keys generate FILE
       alarmrx keys rotate [--config FILE] --new-key FILE [--force]

  generate  write a new secrets key file for store.secrets_key_file (64 hex
            digits, mode 0600), never over an existing file
  rotate    seal every DC-09 key and passcode of the store again with the key
            in --new-key, in one transaction, with alarmrx stopped (on
            PostgreSQL refused while a node runs, unless --force)
`

// keysCmd is `alarmrx keys generate|rotate`.
func keysCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return usageError{errors.New("keys: generate or rotate?")}
	}
	switch args[0] {
	case "generate":
		return keysGenerate(args[1:], stdout, stderr)
	case "rotate":
		return keysRotate(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, keysUsage)
	return usageError{fmt.Errorf("keys: unknown subcommand %q", args[0])}
}

// keysGenerate is `alarmrx keys generate FILE`.
func keysGenerate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys generate", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: alarmrx keys generate FILE\n\n"+
			"Writes a new secrets key (store.secrets_key_file) to the new file FILE, mode 0600:\n"+
			"64 hex digits from the system's random source. An existing file is never overwritten.\n"+
			"The key is not printed. The file must belong to the user alarmrx runs as.")
		fs.PrintDefaults()
	}
	path, err := parseOneArg(fs, args, "keys generate: give one file")
	if err != nil {
		return err
	}
	if err := writeSecretsKey(path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote a new secrets key to %s (mode 0600)\n", path)
	if os.Geteuid() == 0 {
		fmt.Fprintf(stdout, "it belongs to root: give it to the user alarmrx runs as (chown alarmrx: %s)\n", path)
	}
	return nil
}

// writeSecretsKey writes a new key to the new file path, durably, mode
// 0600, in the format configs.ReadSecretsKey reads; a file left half
// written by a failure is removed.
func writeSecretsKey(path string) (err error) {
	key := make([]byte, store.SecretsKeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, iofs.ErrExist) {
		return fmt.Errorf("keys generate: %s exists: give a new file (a key file is never overwritten)", path)
	}
	if err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	defer func() {
		if e := f.Close(); e != nil && err == nil {
			err = fmt.Errorf("keys generate: %w", e)
		}
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	// The umask may have taken more than group and others away.
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		return fmt.Errorf("keys generate: %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("keys generate: %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // the new name lasts
		_ = d.Close()
	}
	return nil
}

// keysRotate is `alarmrx keys rotate [--config FILE] --new-key FILE
// [--force]` (store.RotateSecretsKey).
func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys rotate", stderr)
	path := fs.String("config", "", "configuration file: the store and its key, store.secrets_key_file (default: the embedded example)")
	newKeyFile := fs.String("new-key", "", "the new key's file (alarmrx keys generate FILE makes one)")
	force := fs.Bool("force", false, "PostgreSQL: rotate while nodes run. They keep the old key until they restart: until then "+
		"passcode checks fail on them, and a key or passcode they write is sealed with the old key (run the rotation again, "+
		"with the same keys, once every node runs with the new one). SQLite: no effect")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: alarmrx keys rotate [--config FILE] --new-key FILE [--force]\n\n"+
			"Seals every DC-09 key and passcode of the store again with the key in --new-key instead\n"+
			"of the one store.secrets_key_file names, in one transaction, and says how many. Then\n"+
			"point store.secrets_key_file at the new file and start alarmrx; keep the old key file\n"+
			"until it runs, and as long as backups made before the rotation are kept.\n"+
			"SQLite: refused while alarmrx holds the data dir. PostgreSQL: refused while a node's\n"+
			"heartbeat is under 30s old, unless --force.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *newKeyFile == "" {
		return usageError{errors.New("keys rotate: --new-key FILE names the new key (alarmrx keys generate FILE makes one)")}
	}
	cfg, err := configs.Load(*path)
	if err != nil {
		return err
	}
	newKey, err := configs.ReadSecretsKey(*newKeyFile)
	if err != nil {
		var fe *configs.FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("keys rotate: --new-key %s", fe.Msg)
		}
		return fmt.Errorf("keys rotate: --new-key: %w", err)
	}
	oldFile := cfg.Store.SecretsKeyFile
	if oldFile != "" && sameFile(oldFile, *newKeyFile) {
		return fmt.Errorf("keys rotate: --new-key %s is the key file store.secrets_key_file names: give the new key's file", *newKeyFile)
	}
	so, err := daemon.StoreOptions(cfg, zap.NewNop(), nil)
	if err != nil {
		return err
	}
	res, err := store.RotateSecretsKey(ctx, filepath.Join(cfg.DataDir, store.FileName), so, newKey, store.RotateOptions{Force: *force})
	if errors.Is(err, store.ErrNodesRunning) {
		return fmt.Errorf("%w; or give --force (alarmrx keys rotate -h says what it costs)", err)
	}
	if err != nil {
		return err
	}

	switch {
	case res.Resealed+res.Sealed > 0:
		var cols []string
		for _, c := range res.Columns {
			cols = append(cols, fmt.Sprintf("%s %d", c.Column, c.Resealed+c.Sealed))
		}
		fmt.Fprintf(stdout, "re-sealed the DC-09 keys and passcodes with the new key, in one transaction: %s (%s)\n",
			values(res.Resealed+res.Sealed), strings.Join(cols, ", "))
		if res.Sealed > 0 {
			fmt.Fprintf(stdout, "%d of them were stored in clear and are sealed now\n", res.Sealed)
		}
		if res.Already > 0 {
			fmt.Fprintf(stdout, "%s sealed with the new key already left as they were\n", values(res.Already))
		}
	case res.Already > 0:
		fmt.Fprintf(stdout, "nothing to re-seal: the DC-09 keys and passcodes (%s) are sealed with the new key already\n", values(res.Already))
	default:
		fmt.Fprintln(stdout, "nothing to re-seal: the store holds no DC-09 key or passcode")
	}
	config := *path
	if config == "" {
		config = "the configuration"
	}
	start := "start alarmrx"
	if cfg.Store.Driver == store.DriverPostgres {
		start = "start the nodes"
	}
	if len(res.Running) > 0 {
		start = "restart every node now"
	}
	fmt.Fprintf(stdout, "one step is left: point store.secrets_key_file at %s in %s (or move it over %s, after keeping a copy of the old key), then %s\n",
		*newKeyFile, config, oldFile, start)
	if len(res.Running) > 0 {
		fmt.Fprintf(stdout, "these nodes still hold the old key: %s; until they restart, passcode checks fail on them, and what they write "+
			"is sealed with the old key: once every node runs with the new one, run this rotation again, with the same keys\n",
			strings.Join(res.Running, ", "))
	}
	fmt.Fprintf(stdout, "keep %s (the old key) until alarmrx runs with the new one, and as long as you keep backups made before now: they are sealed with it\n",
		oldFile)
	return nil
}

// values is "1 value" or "n values".
func values(n int) string {
	if n == 1 {
		return "1 value"
	}
	return fmt.Sprintf("%d values", n)
}

// sameFile reports whether a and b name one file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
