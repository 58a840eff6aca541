//! `mailcensus scan`: zone in, Parquet out, exactly once.
//!
//! Four stages, each on its own thread or task, joined by bounded channels:
//!
//! 1. the **feeder** (a thread) streams the inputs through `mailcensus-input`,
//!    numbers each unique domain of this shard with its input sequence, skips
//!    what a resumed run already wrote, and hands domains to the engine;
//! 2. the **engine** (`mailcensus-dns`, tokio) probes them and classifies;
//! 3. the **collector** (a thread) puts results back into input order and
//!    hands rows to the **writer** (`mailcensus-store`, its own thread).
//!
//! Because rows reach the writer in input order, every complete Parquet part
//! covers a contiguous range of the input stream and the manifest records where
//! it ends; `--resume` re-reads the same stream and skips exactly that prefix.
//! SIGINT/SIGTERM stop the feeder; what is in flight is finished and written,
//! the last part is closed, and the command exits 130 so that a caller knows
//! the run is incomplete. A second signal exits at once: complete parts and the
//! manifest on disk stay valid, and `--resume` continues from them.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use mailcensus_dns::{Engine, EngineConfig, ProbeSet};
use mailcensus_input::{DomainReader, Format, ReaderOptions, Shard};
use mailcensus_posture::Resolution;
use mailcensus_store::{DatasetWriter, Row, RunConfig, Tuning, WriterHandle};
use tokio::sync::mpsc;

use crate::progress::{Progress, Snapshot};
use crate::reorder::Reorder;
use crate::scan_config::{FileConfig, defaults, parse_scan_date};
use crate::summary::Summary;

/// Flags of `mailcensus scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Zone dumps or domain lists (plain, .gz, .zst, .xz, .bz2); `-` reads stdin.
    pub inputs: Vec<PathBuf>,

    /// Upstream resolver, IP or IP:PORT; repeat for a pool. Default: the
    /// nameservers of /etc/resolv.conf.
    #[arg(long = "resolver", value_name = "IP[:PORT]")]
    pub resolvers: Vec<String>,

    /// Dataset directory; parts go to DIR/scan_date=YYYY-MM-DD/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Most queries in flight; the adaptive window grows up to it and shrinks
    /// when answers time out. [default: 1000]
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// UDP sockets per address family, each on its own random port. A
    /// resolver that spreads clients over its threads by source port
    /// (SO_REUSEPORT: Unbound, Knot, BIND) puts the scan on at most this
    /// many threads; fewer sockets send bigger bursts per system call, which
    /// is faster when the resolver shares the machine's cores. [default: 2]
    #[arg(long, value_name = "N")]
    pub udp_sockets: Option<usize>,

    /// Global rate cap in queries per second. [default: none]
    #[arg(long, value_name = "QPS")]
    pub qps: Option<u32>,

    /// Rate cap per upstream resolver, in queries per second. [default: none]
    #[arg(long, value_name = "QPS")]
    pub qps_per_upstream: Option<u32>,

    /// Probes to run, comma-separated: mx, spf, dmarc, dnssec, bimi, mta-sts,
    /// tlsrpt, dkim, dane, or all. Columns of probes not run are null.
    /// [default: all]
    #[arg(long, value_name = "LIST")]
    pub probes: Option<String>,

    /// Scan only shard I of N (zero-based), a stable hash partition of the
    /// domains.
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    pub shard: Option<String>,

    /// Scan one of N shards, its index taken from JOB_COMPLETION_INDEX
    /// (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm array).
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,

    /// Date partition of the output, YYYY-MM-DD. [default: today, UTC]
    #[arg(long, value_name = "DATE")]
    pub scan_date: Option<String>,

    /// Continue an interrupted run of the same inputs, date and shard from its
    /// manifest: no domain lost, none written twice.
    #[arg(long)]
    pub resume: bool,

    /// Also write the summary, with domains, queries, elapsed_s and qps, as JSON.
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,

    /// TOML file with the same keys as these flags (flags win).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Per-attempt query timeout in milliseconds. [default: 2000]
    #[arg(long, value_name = "MS")]
    pub timeout_ms: Option<u64>,

    /// Attempts after the first, each to another upstream when there is one.
    /// [default: 2]
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Rows per Parquet part; a smaller part loses less to a crash.
    /// [default: 1048576]
    #[arg(long, value_name = "ROWS")]
    pub part_rows: Option<usize>,

    /// Labels below the zone apex where registrations sit (2 for co.uk-style
    /// zones). [default: 1]
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub depth: usize,

    /// Input format instead of sniffing each input: zone, list or csv.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// Everything a scan needs, after flags, config file and defaults are merged.
