package store

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

type dtoHistogram struct {
	count uint64
	sum   float64
}

// gather reads the histogram called name (one series) from reg.
func (h *dtoHistogram) gather(reg prometheus.Gatherer, name string, labels ...string) error {
	m, err := gatherOne(reg, name, labels...)
	if err != nil {
		return err
	}
	h.count = m.GetHistogram().GetSampleCount()
	h.sum = m.GetHistogram().GetSampleSum()
	return nil
}

// gatherOne is the one series of the metric called name in reg; the
// engines' metrics have one series per database, and labels (name, value
// pairs) pick one.
func gatherOne(reg prometheus.Gatherer, name string, labels ...string) (*dto.Metric, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var found []*dto.Metric
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				ok := false
				for _, l := range m.GetLabel() {
					ok = ok || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !ok {
					continue series
				}
			}
			found = append(found, m)
		}
		if len(found) != 1 {
			return nil, fmt.Errorf("%s%v has %d series", name, labels, len(found))
		}
		return found[0], nil
	}
	return nil, fmt.Errorf("no metric %s", name)
}
