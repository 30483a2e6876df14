package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/alarmrx/alarmrx/store"
)

const usersUsage = `usage: alarmrx users <add USERNAME | list> [flags]

  add USERNAME   add a station user (--role admin|supervisor|operator,
                 --full-name); the password is read from the first line of
                 standard input, or from ALARMRX_USER_PASSWORD
  list           list station users
`

// users manages station users through the running daemon's API.
func users(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usersUsage)
		return usageError{errors.New("users: add or list?")}
	}
	fs := newFlags("users "+args[0], stderr)
	client := clientFlags(fs)
	switch args[0] {
	case "add":
		role := fs.String("role", store.RoleOperator, "admin, supervisor or operator")
		fullName := fs.String("full-name", "", "the user's full name")
		name, rest := splitPositional(args[1:])
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if name == "" {
			return usageError{errors.New("users add: name the user")}
		}
		password := os.Getenv("ALARMRX_USER_PASSWORD")
		if password == "" {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			password = strings.TrimRight(line, "\r\n")
		}
		c, err := client()
		if err != nil {
			return err
		}
		var u store.User
		if err := c.postJSON(ctx, "/api/v1/users", map[string]any{"username": name, "role": *role,
			"full_name": *fullName, "password": password}, &u); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s (%s) added, id %d\n", u.Username, u.Role, u.ID)
		return nil
	case "list":
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		c, err := client()
		if err != nil {
			return err
		}
		var out struct {
			Items []store.User `json:"items"`
		}
		if _, err := c.do(ctx, "GET", "/api/v1/users", "", nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tROLE\tNAME\tDISABLED")
		for _, u := range out.Items {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\n", u.ID, u.Username, u.Role, u.FullName, u.Disabled)
		}
		return tw.Flush()
	}
	fmt.Fprint(stderr, usersUsage)
	return usageError{fmt.Errorf("users: unknown subcommand %q", args[0])}
}
