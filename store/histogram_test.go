package store

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

type dtoHistogram struct {
	count uint64
	sum   float64
}

func (h *dtoHistogram) read(m prometheus.Histogram) error {
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		return err
	}
	h.count = out.GetHistogram().GetSampleCount()
	h.sum = out.GetHistogram().GetSampleSum()
	return nil
}
