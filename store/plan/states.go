package plan

import (
	"fmt"
	"strings"
	"time"
)

// Step states.
const (
	Pending    = "pending"     // not begun
	InProgress = "in_progress" // begun: calls made, none reached yet; a wait running
	Done       = "done"
	Expired    = "expired" // a wait that ran out without a restore
	Info       = "info"    // a text step: read, nothing to log
)

// Action is an entry of the incident's action log that a step can take:
// called (a call), dispatched, passcode_checked, notified (an e-mail sent).
type Action struct {
	Kind     string
	At       time.Time
	User     string
	Contact  string
	Result   string // a call's result (reached, no_answer, …), a passcode check's (passed, failed)
	PlanStep int    // the step (1-based) it was logged for; 0: the first it fits
}

// Facts are what else a step's state depends on.
type Facts struct {
	OpenedAt time.Time
	// RestoredAt is when a restore (or a cancel) joined the incident; zero
	// while none has.
	RestoredAt time.Time
	// CallList is the site's call list size: a call-list step is done
	// when someone is reached or everyone was called.
	CallList int
	Parties  map[int64]string // responding parties by id, for labels
}

// StepState is one step as the incident page shows it.
type StepState struct {
	Position int        `json:"position"` // 1-based
	Step     Step       `json:"step"`
	Label    string     `json:"label"`
	State    string     `json:"state"`
	Progress string     `json:"progress,omitempty"` // "2 of 3 called", "4 min left", "failed"
	DoneAt   *time.Time `json:"done_at,omitempty"`
	DoneBy   string     `json:"done_by,omitempty"`
}

// Takes reports which action kind completes a step kind.
func Takes(kind string) string {
	switch kind {
	case CallList, CallPremises, Call:
		return "called"
	case Dispatch:
		return "dispatched"
	case VerifyPasscode:
		return "passcode_checked"
	case Email:
		return "notified"
	}
	return ""
}

// Label says what a step asks, in words.
func Label(s Step, parties map[int64]string) string {
	var l string
	switch s.Kind {
	case CallList:
		l = "Call the call list in order until someone is reached"
	case CallPremises:
		l = "Call the premises"
	case Call:
		name := parties[s.PartyID]
		if name == "" {
			name = fmt.Sprintf("responding party %d", s.PartyID)
		}
		l = "Call " + name
	case VerifyPasscode:
		l = "Verify the passcode"
	case Dispatch:
		l = "Dispatch " + s.Authority
	case Email:
		l = "Notify " + s.Email + " by e-mail"
	case Wait:
		l = fmt.Sprintf("Wait %d min for a restore or a cancel", s.Minutes)
	case Text:
		return s.Text
	}
	if s.Text != "" {
		l += ": " + s.Text
	}
	return l
}

// States derives each step's state from the action log, in order: an
// action logged for a step (PlanStep) counts for it; one logged without
// counts for the first step it fits that is not done. now decides the
// waits.
func States(steps []Step, actions []Action, f Facts, now time.Time) []StepState {
	out := make([]StepState, len(steps))
	calls := make([]int, len(steps))
	for i, s := range steps {
		out[i] = StepState{Position: i + 1, Step: s, Label: Label(s, f.Parties), State: Pending}
		if s.Kind == Text {
			out[i].State = Info
		}
	}
	done := func(i int, a Action) {
		at := a.At
		out[i].State, out[i].DoneAt, out[i].DoneBy = Done, &at, a.User
	}
	for _, a := range actions {
		if a.Kind == "dispatch_cancelled" {
			// The dispatch of that agency was called off: its step says so.
			for j := range steps {
				if steps[j].Kind == Dispatch && out[j].State == Done && out[j].Progress == a.Contact {
					out[j].Progress += " (called off)"
				}
			}
			continue
		}
		i := -1
		if a.PlanStep >= 1 && a.PlanStep <= len(steps) && Takes(steps[a.PlanStep-1].Kind) == a.Kind {
			i = a.PlanStep - 1
		} else {
			for j, s := range steps {
				if Takes(s.Kind) == a.Kind && out[j].State != Done {
					i = j
					break
				}
			}
			// A passcode asked again (the caller got it wrong first): the
			// last check done is the step's result.
			for j := len(steps) - 1; i < 0 && a.Kind == "passcode_checked" && j >= 0; j-- {
				if steps[j].Kind == VerifyPasscode {
					i = j
				}
			}
		}
		if i < 0 {
			continue
		}
		switch steps[i].Kind {
		case CallList:
			calls[i]++
			if strings.EqualFold(a.Result, "reached") || (f.CallList > 0 && calls[i] >= f.CallList) {
				done(i, a)
			} else if out[i].State != Done {
				out[i].State = InProgress
			}
			if out[i].State != Done || f.CallList > 0 {
				out[i].Progress = fmt.Sprintf("%d of %d called", calls[i], f.CallList)
			}
		case VerifyPasscode:
			done(i, a)
			out[i].Progress = a.Result
		case Dispatch, Email:
			done(i, a)
			out[i].Progress = a.Contact
		default:
			done(i, a)
			if a.Result != "" {
				out[i].Progress = a.Result
			}
		}
	}
	// A wait begins when every step before it is over (the last of them
	// done, or the incident opened when it is the first), and ends with a
	// restore or when its minutes are up; a restore before it began makes
	// it moot: done too.
	since, over := f.OpenedAt, true
	for i, s := range steps {
		if s.Kind == Wait {
			end := since.Add(time.Duration(s.Minutes) * time.Minute)
			switch {
			case !f.RestoredAt.IsZero() && (!over || !f.RestoredAt.After(end)):
				at := f.RestoredAt
				out[i].State, out[i].DoneAt, out[i].Progress = Done, &at, "restored"
			case !over:
			case !now.Before(end):
				out[i].State, out[i].Progress = Expired, "no restore"
				e := end
				out[i].DoneAt = &e
			default:
				out[i].State = InProgress
				out[i].Progress = fmt.Sprintf("%d min left", int(end.Sub(now).Round(time.Minute)/time.Minute))
			}
		}
		switch out[i].State {
		case Done, Expired:
			if out[i].DoneAt != nil && out[i].DoneAt.After(since) {
				since = *out[i].DoneAt
			}
		case Info:
		default:
			over = false
		}
	}
	return out
}

// Open lists the labels of the steps still to do: pending or in progress
// (a text step is read, an expired wait is over).
func Open(states []StepState) []string {
	var out []string
	for _, s := range states {
		if s.State == Pending || s.State == InProgress {
			out = append(out, s.Label)
		}
	}
	return out
}