#[derive(Debug)]
struct Settings {
    inputs: Vec<PathBuf>,
    resolvers: Vec<SocketAddr>,
    out: PathBuf,
    concurrency: usize,
    udp_sockets: usize,
    qps: Option<u32>,
    qps_per_upstream: Option<u32>,
    probes: ProbeSet,
    shard: Shard,
    scan_date: String,
    resume: bool,
    summary_json: Option<PathBuf>,
    timeout: Duration,
    retries: u32,
    part_rows: usize,
    depth: usize,
    format: Option<Format>,
}

impl Settings {
    fn resolve(args: Args) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        let inputs = if args.inputs.is_empty() {
            file.inputs.unwrap_or_default()
        } else {
            args.inputs
        };
        if inputs.is_empty() {
            bail!("no input: give zone dumps or lists (or `inputs` in --config)");
        }
        let resolver_texts = if args.resolvers.is_empty() {
            file.resolver.unwrap_or_default()
        } else {
            args.resolvers
        };
        let resolvers = if resolver_texts.is_empty() {
            mailcensus_dns::system_resolvers().context("no --resolver given")?
        } else {
            resolver_texts
                .iter()
                .map(|text| mailcensus_dns::parse_resolver(text))
                .collect::<Result<_, _>>()?
        };
        let Some(out) = args.out.or(file.out) else {
            bail!("--out DIR is required");
        };
        let probes: ProbeSet = args
            .probes
            .or(file.probes)
            .as_deref()
            .unwrap_or("all")
            .parse()?;
        let shard = match (args.shard.or(file.shard), args.shards.or(file.shards)) {
            (Some(_), Some(_)) => bail!("--shard and --shards exclude each other"),
            (Some(text), None) => text.parse::<Shard>()?,
            (None, Some(count)) => Shard::from_env(count)?,
            (None, None) => Shard::new(0, 1)?,
        };
        let format = args
            .format
            .as_deref()
            .map(|text| text.parse::<Format>())
            .transpose()?;
        Ok(Settings {
            inputs,
            resolvers,
            out,
            concurrency: args
                .concurrency
                .or(file.concurrency)
                .unwrap_or(defaults::CONCURRENCY),
            udp_sockets: args
                .udp_sockets
                .or(file.udp_sockets)
                .unwrap_or(defaults::UDP_SOCKETS),
            qps: args.qps.or(file.qps),
            qps_per_upstream: args.qps_per_upstream.or(file.qps_per_upstream),
            probes,
            shard,
            scan_date: parse_scan_date(args.scan_date.as_deref())?.to_string(),
            resume: args.resume,
            summary_json: args.summary_json.or(file.summary_json),
            timeout: Duration::from_millis(
                args.timeout_ms
                    .or(file.timeout_ms)
                    .unwrap_or(defaults::TIMEOUT_MS),
            ),
            retries: args.retries.or(file.retries).unwrap_or(defaults::RETRIES),
            part_rows: args
                .part_rows
                .or(file.part_rows)
                .unwrap_or(defaults::PART_ROWS),
            depth: args.depth,
            format,
        })
    }

    /// The options that decide what a row says: a resume must use the same.
    /// Rates and concurrency may change between attempts and are left out.
    fn output_options(&self) -> serde_json::Value {
        serde_json::json!({
            "probes": self.probes.0.iter().map(|p| p.name()).collect::<Vec<_>>(),
            "timeout_ms": self.timeout.as_millis() as u64,
            "retries": self.retries,
            "depth": self.depth,
            "format": self.format.map(|f| format!("{f:?}")),
        })
    }
}

