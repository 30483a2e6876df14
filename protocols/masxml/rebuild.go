package masxml

import (
	"encoding/json"
	"time"
)

// RebuildDetail renders the detail JSON of a frame Decode accepts: Detail
// is a function of the frame's bytes alone (MASXML has no key and no
// secret), so the store need not keep it beside the frame
// (protocols.DetailRebuilder).
func (c *Codec) RebuildDetail(frame []byte) (json.RawMessage, bool) {
	m, err := c.Decode(frame, time.Time{})
	if err != nil {
		return nil, false
	}
	b, err := json.Marshal(m.Detail)
	return b, err == nil
}
