package controller

import (
	"k8s.io/client-go/util/workqueue"

	"github.com/diskpool/diskpool-operator/pkg/metrics"
)

// The Prometheus implementations fit the controller's seams.
var (
	_ Metrics                   = (*metrics.Controller)(nil)
	_ workqueue.MetricsProvider = (*metrics.Workqueue)(nil)
)
