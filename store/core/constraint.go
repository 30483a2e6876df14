package core

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

// classifiers are the engines', registered by their packages' init
// functions (RegisterConstraintClassifier), before any change is made.
var classifiers []ConstraintClassifier

// RegisterConstraintClassifier adds an engine's classifier, from its
// package's init function, so that the domain parts tell constraints apart
// without importing a driver.
func RegisterConstraintClassifier(c ConstraintClassifier) { classifiers = append(classifiers, c) }

// ConstraintOf says which kind of constraint err broke, with the driver's
// message for it ("" when none).
func ConstraintOf(err error) (Constraint, string) {
	if err == nil {
		return NoConstraint, ""
	}
	for _, c := range classifiers {
		if k, msg := c(err); k != NoConstraint {
			return k, msg
		}
	}
	return NoConstraint, ""
}
