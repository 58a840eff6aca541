//! `mailcensus scan`: the flags, the config file and the signals around the
//! `mailcensus-scan` pipeline.
//!
//! The pipeline itself (feeder, engine, collector, writer, exactly-once and
//! resume) is `mailcensus_scan::Scan`; this module only turns flags and the
//! `--config` file into its `ScanConfig`, turns SIGINT/SIGTERM into its stop
//! future, shows its progress and prints the summary. On the first signal
//! what is in flight is finished and written (for a bounded time: what is not
//! done by then is left for `--resume`), the last part is closed, and the
//! command exits 130 so that a caller knows the run is incomplete. A second
//! signal exits at once: complete parts and the manifest on disk stay valid,
//! and `--resume` continues from them.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::ArgMatches;
use mailcensus_dns::ProbeSet;
use mailcensus_input::{Format, Shard};
use mailcensus_scan::{End, ResumeMode, Scan, ScanConfig};

use crate::engine_args::EngineArgs;
use crate::limits::{self, Usage};

use crate::progress::Progress;
use crate::scan_config::{
    default_config, merge_config_file, parse_scan_date, probes_text, scan_date_text,
};
use crate::summary::Summary;

/// Flags of `mailcensus scan`, and the keys of its `--config` file: each key is
/// the long flag's name (`qps-per-upstream = 500`, `resolver = ["127.0.0.1:5300"]`).
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
// Unknown keys are refused by `merge_config_file` (serde cannot deny them
// across a flattened struct).
#[serde(rename_all = "kebab-case")]
pub struct Args {
    /// Zone dumps or domain lists (plain, .gz, .zst, .xz, .bz2); `-` reads stdin.
    pub inputs: Vec<PathBuf>,

    /// The resolver engine's flags, shared with `check`.
    #[command(flatten)]
    #[serde(flatten)]
    pub engine: EngineArgs,

    /// Dataset directory; parts go to DIR/scan_date=YYYY-MM-DD/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Most queries in flight; the adaptive window grows up to it and shrinks
    /// when answers time out. [range: 1-65536]
    #[arg(long, value_name = "N", default_value_t = default_config().concurrency,
          value_parser = limits::ranged::<usize>(limits::CONCURRENCY))]
    pub concurrency: usize,

    /// UDP sockets per address family, each on its own random port. A
    /// resolver that spreads clients over its threads by source port
    /// (SO_REUSEPORT: Unbound, Knot, BIND) puts the scan on at most this
    /// many threads; fewer sockets send bigger bursts per system call, which
    /// is faster when the resolver shares the machine's cores. [range: 1-256]
    #[arg(long, value_name = "N", default_value_t = default_config().udp_sockets,
          value_parser = limits::ranged::<usize>(limits::UDP_SOCKETS))]
    pub udp_sockets: usize,

    /// Probes to run, comma-separated: mx, spf, dmarc, dnssec, bimi, mta-sts,
    /// tlsrpt, dkim, dane, or all. Columns of probes not run are null.
    #[arg(long, value_name = "LIST", default_value_t = probes_text(&default_config().probes))]
    pub probes: String,

    /// Scan only shard I of N (zero-based), a stable hash partition of the
    /// domains. [range: N in 1-1000000]
    #[arg(long, value_name = "I/N", conflicts_with = "shards", value_parser = limits::shard_text)]
    pub shard: Option<String>,

    /// Scan one of N shards, its index taken from JOB_COMPLETION_INDEX
    /// (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm array).
    /// [range: 1-1000000]
    #[arg(long, value_name = "N", value_parser = limits::ranged::<u32>(limits::SHARDS))]
    pub shards: Option<u32>,

    /// Date partition of the output, exactly YYYY-MM-DD. [default: today, UTC]
    #[arg(long, value_name = "DATE", value_parser = scan_date_text)]
    pub scan_date: Option<String>,

    /// Continue an interrupted run of the same inputs, date and shard from its
    /// manifest: no domain lost, none written twice. `--resume` alone
    /// requires a run to continue; `--resume=auto` continues the run if
    /// there is one and starts it otherwise, so a restarted pod or job
    /// runs the same command line.
    #[arg(long, value_name = "WHEN", value_enum, num_args = 0..=1,
          require_equals = true, default_missing_value = "always")]
    #[serde(skip)]
    pub resume: Option<ResumeArg>,

    /// Also write the summary, with domains, queries, elapsed_s and qps, as JSON.
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,

    /// TOML file with the same keys as these flags (flags win).
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Rows per Parquet part; a smaller part loses less to a crash.
    /// [range: 1-100000000]
    #[arg(long, value_name = "ROWS", default_value_t = default_config().part_rows,
          value_parser = limits::ranged::<u64>(limits::PART_ROWS))]
    pub part_rows: u64,

    /// Labels below the zone apex where registrations sit (2 for co.uk-style
    /// zones). [range: 1-16]
    #[arg(long, value_name = "N", default_value_t = default_config().depth,
          value_parser = limits::ranged::<usize>(limits::DEPTH))]
    pub depth: usize,

    /// Input format instead of sniffing each input: zone, list or csv.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// `--resume[=WHEN]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResumeArg {
    /// Continue the run; fail if there is none (what `--resume` alone means).
    Always,
    /// Continue the run if there is one, else start it.
    Auto,
}

