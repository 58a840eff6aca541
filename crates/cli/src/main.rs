//! `mailcensus`: measure how a whole top-level domain protects its email.
//!
//! `main` parses flags, dispatches to a command module and turns its result into
//! an exit code. Each command lives in its own module with its flags beside it.
//! The binary holds no pipeline of its own: `scan` turns flags and the config
//! file into a `mailcensus_scan::ScanConfig`, signals into the stop future of
//! `mailcensus_scan::Scan::run`, and its outcome and progress snapshots into
//! the progress bar and the summary; `report` and `domains` sit on
//! `mailcensus-report` and `mailcensus-input` the same way.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod domains;
mod limits;
mod progress;
mod report;
mod scan;
mod scan_config;
mod summary;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Measure the email-security posture of every domain of a zone.
#[derive(Debug, Parser)]
#[command(name = "mailcensus", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the normalised, unique registered domains of zone dumps or lists.
    Domains(domains::Args),
    /// Crawl DNS for every domain of the inputs and write Parquet.
    Scan(scan::Args),
    /// Adoption report (Markdown, HTML, CSV, JSON) from scan Parquet.
    Report(report::Args),
}

fn main() -> ExitCode {
    // The matches stay: `scan` asks them which flags the command line gave.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let result = match cli.command {
        Command::Domains(args) => domains::run(args),
        Command::Scan(args) => scan::run(args, matches.subcommand_matches("scan")),
        Command::Report(args) => report::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) if err.downcast_ref::<limits::Usage>().is_some() => {
            // A value from the config file outside what the flag accepts:
            // the same usage error, and exit status, as clap's.
            eprintln!(
                "error: {}\n\nFor more information, try '--help'.",
                describe(&err)
            );
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("mailcensus: error: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line. Library errors differ in whether
/// their message already quotes their source; a cause whose text is already
/// said is not repeated.
fn describe(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
