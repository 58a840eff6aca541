//! `mailcensus scan`: zone in, Parquet out, exactly once.

use std::process::ExitCode;

/// Flags of `mailcensus scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Zone dumps or domain lists; `-` reads stdin.
    #[arg(required = true)]
    pub inputs: Vec<std::path::PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("mailcensus scan is not implemented yet")
}