/// What the feeder hands the engine with each domain, and gets back.
struct Tag {
    seq: u64,
    ns_hosts: Vec<String>,
    suffix: String,
}

/// Counters shared by the stages, read by the progress display.
#[derive(Default)]
struct Shared {
    /// Set by the first SIGINT/SIGTERM: the feeder stops.
    stop: AtomicBool,
    /// Every domain below this sequence has been handed to the writer.
    watermark: AtomicU64,
    domains_done: AtomicU64,
    domains_error: AtomicU64,
    /// Domains handed to the engine (this attempt, plus the resumed prefix).
    domains_fed: AtomicU64,
    /// The feeder has read the whole input.
    input_done: AtomicBool,
    queries: AtomicU64,
}

/// How far the feeder may run ahead of the oldest unfinished domain. It bounds
/// the reorder buffer: a domain stuck in retries holds back at most this many.
fn max_lag(concurrency: usize) -> u64 {
    (concurrency as u64).saturating_mul(8).max(10_000)
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("mailcensus-engine")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(scan(settings))
}

async fn scan(settings: Settings) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let store_shard = mailcensus_store::Shard {
        index: settings.shard.index,
        count: settings.shard.count,
    };
    let mut run_config = RunConfig::new(
        &settings.out,
        &settings.scan_date,
        store_shard,
        new_scan_id(&settings),
    );
    run_config.inputs = settings
        .inputs
        .iter()
        .map(|path| mailcensus_store::fingerprint(path))
        .collect::<Result<_, _>>()?;
    run_config.resolvers = settings.resolvers.iter().map(|r| r.to_string()).collect();
    run_config.options = settings.output_options();
    run_config.tuning = Tuning {
        rows_per_part: settings.part_rows as u64,
        ..Tuning::default()
    };

    let (writer, first_seq) = if settings.resume {
        let resume = DatasetWriter::resume(run_config)?;
        match resume {
            mailcensus_store::Resume::Complete(manifest) => {
                eprintln!(
                    "mailcensus: scan: run {} for {} shard {} is already complete; nothing to do",
                    manifest.scan_id, manifest.scan_date, manifest.shard
                );
                return Ok(ExitCode::SUCCESS);
            }
            mailcensus_store::Resume::Continue {
                writer,
                next_seq,
                removed,
            } => {
                for path in &removed {
                    eprintln!(
                        "mailcensus: scan: removed the unfinished {}",
                        path.display()
                    );
                }
                eprintln!("mailcensus: scan: resuming after {next_seq} domains already written");
                (*writer, next_seq)
            }
        }
    } else {
        (DatasetWriter::create(run_config)?, 0)
    };
    let manifest_path = writer.manifest_path().to_path_buf();
    let scan_id = writer.manifest().scan_id.clone();
    let writer = mailcensus_store::spawn(writer)?;

    let mut engine_config = EngineConfig::new(settings.resolvers.clone());
    engine_config.concurrency = settings.concurrency;
    engine_config.udp_sockets = settings.udp_sockets;
    engine_config.qps = settings.qps;
    engine_config.qps_per_upstream = settings.qps_per_upstream;
    engine_config.timeout = settings.timeout;
    engine_config.retries = settings.retries;
    engine_config.probes = settings.probes.0.clone();
    let engine = Engine::new(engine_config)?;

    let reader = DomainReader::open(
        &settings.inputs,
        ReaderOptions::default()
            .format(settings.format)
            .depth(settings.depth)
            .shard(Some(settings.shard)),
    )?;
    let input_progress = reader.progress();

    let shared = Arc::new(Shared::default());
    shared.watermark.store(first_seq, Ordering::Relaxed);
    shared.domains_done.store(first_seq, Ordering::Relaxed);
    shared.domains_fed.store(first_seq, Ordering::Relaxed);
    let lag = max_lag(settings.concurrency);
    let (domain_tx, domain_rx) = mpsc::channel::<(String, Tag)>(settings.concurrency.max(64));
    let (result_tx, mut result_rx) = mpsc::channel(settings.concurrency.max(64));

    let feeder = {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("mailcensus-feeder".into())
            .spawn(move || feed(reader, first_seq, lag, &shared, &domain_tx))
            .context("starting the input thread")?
    };

    let collector = {
        let shared = Arc::clone(&shared);
        let (row_tx, row_rx) = std::sync::mpsc::sync_channel::<(mailcensus_dns::DomainResult, Tag)>(
            settings.concurrency.max(64),
        );
        // Results cross from the async engine to a plain thread, since the
        // writer's `send` blocks when the disk falls behind.
        tokio::spawn(async move {
            while let Some(item) = result_rx.recv().await {
                if row_tx.send(item).is_err() {
                    break;
                }
            }
        });
        std::thread::Builder::new()
            .name("mailcensus-collector".into())
            .spawn(move || collect(row_rx, first_seq, writer, &shared))
            .context("starting the collector thread")?
    };

    let engine_task = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run(domain_rx, result_tx).await })
    };

    let mut progress = Progress::new(Duration::from_secs(10));
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    let mut interrupted = false;
    let mut engine_task = engine_task;
    let signals = shutdown_signals();
    tokio::pin!(signals);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                shared.queries.store(engine.stats().queries_sent(), Ordering::Relaxed);
                progress.update(&snapshot(&shared, &input_progress));
            }
            name = &mut signals, if !interrupted => {
                interrupted = true;
                shared.stop.store(true, Ordering::SeqCst);
                eprintln!(
                    "\nmailcensus: scan: {name}: finishing the domains in flight and closing the \
                     last part (send it again to exit at once; `--resume` continues either way)"
                );
                tokio::spawn(async {
                    let second = shutdown_signals().await;
                    eprintln!("mailcensus: scan: {second} again: exiting now");
                    std::process::exit(130);
                });
            }
            joined = &mut engine_task => {
                joined.context("the engine task failed")?;
                break;
            }
        }
    }
    progress.finish();

    let read_outcome = feeder
        .join()
        .map_err(|_| anyhow::anyhow!("the input thread panicked"))?;
    let written = collector
        .join()
        .map_err(|_| anyhow::anyhow!("the collector thread panicked"))??;
    let input_stats = read_outcome.stats;
    if input_stats.malformed > 0 || input_stats.rejected > 0 {
        eprintln!(
            "mailcensus: scan: input: {} malformed lines and {} rejected names skipped; first ones:",
            input_stats.malformed, input_stats.rejected
        );
        for issue in &read_outcome.issues {
            eprintln!("  {issue}");
        }
    }

    let elapsed = started.elapsed();
    let stats = engine.stats();
    let summary = Summary::from_manifest(&written.manifest_path)?;
    let queries = stats.queries_sent();
    let mut out = std::io::stdout().lock();
    summary.print(&mut out, &scan_id)?;
    writeln!(
        out,
        "this run: {} domains in {:.1} s, {} queries ({:.0} qps); manifest {}",
        written.rows_written,
        elapsed.as_secs_f64(),
        queries,
        queries as f64 / elapsed.as_secs_f64().max(1e-3),
        manifest_path.display()
    )?;
    if let Some(path) = &settings.summary_json {
        summary.write_json(path, queries, elapsed)?;
    }

    if let Some(err) = read_outcome.error {
        return Err(err.context("reading the input stopped the scan; complete parts are kept"));
    }
    if interrupted {
        eprintln!("mailcensus: scan: interrupted; run again with --resume to finish");
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}

