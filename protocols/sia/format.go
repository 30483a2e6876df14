package sia

import "github.com/alarmrx/alarmrx/protocols"

// FormatPayload returns events as DC-03 event data in the canonical form
// ParsePayload reads: "#1234|Nri1/BA012". Each block starts with N; an event
// shares the previous block when its modifiers extend that block's (the
// same names in the same order, maybe with new values, maybe more), so
// "Nri1/BA012/BA013" holds two burglaries in area 1.
//
// An event's modifiers are its Modifiers as received; an event without any
// gets ri from Partition, id from User (unless the address is that user),
// and ti/da from PanelTime in UTC. The address is Address, else Zone or User
// by AddressKind for an event without modifiers. Text goes out as ^text^, with the bytes that would end it
// or the DC-09 data block (^ | [ ] and control bytes) turned into spaces.
//
// Without "#acct|" when account is "". With no events the result is "#acct"
// (or ""). The result is "" when an event has no DC-03 form: a code that is
// not two upper-case letters, an address that is not decimal, a modifier
// name that is not two lower-case letters or a value outside digits and
// ":-."; or when account is longer than 16 or not hexadecimal.
func FormatPayload(account string, events []protocols.Event) string {
	if len(account) > maxAccount {
		return ""
	}
	for i := 0; i < len(account); i++ {
		if !isHex(account[i]) {
			return ""
		}
	}
	out := make([]byte, 0, 1+len(account)+24*len(events))
	if account != "" {
		out = append(append(out, '#'), account...)
	}
	var running []protocols.Modifier
	for i := range events {
		ev := &events[i]
		if !validCode(ev.Code) {
			return ""
		}
		address := formattedAddress(ev)
		if !allDigits(address) {
			return ""
		}
		mods := ev.Modifiers
		if len(mods) == 0 {
			mods = impliedModifiers(ev, address)
		}
		for _, m := range mods {
			if !validModifier(m) {
				return ""
			}
		}

		switch {
		case i > 0 && extends(mods, running):
			out = append(out, '/')
		case i == 0 && account == "":
			out = append(out, 'N')
		default:
			out = append(out, '|', 'N')
			running = nil
		}
		for j, m := range mods {
			if j < len(running) && running[j] == m {
				continue // still in force from an earlier event of the block
			}
			out = append(out, m.Name...)
			out = append(out, m.Value...)
			out = append(out, '/')
		}
		running = mods
		out = append(out, ev.Code...)
		out = append(out, address...)
		if ev.Text != "" {
			out = append(out, '^')
			out = appendSafeText(out, ev.Text)
			out = append(out, '^')
		}
	}
	return string(out)
}

// extends reports whether mods can follow running in one block: a modifier
// sent again replaces its value in place, so running's names must be a
// prefix of mods'.
func extends(mods, running []protocols.Modifier) bool {
	if len(mods) < len(running) {
		return false
	}
	for i := range running {
		if mods[i].Name != running[i].Name {
			return false
		}
	}
	return true
}

// formattedAddress is the number to send after the code. An event that
// came with modifiers is sent as received: its user may come from id, and
// the code may have had no address.
func formattedAddress(ev *protocols.Event) string {
	switch {
	case ev.Address != "" || len(ev.Modifiers) > 0:
		return ev.Address
	case ev.AddressKind == protocols.AddressZone:
		return ev.Zone
	case ev.AddressKind == protocols.AddressUser:
		return ev.User
	}
	return ""
}

// impliedModifiers builds the modifiers of an event that came without any,
// such as one converted from Contact ID.
func impliedModifiers(ev *protocols.Event, address string) []protocols.Modifier {
	var mods []protocols.Modifier
	if ev.Partition != "" && !(ev.AddressKind == protocols.AddressArea && ev.Partition == address) {
		mods = append(mods, protocols.Modifier{Name: "ri", Value: ev.Partition})
	}
	if ev.User != "" && !(ev.AddressKind == protocols.AddressUser && ev.User == address) {
		mods = append(mods, protocols.Modifier{Name: "id", Value: ev.User})
	}
	if !ev.PanelTime.IsZero() {
		t := ev.PanelTime.UTC()
		mods = append(mods,
			protocols.Modifier{Name: "ti", Value: t.Format("15:04:05")},
			protocols.Modifier{Name: "da", Value: t.Format("01-02-06")})
	}
	return mods
}

func validCode(code string) bool {
	return len(code) == 2 && isUpper(code[0]) && isUpper(code[1])
}

func validModifier(m protocols.Modifier) bool {
	if len(m.Name) != 2 || !isLower(m.Name[0]) || !isLower(m.Name[1]) {
		return false
	}
	for i := 0; i < len(m.Value); i++ {
		if !isValueByte(m.Value[i]) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// appendSafeText appends text with the bytes that would end ^text^, the
// block or the DC-09 data block replaced by spaces.
func appendSafeText(dst []byte, text string) []byte {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '^', c == '|', c == '[', c == ']', c < 0x20, c == 0x7F:
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}
