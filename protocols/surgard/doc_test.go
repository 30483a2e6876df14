package surgard_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols/surgard"
)

func Example() {
	c := surgard.New(0)
	m, err := c.Decode([]byte("501100 181234E12101001"), time.Time{})
	if err != nil {
		panic(err)
	}
	ev := m.Events[0]
	fmt.Println(m.Kind, m.Receiver, m.Line, m.Account, ev.Code, ev.Qualifier, ev.Partition, ev.User, ev.Description)
	rec, _ := surgard.Encode(surgard.Head{Receiver: 1, Line: 100}, m.Account, ev)
	fmt.Printf("%q\n", rec)
	// Output:
	// cid4 01 100 1234 121 new 01 001 Duress
	// "501100 181234E12101001\x14"
}
