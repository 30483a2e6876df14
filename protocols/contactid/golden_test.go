package contactid

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files from the case table")

var goldenDir = filepath.Join("..", "..", "testdata", "golden", "contactid")

// Golden file names say which parser reads the input.
const (
	messagePrefix = "message_"
	payloadPrefix = "payload_"
)

func TestGolden(t *testing.T) {
	cases := make([]golden.Case, 0, len(parseCases))
	for _, tc := range parseCases {
		prefix := messagePrefix
		if tc.payload {
			prefix = payloadPrefix
		}
		cases = append(cases, golden.Case{File: prefix + tc.name, Input: tc.input})
	}
	golden.Run(t, goldenDir, *update, cases, renderResult)
}

// renderResult runs the parser the file name calls for and renders what it
// returned.
func renderResult(t *testing.T, file, input string) string {
	t.Helper()
	if strings.HasPrefix(file, payloadPrefix) {
		account, ev, err := ParsePayload([]byte(input))
		if err != nil {
			return err.Error() + "\n"
		}
		return golden.JSON(t, struct {
			Account string
			Event   golden.Event
		}{account, golden.ViewEvent(ev)})
	}
	m, err := Parse([]byte(input))
	if err != nil {
		return err.Error() + "\n"
	}
	return golden.JSON(t, struct {
		Message messageView
		Event   golden.Event
	}{viewMessage(m), golden.ViewEvent(m.Event())})
}

type messageView struct {
	Account, Type, Qualifier, Code, Group, Address, Checksum string
}

func viewMessage(m Message) messageView {
	return messageView{m.Account, m.Type, m.Qualifier.String(), m.Code, m.Group, m.Address, string(m.Checksum)}
}