/// What the feeder thread reports when it ends.
struct ReadOutcome {
    stats: mailcensus_input::ReadStats,
    issues: Vec<mailcensus_input::Issue>,
    error: Option<anyhow::Error>,
}

fn feed(
    mut reader: DomainReader,
    first_seq: u64,
    lag: u64,
    shared: &Shared,
    domains: &mpsc::Sender<(String, Tag)>,
) -> ReadOutcome {
    let mut error = None;
    let mut exhausted = true;
    for (seq, item) in (0u64..).zip(reader.by_ref()) {
        let domain = match item {
            Ok(domain) => domain,
            Err(err) => {
                error = Some(anyhow::Error::new(err));
                exhausted = false;
                break;
            }
        };
        if seq < first_seq {
            continue;
        }
        // Back-pressure on the reorder buffer (see `max_lag`).
        while seq >= shared.watermark.load(Ordering::Relaxed) + lag
            && !shared.stop.load(Ordering::Relaxed)
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        if shared.stop.load(Ordering::Relaxed) {
            exhausted = false;
            break;
        }
        let tag = Tag {
            seq,
            suffix: suffix_of(&domain),
            ns_hosts: domain.ns_hosts,
        };
        if domains.blocking_send((domain.name, tag)).is_err() {
            exhausted = false;
            break;
        }
        shared.domains_fed.store(seq + 1, Ordering::Relaxed);
    }
    shared.input_done.store(exhausted, Ordering::Relaxed);
    ReadOutcome {
        stats: reader.stats(),
        issues: reader.issues().to_vec(),
        error,
    }
}

