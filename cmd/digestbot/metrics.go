package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics implements bot.Observer with Prometheus collectors.
type metrics struct {
	polls     *prometheus.CounterVec
	pollTime  *prometheus.HistogramVec
	posts     *prometheus.CounterVec
	commands  *prometheus.HistogramVec
	incidents *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "digestbot_polls_total",
			Help: "Feed polls by result: ok, not_modified (HTTP 304) or error.",
		}, []string{"result"}),
		pollTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "digestbot_poll_duration_seconds",
			Help:    "Time to fetch, parse, split and archive a feed.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}, []string{"result"}),
		posts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "digestbot_posts_total",
			Help: "Delivery attempts by platform and result: sent, edited, retry or failed.",
		}, []string{"platform", "result"}),
		commands: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "digestbot_command_duration_seconds",
			Help:    "Time to answer a /digest command, by platform and command (\"\" for unknown).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"platform", "command"}),
	}
	m.incidents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "digestbot_incidents_total",
		Help: "Alert incidents by kind (feed_failing, post_given_up, no_roundup, store_refusing_writes) and event: opened, closed, or held (a notice over the hourly limit).",
	}, []string{"kind", "event"})
	reg.MustRegister(m.polls, m.pollTime, m.posts, m.commands, m.incidents)
	return m
}

// Polled implements bot.Observer. Feed URLs are not labels: they are
// unbounded and may carry credentials.
func (m *metrics) Polled(_, result string, d time.Duration) {
	m.polls.WithLabelValues(result).Inc()
	m.pollTime.WithLabelValues(result).Observe(d.Seconds())
}

// Incident counts an alert incident's event (bot.Alerts.Observe).
func (m *metrics) Incident(kind, event string) {
	m.incidents.WithLabelValues(kind, event).Inc()
}

// Delivered implements bot.Observer.
func (m *metrics) Delivered(platform, result string) {
	m.posts.WithLabelValues(platform, result).Inc()
}

// Commanded implements bot.Observer.
func (m *metrics) Commanded(platform, name string, d time.Duration) {
	m.commands.WithLabelValues(platform, name).Observe(d.Seconds())
}
