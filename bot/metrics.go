package bot

import "github.com/prometheus/client_golang/prometheus"

// UnknownCommand is the command label of everything that is not a
// registered command or button family: a mistyped command, or text pasted
// after /plat (people paste secrets there). Labels come from that closed set
// only, never from what someone typed.
const UnknownCommand = "unknown"

// Metrics are the bot's Prometheus metrics.
type Metrics struct {
	// Commands is platbot_commands_total{command,outcome}. Its command
	// label is a registered command's name, a button family (the action
	// id's prefix before ':', as registered with Router.HandleAction) or
	// UnknownCommand; count through CountCommand.
	Commands *prometheus.CounterVec
	Requests *prometheus.CounterVec   // platbot_slack_requests_total{endpoint,outcome}
	Rejected *prometheus.CounterVec   // platbot_slack_rejected_total{reason}
	AckTime  *prometheus.HistogramVec // platbot_slack_ack_seconds{endpoint}
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "platbot_commands_total", Help: "Commands, form submissions and actions run, by outcome.",
		}, []string{"command", "outcome"}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "platbot_slack_requests_total", Help: "Slack HTTP requests by endpoint and outcome.",
		}, []string{"endpoint", "outcome"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "platbot_slack_rejected_total", Help: "Slack requests rejected before any work, by reason.",
		}, []string{"reason"}),
		AckTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "platbot_slack_ack_seconds", Help: "Time from receiving a Slack request to answering it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"endpoint"}),
	}
	if reg != nil {
		reg.MustRegister(m.Commands, m.Requests, m.Rejected, m.AckTime)
	}
	return m
}

// CountCommand counts one command, form or button outcome under label,
// which the caller takes from the closed set described at Commands.
func (m *Metrics) CountCommand(label, outcome string) {
	if m == nil {
		return
	}
	if label == "" {
		label = UnknownCommand
	}
	m.Commands.WithLabelValues(label, outcome).Inc()
}
