//! Progress of a scan: a live bar on a terminal, periodic log lines otherwise.
//!
//! The total number of domains is unknown until the input is read to its end
//! (a zone dump is streamed, never counted first), so the bar tracks input
//! bytes — compressed bytes for compressed input — and estimates the domain
//! total from the bytes-per-domain ratio seen so far.

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
                if let Some(total) = snapshot.bytes_total {
                    bar.set_length(total.max(1));
                    bar.set_position(snapshot.bytes_read.min(total));
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
        let estimate = match s.bytes_total {
            _ if s.input_done => format!("/{}", s.domains_fed),
            Some(total) if s.bytes_read > 0 && s.domains_fed > 0 => {
                let per_byte = s.domains_fed as f64 / s.bytes_read as f64;
                format!("/~{}", (per_byte * total as f64).round() as u64)
            }
            _ => String::new(),
        };
        format!(
            "{}{} domains, {:.0} domains/s, {:.0} qps, {:.1}% error",
            s.domains_done,
            estimate,
            s.domains_done as f64 / secs,
            s.queries as f64 / secs,
            error_share
        )
    }
}
