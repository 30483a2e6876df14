// Package schedules raises the open/close schedule exceptions of Manitou and Patriot practice: late to open and late to close when an area's state at its window's deadline is not what the schedule expects, and early or unscheduled openings and closings as they are projected, each as a signal of the account through the receiver's pipeline.
// It is a daemon service: the daemon gives it the store's schedules and the receiver's source, and runs it on one node at a time.
package schedules
