package dc09

import "encoding/json"

// RebuildDetail renders the Detail that Decode gives a plain frame it
// accepts (protocols.DetailRebuilder): the frame parsed again without a
// key, which is all Decode does to a plain frame's header and data. An
// encrypted frame, or one that does not parse, has none to rebuild.
func (*Codec) RebuildDetail(frame []byte) (json.RawMessage, bool) { return RebuildDetail(frame) }

// RebuildDetail is Codec.RebuildDetail, which needs none of a codec's
// options: the store's readers call it with the stored frame.
func RebuildDetail(frame []byte) (json.RawMessage, bool) {
	f, err := Parse(frame, Key{})
	if err != nil || f.Encrypted {
		return nil, false
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, false
	}
	return b, true
}
