//! Measurements the live benchmark and the UI share: transfer throughput and the
//! round-trip time of `ping`.

use std::time::Duration;

use super::client::AgentClient;
use super::error::AgentError;

/// Bytes per second (0 for no time at all).
pub fn throughput(bytes: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        bytes as f64 / secs
    } else {
        0.0
    }
}

/// Round-trip times of a series of pings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RttStats {
    pub count: usize,
    pub min: Duration,
    pub median: Duration,
    pub max: Duration,
    pub mean: Duration,
}

/// `count` pings one after another (each with `timeout`), summarised.
pub fn ping_rtt(
    client: &AgentClient,
    count: usize,
    timeout: Duration,
) -> Result<RttStats, AgentError> {
    let mut all = Vec::with_capacity(count.max(1));
    for _ in 0..count.max(1) {
        all.push(client.ping(timeout)?);
    }
    Ok(summarise(&mut all))
}

/// Min, median, max and mean of a non-empty series (sorted in place).
pub fn summarise(all: &mut [Duration]) -> RttStats {
    all.sort();
    let total: Duration = all.iter().sum();
    RttStats {
        count: all.len(),
        min: all.first().copied().unwrap_or_default(),
        median: all.get(all.len() / 2).copied().unwrap_or_default(),
        max: all.last().copied().unwrap_or_default(),
        mean: total / all.len().max(1) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_and_summary() {
        assert_eq!(throughput(1000, Duration::from_millis(500)), 2000.0);
        assert_eq!(throughput(1, Duration::ZERO), 0.0);
        let ms = Duration::from_millis;
        let s = summarise(&mut [ms(3), ms(1), ms(2)]);
        assert_eq!(
            (s.min, s.median, s.max, s.mean),
            (ms(1), ms(2), ms(3), ms(2))
        );
        assert_eq!(summarise(&mut []).count, 0);
    }
}
