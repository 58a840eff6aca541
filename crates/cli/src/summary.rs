//! The one-screen summary at the end of a scan, and `--summary-json`.
//!
//! Figures are computed by `mailcensus-report` from the Parquet parts the
//! manifest lists — the same code and definitions as `mailcensus report` — so a
//! resumed run's summary covers every part, not only what the last attempt wrote.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use mailcensus_report::aggregate::{Figure, Headline};
use mailcensus_report::{Aggregator, SnapshotReport};
use mailcensus_store::Manifest;

/// Headline figures of one shard of a scan.
pub struct Summary {
    report: SnapshotReport,
}

/// The metrics printed on the screen, in order; `--summary-json` has them all.
const SCREEN: &[&str] = &[
    "spf_present",
    "spf_valid",
    "dmarc_present",
    "dmarc_valid",
    "dmarc_enforcing",
    "dnssec_secure",
    "null_mx",
    "parked",
    "nxdomain",
];

impl Summary {
    /// Aggregates the complete parts listed in the manifest at `manifest_path`.
    pub fn from_manifest(manifest_path: &Path) -> anyhow::Result<Summary> {
        let manifest = Manifest::load(manifest_path)?;
        let dir = manifest_path
            .parent()
            .context("the manifest has no directory")?;
        let files: Vec<PathBuf> = manifest.parts.iter().map(|p| dir.join(&p.file)).collect();
        let mut aggregator = Aggregator::new(&manifest.scan_date, 10, None);
        mailcensus_report::read::for_each_row(
            &files,
            mailcensus_report::row::REPORT_COLUMNS,
            |row| aggregator.add(row),
        )?;
        Ok(Summary {
            report: aggregator.finish(),
        })
    }

    fn headline(&self) -> &Headline {
        &self.report.headline
    }

    /// Domains in the parts.
    pub fn domains(&self) -> u64 {
        self.report.domains
    }

    /// Prints the headline and error shares.
    pub fn print(&self, out: &mut impl Write, scan_id: &str) -> std::io::Result<()> {
        writeln!(
            out,
            "mailcensus scan {scan_id}: {} domains ({})",
            self.domains(),
            self.report.date
        )?;
        let figures: Vec<_> = self.headline().figures().collect();
        for key in SCREEN {
            if let Some((metric, figure)) = figures.iter().find(|(m, _)| m.key == *key) {
                writeln!(out, "  {:<22} {}", metric.label, show(figure))?;
            }
        }
        let errors: Vec<String> = figures
            .iter()
            .filter(|(m, _)| m.key.ends_with("_error"))
            .map(|(m, f)| format!("{} {:.1}%", m.key.trim_end_matches("_error"), f.pct))
            .collect();
        if !errors.is_empty() {
            writeln!(out, "  error share: {}", errors.join(", "))?;
        }
        Ok(())
    }

    /// Writes the summary as JSON: every headline figure, plus the cost of the run.
    pub fn write_json(&self, path: &Path, queries: u64, elapsed: Duration) -> anyhow::Result<()> {
        let elapsed_s = elapsed.as_secs_f64();
        let json = serde_json::json!({
            "scan_date": self.report.date,
            "domains": self.domains(),
            "queries": queries,
            "elapsed_s": elapsed_s,
            "qps": if elapsed_s > 0.0 { queries as f64 / elapsed_s } else { 0.0 },
            "headline": self.headline(),
        });
        let text = serde_json::to_string_pretty(&json)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("writing the summary to {}", path.display()))
    }
}

fn show(figure: &Figure) -> String {
    format!("{:>5.1}%  ({})", figure.pct, figure.count)
}