/// The `suffix` column: the zone's origin for zone input; for a list, the
/// name without its first label.
fn suffix_of(domain: &mailcensus_input::Domain) -> String {
    match &domain.zone {
        Some(zone) => zone.to_string(),
        None => domain
            .name
            .split_once('.')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default(),
    }
}

fn collect(
    results: std::sync::mpsc::Receiver<(mailcensus_dns::DomainResult, Tag)>,
    first_seq: u64,
    mut writer: WriterHandle,
    shared: &Shared,
) -> anyhow::Result<mailcensus_store::Summary> {
    let mut reorder = Reorder::starting_at(first_seq);
    for (result, tag) in results {
        let seq = tag.seq;
        let row = Row {
            seq,
            domain: result.domain,
            suffix: tag.suffix,
            ns_hosts: tag.ns_hosts,
            scanned_at_ms: chrono::Utc::now().timestamp_millis(),
            queries: result.queries,
            elapsed_ms: u32::try_from(result.elapsed.as_millis()).unwrap_or(u32::MAX),
            posture: result.posture,
        };
        let ready = match reorder.push(seq, row) {
            Ok(ready) => ready,
            Err(err) => {
                // Keep what was written as complete parts before reporting.
                let _ = writer.stop();
                return Err(err.into());
            }
        };
        for row in ready {
            if row.posture.resolution == Resolution::Error {
                shared.domains_error.fetch_add(1, Ordering::Relaxed);
            }
            if let Err(err) = writer.send(row) {
                return Err(anyhow::Error::from(err).context("writing Parquet"));
            }
            shared.domains_done.fetch_add(1, Ordering::Relaxed);
        }
        shared
            .watermark
            .store(reorder.watermark(), Ordering::Relaxed);
    }
    if reorder.pending() > 0 {
        bail!(
            "{} results arrived without the domains before them; nothing after sequence {} was written",
            reorder.pending(),
            reorder.watermark()
        );
    }
    if shared.stop.load(Ordering::SeqCst) {
        Ok(writer.stop()?)
    } else {
        Ok(writer.finish()?)
    }
}

fn snapshot(shared: &Shared, input: &mailcensus_input::Progress) -> Snapshot {
    Snapshot {
        domains_done: shared.domains_done.load(Ordering::Relaxed),
        domains_error: shared.domains_error.load(Ordering::Relaxed),
        domains_fed: shared.domains_fed.load(Ordering::Relaxed),
        input_done: shared.input_done.load(Ordering::Relaxed),
        queries: shared.queries.load(Ordering::Relaxed),
        bytes_read: input.bytes_read(),
        bytes_total: input.bytes_total(),
    }
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

/// A scan identifier: date, shard and start time, unique enough to tell runs
/// apart in a dataset (a resumed run keeps its first identifier).
fn new_scan_id(settings: &Settings) -> String {
    format!(
        "{}-s{}of{}-{}",
        settings.scan_date,
        settings.shard.index,
        settings.shard.count,
        chrono::Utc::now().format("%H%M%S%3f")
    )
}
