//! The worker's side of monitoring: it starts its sampler thread on the first connect,
//! keeps the sampler's connection slot in step with the link, and applies
//! [`Command::Metrics`](super::Command::Metrics) (connected or not: these are settings).
//! The sampler itself sends [`Event::Metrics`](super::Event::Metrics) from its own thread.

use super::link::Link;
use super::metrics::MetricsCommand;
use super::worker::Worker;

impl Worker {
    /// The link is up: start the sampler if needed and give it this connection.
    pub(super) fn metrics_connected(&mut self, link: &Link) {
        self.sampler.start(&self.uri, self.sink.clone());
        self.sampler.set_connection(Some(link.conn.clone()));
    }

    /// The link is going away: the sampler stops reading until the next connect.
    pub(super) fn metrics_disconnected(&mut self) {
        self.sampler.set_connection(None);
    }

    /// `Command::Metrics`: a new pace or collection interval.
    pub(super) fn metrics(&mut self, cmd: MetricsCommand) {
        self.sampler.apply(cmd);
    }
}
