package sia

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/alarmrx/alarmrx/protocols/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files from the case table")

var goldenDir = filepath.Join("..", "..", "testdata", "golden", "sia")

func TestGolden(t *testing.T) {
	cases := make([]golden.Case, 0, len(payloadCases))
	for _, tc := range payloadCases {
		cases = append(cases, golden.Case{File: tc.name, Input: tc.input})
	}
	golden.Run(t, goldenDir, *update, cases, renderResult)
}

// renderResult runs ParsePayload on input and renders what it returned.
func renderResult(t *testing.T, _, input string) string {
	t.Helper()
	account, events, err := ParsePayload([]byte(input))
	if err != nil {
		return err.Error() + "\n"
	}
	return golden.JSON(t, struct {
		Account string
		Events  []golden.Event
	}{account, golden.ViewEvents(events)})
}