/// What the command needs beyond the pipeline's own configuration.
struct Settings {
    scan: ScanConfig,
    summary_json: Option<PathBuf>,
}

impl Settings {
    /// Flags win over the config file, the file over the defaults.
    fn resolve(flags: Args, matches: Option<&ArgMatches>) -> anyhow::Result<Settings> {
        let args = match (&flags.config, matches) {
            (Some(path), Some(matches)) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config {}", path.display()))?;
                merge_config_file(&flags, matches, &text)
                    .with_context(|| format!("parsing config {}", path.display()))?
            }
            _ => flags,
        };
        check_ranges(&args)?;
        if args.inputs.is_empty() {
            bail!("no input: give zone dumps or lists (or `inputs` in --config)");
        }
        let resolvers: Vec<SocketAddr> = args.engine.resolvers()?;
        let Some(out) = args.out else {
            bail!("--out DIR is required");
        };
        let probes: ProbeSet = args.probes.parse()?;
        let shard = match (args.shard, args.shards) {
            (Some(_), Some(_)) => bail!("--shard and --shards exclude each other"),
            (Some(text), None) => limits::parse_shard(&text).map_err(Usage)?,
            (None, Some(count)) => Shard::from_env(count)?,
            (None, None) => Shard::new(0, 1)?,
        };
        let format = args
            .format
            .as_deref()
            .map(|text| text.parse::<Format>())
            .transpose()?;
        let defaults = default_config();
        let scan_date = match args.scan_date.as_deref() {
            Some(text) => parse_scan_date(text)
                .map_err(|e| Usage(format!("scan-date: {e}")))?
                .to_string(),
            None => defaults.scan_date.clone(),
        };
        let scan = ScanConfig {
            inputs: args.inputs,
            resolvers,
            out,
            concurrency: args.concurrency,
            udp_sockets: args.udp_sockets,
            qps: args.engine.qps,
            qps_per_upstream: args.engine.qps_per_upstream,
            probes,
            shard,
            scan_date,
            resume: match args.resume {
                None => ResumeMode::Never,
                Some(ResumeArg::Always) => ResumeMode::Always,
                Some(ResumeArg::Auto) => ResumeMode::Auto,
            },
            timeout: args.engine.timeout(),
            retries: args.engine.retries,
            part_rows: args.part_rows,
            depth: args.depth,
            format,
            ..defaults
        };
        Ok(Settings {
            scan,
            summary_json: args.summary_json,
        })
    }
}

/// The numeric settings against their ranges: flags were checked by clap,
/// values from the config file are checked here, as usage errors.
fn check_ranges(args: &Args) -> Result<(), Usage> {
    let optional = |v: Option<u32>| v.map(u64::from);
    let checks = [
        (
            "concurrency",
            Some(args.concurrency as u64),
            limits::CONCURRENCY,
        ),
        (
            "udp-sockets",
            Some(args.udp_sockets as u64),
            limits::UDP_SOCKETS,
        ),
        ("shards", optional(args.shards), limits::SHARDS),
        ("part-rows", Some(args.part_rows), limits::PART_ROWS),
        ("depth", Some(args.depth as u64), limits::DEPTH),
    ];
    for (key, value, range) in checks {
        if let Some(value) = value {
            limits::check(key, value, &range)?;
        }
    }
    args.engine.check_ranges()
}

