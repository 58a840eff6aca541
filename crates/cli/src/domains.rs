//! `mailcensus domains`: the normalised unique domains of zone dumps or lists.
//!
//! TODO(input helper): flags (--shard, --shards, --depth, --format …) and the run.

use std::process::ExitCode;

/// Flags of `mailcensus domains`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Zone dumps or domain lists (`.txt`, `.gz`, `.zst`, …); `-` reads stdin.
    #[arg(required = true)]
    pub inputs: Vec<std::path::PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("mailcensus domains is not implemented yet")
}
