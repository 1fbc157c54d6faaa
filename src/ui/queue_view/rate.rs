//! The transfer list's one rate estimator: a running total (bytes or
//! files) sampled over time, read as the average over the last few
//! seconds. Each row, the summary, the graph and the status line read the
//! same kind of estimator fed at the same moments, so their figures agree.

use std::collections::VecDeque;

/// The rate is the average over this many seconds.
pub const WINDOW: f64 = 3.0;
/// No figure until the samples span this long: two reports 0.1 s apart
/// say little.
const MIN_SPAN: f64 = 0.5;

/// A smoothed rate: the change of a running total over the last
/// [`WINDOW`] seconds, divided by the time it took.
#[derive(Debug, Clone, Default)]
pub struct Rate {
    /// (time in seconds, running total), oldest first; the first one is
    /// the last sample at or before the window's start.
    samples: VecDeque<(f64, u64)>,
}

impl Rate {
    /// The running `total` as it stood at `now` (seconds). A total that
    /// went down, or a gap longer than the window (nothing was reported:
    /// paused, idle), starts the estimate afresh.
    pub fn record(&mut self, now: f64, total: u64) {
        if let Some(&(t, n)) = self.samples.back() {
            if now < t {
                return;
            }
            if total < n || now - t > WINDOW {
                self.samples.clear();
            } else if now == t {
                self.samples.pop_back();
            }
        }
        self.samples.push_back((now, total));
        while self.samples.len() > 2 && self.samples[1].0 <= now - WINDOW {
            self.samples.pop_front();
        }
    }

    /// Units per second over the window; None until the samples span at
    /// least half a second.
    pub fn per_second(&self) -> Option<f64> {
        let (&(t0, n0), &(t1, n1)) = (self.samples.front()?, self.samples.back()?);
        let span = t1 - t0;
        (span >= MIN_SPAN).then(|| n1.saturating_sub(n0) as f64 / span)
    }

    /// Forget everything (nothing moves any more).
    pub fn clear(&mut self) {
        self.samples.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_stream_reads_its_rate_and_a_burst_is_averaged_over_the_window() {
        let mut r = Rate::default();
        r.record(0.0, 0);
        assert_eq!(r.per_second(), None, "one sample is no rate");
        r.record(0.1, 100);
        assert_eq!(r.per_second(), None, "0.1 s is too short to say");
        for i in 2..=50 {
            r.record(i as f64 * 0.1, i * 100);
        }
        let rate = r.per_second().unwrap();
        assert!((rate - 1000.0).abs() < 1e-6, "{rate}");
        // One burst of 3,000 bytes in 0.1 s moves a 3 s average by 1,000 B/s, not 30,000.
        r.record(5.1, 5000 + 3000);
        let rate = r.per_second().unwrap();
        assert!(rate < 2100.0, "{rate}");
    }

    #[test]
    fn a_gap_or_a_restart_starts_afresh() {
        let mut r = Rate::default();
        r.record(0.0, 0);
        r.record(1.0, 1000);
        assert!(r.per_second().is_some());
        r.record(10.0, 2000);
        assert_eq!(r.per_second(), None, "after a pause, no stale figure");
        r.record(11.0, 3000);
        assert_eq!(r.per_second(), Some(1000.0));
        r.record(11.5, 10);
        assert_eq!(r.per_second(), None, "a total that went down restarts");
    }
}
