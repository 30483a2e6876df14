package store

import "github.com/alarmrx/alarmrx/store/queue"

// SignalNote is an operator's note on a signal that is in no incident
// (store/queue keeps them).
type SignalNote = queue.SignalNote

// MaxNoteLength caps one note on a signal, in characters.
const MaxNoteLength = queue.MaxNoteLength
