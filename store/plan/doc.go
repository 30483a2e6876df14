// Package plan owns action plans: what an operator must do for an incident, step by step; which plan applies to an incident (the most specific of station, site and account plans, by event code, category or any); and each step's state, derived from the incident's action log.
// It is pure: values in, values out, no clock and no I/O. It must not import the store or another part, only store/core.
package plan
