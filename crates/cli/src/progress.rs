//! Progress of a scan: a live bar on a terminal, periodic log lines otherwise.
//!
//! The bar is the fraction of the shard's domains written (issue 18: it was
//! the fraction of the input read, which reaches 100% long before the scan
//! ends, since the reader runs ahead). The total is exact when it is known: a
//! zone file is counted by the reader's first pass, and any input once read
//! to its end; otherwise it is estimated from the domains per input byte so
//! far (compressed bytes for compressed input), and shown with a `~`. The
//! message shows both: domains and the share of the input read.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mailcensus_scan::Snapshot;

/// Reports progress to a terminal or a log.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_log: Instant,
    log_every: Duration,
}

impl Progress {
    /// A bar when stderr is a terminal, log lines every `log_every` otherwise.
    pub fn new(log_every: Duration) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% {msg} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            started: now,
            last_log: now,
            log_every,
        }
    }

    /// Shows the latest snapshot.
    pub fn update(&mut self, snapshot: &Snapshot) {
        let line = self.line(snapshot);
        match &self.bar {
            Some(bar) => {
                if let Some((done, total)) = bar_position(snapshot) {
                    bar.set_length(total.max(1));
                    bar.set_position(done);
                }
                bar.set_message(line);
            }
            None => {
                if self.last_log.elapsed() >= self.log_every {
                    self.last_log = Instant::now();
                    eprintln!("mailcensus: scan: {line}");
                }
            }
        }
    }

    /// Clears the bar; the summary follows.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn line(&self, s: &Snapshot) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let error_share = if s.domains_done == 0 {
            0.0
        } else {
            100.0 * s.domains_error as f64 / s.domains_done as f64
        };
        let total = match (s.domains_total, estimated_total(s)) {
            (Some(total), _) => format!("/{total}"),
            (None, Some(estimate)) => format!("/~{estimate}"),
            (None, None) => String::new(),
        };
        let input = match s.bytes_total {
            _ if s.input_done => ", input read".to_string(),
            Some(bytes) if bytes > 0 => format!(
                ", input {:.0}% read",
                100.0 * s.bytes_read.min(bytes) as f64 / bytes as f64
            ),
            _ => String::new(),
        };
        format!(
            "{}{total} domains{input}, {:.0} domains/s, {:.0} qps, {:.1}% error",
            s.domains_done,
            s.domains_done as f64 / secs,
            s.queries as f64 / secs,
            error_share
        )
    }
}

/// The domain total estimated from the domains read per input byte so far.
fn estimated_total(s: &Snapshot) -> Option<u64> {
    let bytes = s.bytes_total?;
    (s.bytes_read > 0 && s.domains_fed > 0).then(|| {
        let per_byte = s.domains_fed as f64 / s.bytes_read as f64;
        ((per_byte * bytes as f64).round() as u64).max(s.domains_fed)
    })
}

/// The bar: domains written out of the shard's domains (known or
/// estimated); `None` while nothing tells the total.
fn bar_position(s: &Snapshot) -> Option<(u64, u64)> {
    let total = s.domains_total.or_else(|| estimated_total(s))?;
    Some((s.domains_done.min(total), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 18: the bar showed 100% and "ETA 0s" as soon as the reader had
    /// read the input, which it does long before the domains are done.
    #[test]
    fn the_bar_is_the_fraction_of_domains_done_not_of_input_read() {
        let mut s = Snapshot::default();
        s.bytes_total = Some(1000);
        s.bytes_read = 1000;
        s.domains_fed = 400;
        s.domains_done = 100;
        s.domains_total = Some(400);
        assert_eq!(bar_position(&s), Some((100, 400)));
        // Not known yet: estimated from the domains per byte read so far.
        s.domains_total = None;
        s.bytes_read = 500;
        s.domains_fed = 200;
        assert_eq!(bar_position(&s), Some((100, 400)));
        // Nothing tells the total (stdin): no bar position.
        s.bytes_total = None;
        assert_eq!(bar_position(&s), None);
    }
}
