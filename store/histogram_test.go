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
func (h *dtoHistogram) gather(reg prometheus.Gatherer, name string) error {
	m, err := gatherOne(reg, name)
	if err != nil {
		return err
	}
	h.count = m.GetHistogram().GetSampleCount()
	h.sum = m.GetHistogram().GetSampleSum()
	return nil
}

// gatherOne is the one series of the metric called name in reg.
func gatherOne(reg prometheus.Gatherer, name string) (*dto.Metric, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			if len(mf.GetMetric()) != 1 {
				return nil, fmt.Errorf("%s has %d series", name, len(mf.GetMetric()))
			}
			return mf.GetMetric()[0], nil
		}
	}
	return nil, fmt.Errorf("no metric %s", name)
}
