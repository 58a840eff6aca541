//! `mailcensus report`: adoption figures from scan Parquet.
//!
//! TODO(report helper): flags and the run.

use std::process::ExitCode;

/// Flags of `mailcensus report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scan output directory (holding `scan_date=YYYY-MM-DD/` folders).
    pub dir: std::path::PathBuf,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("mailcensus report is not implemented yet")
}
