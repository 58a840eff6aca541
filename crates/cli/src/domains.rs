//! `mailcensus domains`: the normalised unique domains of zone dumps or lists.
//!
//! Prints one domain per line on stdout (buffered) in input order, and a summary
//! with the first few malformed or rejected lines on stderr. The exit code is 0
//! when every input was read to its end, even if some lines were skipped.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use mailcensus_input::{DomainReader, Format, ReaderOptions, Shard};

/// Flags of `mailcensus domains`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Zone dumps or domain lists (plain, .gz, .zst, .xz, .bz2 — detected by
    /// magic bytes); `-` reads stdin.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Keep only shard I of N (stable hash partition: xxh3-64 of the name mod N).
    /// [range: N in 1-1000000]
    #[arg(long, value_name = "I/N", conflicts_with = "shards", value_parser = crate::limits::parse_shard)]
    pub shard: Option<Shard>,
    /// Split into N shards; the index comes from JOB_COMPLETION_INDEX
    /// (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm array).
    /// [range: 1-1000000]
    #[arg(long, value_name = "N", value_parser = crate::limits::ranged::<u32>(crate::limits::SHARDS))]
    pub shards: Option<u32>,
    /// Labels below the zone apex where registrations sit (2 for co.uk style).
    /// [range: 1-16]
    #[arg(long, default_value_t = 1, value_name = "D",
          value_parser = crate::limits::ranged::<usize>(crate::limits::DEPTH))]
    pub depth: usize,
    /// Input format; by default sniffed per input from its first 64 KiB.
    #[arg(long, value_name = "zone|list|csv")]
    pub format: Option<Format>,
    /// Also print each domain's NS hosts, tab-separated, comma-joined.
    #[arg(long)]
    pub with_ns: bool,
    /// Decompress and parse on one thread (default: two).
    #[arg(long)]
    pub single_thread: bool,
    /// Do not print the summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let shard = match (args.shard, args.shards) {
        (Some(s), _) => Some(s),
        (None, Some(n)) => Some(Shard::from_env(n)?),
        (None, None) => None,
    };
    let opts = ReaderOptions::default()
        .format(args.format)
        .depth(args.depth)
        .shard(shard)
        .threaded(!args.single_thread);
    let mut reader = DomainReader::open(&args.inputs, opts)?;
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut failure = None;
    for item in reader.by_ref() {
        match item {
            Ok(d) => {
                let res = if args.with_ns {
                    writeln!(out, "{}\t{}", d.name, d.ns_hosts.join(","))
                } else {
                    out.write_all(d.name.as_bytes())
                        .and_then(|()| out.write_all(b"\n"))
                };
                if let Err(e) = res {
                    // A closed pipe (`| head`) is not worth a report.
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(ExitCode::SUCCESS);
                    }
                    return Err(e).context("writing to stdout");
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        r => r.context("writing to stdout")?,
    }
    if !args.quiet {
        let s = reader.stats();
        for issue in reader.issues() {
            eprintln!("mailcensus: {issue}");
        }
        let shown = reader.issues().len() as u64;
        if s.malformed + s.rejected > shown {
            eprintln!(
                "mailcensus: … {} more malformed/rejected lines not shown",
                s.malformed + s.rejected - shown
            );
        }
        let shard_note = shard
            .map(|sh| format!(", other shards {} (shard {sh})", s.other_shards))
            .unwrap_or_default();
        eprintln!(
            "mailcensus: inputs {}, lines {}, records {}, domains {}, duplicates {}, rejected {}, malformed {}{shard_note}",
            s.inputs, s.lines, s.records, s.domains, s.duplicates, s.rejected, s.malformed
        );
        if s.ns_merged > 0 {
            eprintln!(
                "mailcensus: {} domains took NS hosts from a later run of their owner",
                s.ns_merged
            );
        }
        if s.ns_unmerged > 0 {
            eprintln!(
                "mailcensus: warning: {} later runs of an owner's NS records were not merged \
                 (the input is a stream, read once; give a file to merge them)",
                s.ns_unmerged
            );
        }
    }
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(ExitCode::SUCCESS),
    }
}