/// Every output path (`--out`, `--summary-json`) is checked before the
/// resolvers are probed, so a typo in a path is reported at once rather
/// than after a whole scan (issue 18) or a probe.
fn check_outputs(settings: &Settings) -> anyhow::Result<()> {
    let out = &settings.scan.out;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output directory {}", out.display()))?;
    let probe = out.join(format!(".mailcensus-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .with_context(|| format!("cannot write in output directory {}", out.display()))?;
    let _ = std::fs::remove_file(&probe);
    if let Some(path) = &settings.summary_json {
        // Opened for appending, so an existing summary is not truncated
        // before the new one is written; a file made only to check is removed.
        let existed = path.exists();
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .with_context(|| format!("cannot write the summary to {}", path.display()))?;
        if !existed {
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: Args, matches: Option<&ArgMatches>) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(args, matches)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("mailcensus-engine")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(scan(settings))
}

async fn scan(settings: Settings) -> anyhow::Result<ExitCode> {
    let drain = settings.scan.drain_timeout;
    check_outputs(&settings)?;
    // Before the first query: is any resolver there at all (issue 18 item 6)?
    let checks = mailcensus_scan::check_resolvers(&settings.scan.resolvers).await?;
    let silent: Vec<_> = checks
        .iter()
        .filter_map(|c| c.problem.as_ref().map(|p| (c.resolver, p)))
        .collect();
    for (resolver, problem) in &silent {
        eprintln!("mailcensus: scan: resolver {resolver}: {problem}");
    }
    if silent.len() == checks.len() {
        eprintln!(
            "mailcensus: scan: error: no resolver answered a probe (MX {}.); nothing was \
             scanned and no output was written",
            mailcensus_scan::PROBE_NAME
        );
        return Ok(ExitCode::from(2));
    }
    let scan = Scan::new(settings.scan)?;
    if let Some(resumed) = scan.resumed() {
        for path in &resumed.removed {
            eprintln!(
                "mailcensus: scan: removed the unfinished {}",
                path.display()
            );
        }
        eprintln!(
            "mailcensus: scan: resuming after {} domains already written",
            resumed.next_seq
        );
        for input in &resumed.unverified {
            eprintln!(
                "mailcensus: scan: warning: cannot verify that {input} holds the input of the \
                 interrupted run: stdin, a pipe or a FIFO cannot be fingerprinted before it is \
                 read. The scan skips the first {} domains it reads as already written, so it \
                 must be given the same data.",
                resumed.next_seq
            );
        }
    }
    let progress_handle = scan.progress();
    let mut progress = Progress::new(Duration::from_secs(10));
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    let running = scan.run(stop_on_signal(drain));
    tokio::pin!(running);
    let outcome = loop {
        tokio::select! {
            _ = ticker.tick() => progress.update(&progress_handle.snapshot()),
            outcome = &mut running => break outcome?,
        }
    };
    progress.finish();

    if let End::AlreadyComplete(manifest) = &outcome.end {
        eprintln!(
            "mailcensus: scan: run {} for {} shard {} is already complete; nothing to do",
            manifest.scan_id, manifest.scan_date, manifest.shard
        );
        return Ok(ExitCode::SUCCESS);
    }
    let input_stats = &outcome.input_stats;
    if input_stats.malformed > 0 || input_stats.rejected > 0 {
        eprintln!(
            "mailcensus: scan: input: {} malformed lines and {} rejected names skipped; first ones:",
            input_stats.malformed, input_stats.rejected
        );
        for issue in &outcome.input_issues {
            eprintln!("  {issue}");
        }
    }

    if input_stats.ns_unmerged > 0 {
        eprintln!(
            "mailcensus: scan: input: warning: {} later runs of an owner's NS records were not \
             merged into ns_hosts (the input is a stream, read once; give a file to merge them)",
            input_stats.ns_unmerged
        );
    }

    let summary = Summary::from_manifest(&outcome.manifest_path)?;
    let elapsed = outcome.elapsed;
    let queries = outcome.queries;
    let mut out = std::io::stdout().lock();
    summary.print(&mut out, &outcome.scan_id)?;
    writeln!(
        out,
        "this run: {} domains in {:.1} s, {} queries ({:.0} qps); manifest {}",
        outcome.rows_written,
        elapsed.as_secs_f64(),
        queries,
        queries as f64 / elapsed.as_secs_f64().max(1e-3),
        outcome.manifest_path.display()
    )?;
    if let Some(path) = &settings.summary_json {
        summary.write_json(path, queries, elapsed)?;
    }

    match outcome.end {
        End::InputError(err) => Err(anyhow::Error::new(err).context(
            "reading the input stopped the scan; the run is incomplete (complete parts are \
                 kept, and `--resume` continues after them once the input reads to its end)",
        )),
        End::ResolversSilent { silent_for } => {
            eprintln!(
                "mailcensus: scan: error: no resolver has answered for {} s; the scan stopped \
                 (complete parts are kept; run again with --resume, or --resume=auto, once a \
                 resolver answers)",
                silent_for.as_secs()
            );
            Ok(ExitCode::FAILURE)
        }
        End::Interrupted => {
            eprintln!("mailcensus: scan: interrupted; run again with --resume to finish");
            Ok(ExitCode::from(130))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Completes on the first SIGINT/SIGTERM, after arming the second one to exit
/// at once.
async fn stop_on_signal(drain: Duration) {
    let name = shutdown_signals().await;
    eprintln!(
        "\nmailcensus: scan: {name}: finishing the domains in flight (for {} s at most; \
         the rest is left for `--resume`) and closing the last part (send it again to exit \
         at once; `--resume` continues either way)",
        drain.as_secs()
    );
    tokio::spawn(async {
        let second = shutdown_signals().await;
        eprintln!("mailcensus: scan: {second} again: exiting now");
        std::process::exit(130);
    });
}

/// Resolves on SIGINT or SIGTERM, with the signal's name.
async fn shutdown_signals() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}
