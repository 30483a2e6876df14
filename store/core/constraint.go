package core

import "sync"

// Constraint is the kind of rule a refused change broke.
type Constraint int

// The constraints ConstraintOf tells apart.
const (
	NoConstraint        Constraint = iota // not a constraint failure
	ReferenceConstraint                   // a foreign key or a trigger guarding references
	UniqueConstraint                      // a unique or primary key
)

// A ConstraintClassifier reads a driver's error: the kind of constraint
// it says was broken, with the driver's message for it, or NoConstraint.
type ConstraintClassifier func(err error) (Constraint, string)

var classifiers struct {
	mu  sync.RWMutex
	all []ConstraintClassifier
}

// RegisterConstraintClassifier adds an engine's classifier; each engine
// registers its own when its package is loaded, so that the domain parts
// tell constraints apart without importing a driver.
func RegisterConstraintClassifier(c ConstraintClassifier) {
	classifiers.mu.Lock()
	classifiers.all = append(classifiers.all, c)
	classifiers.mu.Unlock()
}

// ConstraintOf says which kind of constraint err broke, with the driver's
// message for it ("" when none).
func ConstraintOf(err error) (Constraint, string) {
	if err == nil {
		return NoConstraint, ""
	}
	classifiers.mu.RLock()
	defer classifiers.mu.RUnlock()
	for _, c := range classifiers.all {
		if k, msg := c(err); k != NoConstraint {
			return k, msg
		}
	}
	return NoConstraint, ""
}
