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

mod check;
mod domains;
mod engine_args;
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
    /// One domain's posture, explained: the scan's verdicts, the records,
    /// and what to change (exit 1 when a probe ended in error, 2 on usage).
    Check(check::Args),
}

fn main() -> ExitCode {
    // The matches stay: `scan` asks them which flags the command line gave.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let result = match cli.command {
        Command::Domains(args) => domains::run(args),
        Command::Scan(args) => scan::run(args, matches.subcommand_matches("scan")),
        Command::Report(args) => report::run(args),
        Command::Check(args) => check::run(args, matches.subcommand_matches("check")),
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

/// The error and its causes on one line, `error: cause: cause…`, as they are:
/// every library error says what it was doing without repeating its
/// `source()`'s text (one rule across the workspace), so nothing needs to be
/// stripped here.
fn describe(err: &anyhow::Error) -> String {
    err.chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use anyhow::Context;

    use super::describe;

    /// The causes of `err` as `describe` prints them.
    fn causes(err: &anyhow::Error) -> Vec<String> {
        err.chain().map(ToString::to_string).collect()
    }

    /// No cause's text stands again in the one that wraps it: the printed
    /// chain says each thing once.
    fn assert_said_once(what: &str, err: anyhow::Error) {
        let causes = causes(&err);
        for (i, outer) in causes.iter().enumerate() {
            for inner in &causes[i + 1..] {
                assert!(
                    !outer.contains(inner.as_str()),
                    "{what}: {outer:?} repeats its cause {inner:?} in {:?}",
                    describe(&err)
                );
            }
        }
        assert_eq!(describe(&err), causes.join(": "));
        assert!(causes.len() >= 2, "{what}: expected a cause in {causes:?}");
    }

    fn disk_full() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device")
    }

    fn store_disk_full() -> mailcensus_store::StoreError {
        mailcensus_store::StoreError::Parquet {
            path: PathBuf::from("/data/scan_date=2026-11-23/.part-00000-00000.parquet.tmp"),
            source: mailcensus_store::cause(parquet_external()),
        }
    }

    /// What the Parquet encoder returns when the disk fills: an `External`
    /// error that prints the I/O error's text and returns it as its source
    /// too, inside the Arrow error a record batch reader returns.
    fn parquet_external() -> arrow_schema::ArrowError {
        arrow_schema::ArrowError::ExternalError(Box::new(parquet::errors::ParquetError::External(
            Box::new(disk_full()),
        )))
    }

    /// One representative error of each library crate the binary prints,
    /// wrapped in the context its command adds.
    #[test]
    fn printed_chains_say_each_cause_once() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("no-such-zone.txt");

        // input: a missing input file.
        let input = mailcensus_input::DomainReader::open(
            std::slice::from_ref(&missing),
            mailcensus_input::ReaderOptions::default(),
        )
        .err()
        .unwrap();
        assert_said_once("input", anyhow::Error::new(input));

        // dns: a socket that could not be bound.
        let dns =
            mailcensus_dns::DnsError::Socket(std::io::Error::from(std::io::ErrorKind::AddrInUse));
        assert_said_once("dns", anyhow::Error::new(dns));

        // store: an output directory below a file, and a full disk.
        let file = tmp.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let config = mailcensus_store::RunConfig::new(
            file.join("out"),
            "2026-11-23",
            mailcensus_store::Shard::SINGLE,
            "s",
        );
        let store = mailcensus_store::DatasetWriter::create(config)
            .err()
            .unwrap();
        assert_said_once("store", anyhow::Error::new(store));
        assert_said_once("store, disk full", anyhow::Error::new(store_disk_full()));

        // scan: a row that could not be written.
        let scan = mailcensus_scan::ScanError::Write(store_disk_full());
        assert_said_once("scan", anyhow::Error::new(scan));

        // report: a part that is not Parquet, and a directory that is missing,
        // with the context `mailcensus report` adds.
        let part = mailcensus_store::partition_dir(tmp.path(), "2026-11-23").join(
            mailcensus_store::part_file_name(mailcensus_store::Shard::SINGLE, 0),
        );
        std::fs::create_dir_all(part.parent().unwrap()).unwrap();
        std::fs::write(&part, b"not parquet").unwrap();
        for dir in [tmp.path(), Path::new("/nonexistent/mailcensus")] {
            let report = mailcensus_report::build(dir, &mailcensus_report::Options::default())
                .with_context(|| format!("reading {}", dir.display()))
                .err()
                .unwrap();
            assert_said_once("report", report);
        }
    }
}
