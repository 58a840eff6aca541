//! [`Scan`]: the feeder, the engine and the collector, joined by bounded hand-offs.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mailcensus_dns::{DomainResult, Engine};
use mailcensus_input::{DomainReader, InputError, Issue, ReadStats, ReaderOptions, StreamDigest};
use mailcensus_posture::Resolution;
use mailcensus_store::{DatasetWriter, Manifest, Row, RunConfig, RunLock, Tuning, WriterHandle};
use tokio::sync::mpsc;

use crate::health::Watchdog;
use crate::progress::{ProgressHandle, Shared};
use crate::reorder::Reorder;
use crate::window::Window;
use crate::{ResumeMode, ScanConfig, ScanError};

/// Where a resumed run continues.
#[derive(Debug, Clone)]
pub struct Resumed {
    /// Domains already written by earlier attempts.
    pub next_seq: u64,
    /// Leftovers of the interrupted attempt that were deleted.
    pub removed: Vec<PathBuf>,
    /// Inputs that are streams (stdin, pipes, FIFOs): they cannot be
    /// fingerprinted before they are read, so nothing verifies that they
    /// hold what the interrupted attempt read. Callers must say so.
    pub unverified: Vec<String>,
}

/// How a scan ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum End {
    /// Every input domain of the shard is written.
    Complete,
    /// The stop future completed first: complete parts are kept, a resumed
    /// run continues after them.
    Interrupted,
    /// Reading the input failed; complete parts are kept.
    InputError(InputError),
    /// Every upstream resolver answered nothing for
    /// [`ScanConfig::silent_resolver_limit`] while domains were in flight:
    /// the scan stopped as on a signal (complete parts kept, resumable).
    ResolversSilent {
        /// How long they had been silent.
        silent_for: Duration,
    },
    /// `resume` found the run already complete; nothing was done.
    AlreadyComplete(Box<Manifest>),
}

/// What a finished [`Scan::run`] reports.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// How it ended.
    pub end: End,
    /// The run's identifier (kept across resumes).
    pub scan_id: String,
    /// The shard's manifest.
    pub manifest_path: PathBuf,
    /// Rows written by this attempt.
    pub rows_written: u64,
    /// Input counters of this attempt.
    pub input_stats: ReadStats,
    /// The first malformed or rejected input lines.
    pub input_issues: Vec<Issue>,
    /// Queries sent by this attempt.
    pub queries: u64,
    /// Wall time of this attempt, from [`Scan::new`].
    pub elapsed: Duration,
}

enum Opened {
    Writer {
        writer: Box<DatasetWriter>,
        first_seq: u64,
    },
    Complete(Box<Manifest>),
}

/// One scan of one shard. Opening it creates or resumes the dataset; running
/// it does the DNS work.
pub struct Scan {
    /// The opened (and prepared) input; `None` for a run already complete.
    reader: Option<DomainReader>,
    config: ScanConfig,
    /// This shard's lock, released when the scan (or its `run`) ends.
    _lock: RunLock,
    opened: Opened,
    resumed: Option<Resumed>,
    manifest_path: PathBuf,
    scan_id: String,
    shared: Arc<Shared>,
    started: Instant,
}

/// How often the scan looks at its counters (drain deadline, resolver health).
const TICK: Duration = Duration::from_millis(50);

/// How long a stopped scan waits for the feeder to report once the engine
/// and the collector are done; a feeder still blocked in a read is left.
const FEEDER_GRACE: Duration = Duration::from_secs(1);

/// What the feeder hands the engine with each domain, and gets back.
struct Tag {
    seq: u64,
    ns_hosts: Vec<String>,
    suffix: String,
}

/// What the feeder thread reports when it ends.
struct ReadOutcome {
    stats: ReadStats,
    issues: Vec<Issue>,
    error: Option<InputError>,
    /// Per input: the digest of a stream read to its end.
    digests: Vec<Option<StreamDigest>>,
}

impl Scan {
    /// Fingerprints the inputs and creates the dataset, or with `resume`
    /// checks the manifest against this run and finds where to continue.
    pub fn new(config: ScanConfig) -> Result<Scan, ScanError> {
        let started = Instant::now();
        for resolver in &config.resolvers {
            crate::check_resolver(*resolver).map_err(ScanError::Config)?;
        }
        let store_shard = mailcensus_store::Shard {
            index: config.shard.index,
            count: config.shard.count,
        };
        // First of all: one process per shard and date (issue 18 item 12).
        // Held until `run` ends, so nothing below races another writer.
        let lock = RunLock::acquire(&config.out, &config.scan_date, store_shard)?;
        let mut run_config = RunConfig::new(
            &config.out,
            &config.scan_date,
            store_shard,
            config.new_scan_id(),
        );
        run_config.inputs = config
            .inputs
            .iter()
            .map(|path| mailcensus_store::fingerprint(path))
            .collect::<Result<_, _>>()?;
        let unverified: Vec<String> = run_config
            .inputs
            .iter()
            .filter(|input| input.streamed())
            .map(|input| input.path.clone())
            .collect();
        run_config.resolvers = config.resolvers.iter().map(|r| r.to_string()).collect();
        run_config.options = config.output_options();
        run_config.tuning = Tuning {
            rows_per_part: config.part_rows,
            fail_after_bytes: config.fail_after_bytes,
            ..Tuning::default()
        };
        let manifest_path =
            mailcensus_store::manifest_path(&config.out, &config.scan_date, store_shard);
        let resume = match config.resume {
            ResumeMode::Never => false,
            ResumeMode::Always => true,
            ResumeMode::Auto => manifest_path.exists(),
        };
        // The input is opened, and read once through when it is a zone file
        // (DomainReader::prepare: repeated owners' NS hosts, the domain
        // count, and every input error such as a `$INCLUDE` or a truncated
        // file), before the dataset is created or touched: an input that
        // cannot be scanned leaves no run behind. Not for a run already
        // complete, which reads nothing.
        let complete = resume && Manifest::load(&manifest_path).is_ok_and(|m| m.complete);
        let reader = if complete {
            None
        } else {
            let mut reader = DomainReader::open(
                &config.inputs,
                ReaderOptions::default()
                    .format(config.format)
                    .depth(config.depth)
                    .shard(Some(config.shard)),
            )?;
            reader.prepare()?;
            Some(reader)
        };
        let (opened, resumed) = if resume {
            match DatasetWriter::resume(run_config)? {
                mailcensus_store::Resume::Complete(manifest) => (Opened::Complete(manifest), None),
                mailcensus_store::Resume::Continue {
                    writer,
                    next_seq,
                    removed,
                } => (
                    Opened::Writer {
                        writer,
                        first_seq: next_seq,
                    },
                    Some(Resumed {
                        next_seq,
                        removed,
                        unverified: unverified.clone(),
                    }),
                ),
            }
        } else {
            (
                Opened::Writer {
                    writer: Box::new(DatasetWriter::create(run_config)?),
                    first_seq: 0,
                },
                None,
            )
        };
        let scan_id = match &opened {
            Opened::Writer { writer, .. } => writer.manifest().scan_id.clone(),
            Opened::Complete(manifest) => manifest.scan_id.clone(),
        };
        let shared = Arc::new(Shared::default());
        if let Some(resumed) = &resumed {
            shared
                .domains_done
                .store(resumed.next_seq, Ordering::Relaxed);
            shared
                .domains_fed
                .store(resumed.next_seq, Ordering::Relaxed);
        }
        if let Some(total) = reader.as_ref().and_then(DomainReader::total_domains) {
            shared.domains_total.store(total, Ordering::Relaxed);
        }
        Ok(Scan {
            reader,
            config,
            _lock: lock,
            opened,
            resumed,
            manifest_path,
            scan_id,
            shared,
            started,
        })
    }

    /// Where a resumed run continues; `None` for a new run or a complete one.
    pub fn resumed(&self) -> Option<&Resumed> {
        self.resumed.as_ref()
    }

    /// The run's identifier.
    pub fn scan_id(&self) -> &str {
        &self.scan_id
    }

    /// Progress counters, readable from any thread while [`Scan::run`] runs.
    pub fn progress(&self) -> ProgressHandle {
        ProgressHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Scans until the input ends or `stop` completes, then closes the output.
    /// Must run inside a multi-threaded tokio runtime.
    pub async fn run(self, stop: impl Future<Output = ()>) -> Result<Outcome, ScanError> {
        let Scan {
            reader,
            config,
            _lock: lock,
            opened,
            manifest_path,
            scan_id,
            shared,
            started,
            ..
        } = self;
        let (writer, first_seq) = match opened {
            Opened::Complete(manifest) => {
                return Ok(Outcome {
                    end: End::AlreadyComplete(manifest),
                    scan_id,
                    manifest_path,
                    rows_written: 0,
                    input_stats: ReadStats::default(),
                    input_issues: Vec::new(),
                    queries: 0,
                    elapsed: started.elapsed(),
                });
            }
            Opened::Writer { writer, first_seq } => (writer, first_seq),
        };
        let writer = mailcensus_store::spawn(*writer)?;
        let engine = Engine::new(config.engine_config())?;
        let Some(reader) = reader else {
            return Err(ScanError::Panicked("the scan without its input"));
        };
        let _ = shared.sources.set((reader.progress(), engine.clone()));

        let window = Arc::new(Window::new(first_seq, config.max_lag()));
        let channel = config.concurrency.max(64);
        let (domain_tx, domain_rx) = mpsc::channel::<(String, Tag)>(channel);
        let (result_tx, mut result_rx) = mpsc::channel(channel);

        // The feeder reports on a channel instead of being joined: a read that
        // never returns (a FIFO with no writer, a stalled pipe) must not hold
        // the scan once it is stopped; such a thread is left behind.
        let (read_tx, read_rx) = tokio::sync::oneshot::channel::<ReadOutcome>();
        {
            let shared = Arc::clone(&shared);
            let window = Arc::clone(&window);
            std::thread::Builder::new()
                .name("mailcensus-feeder".into())
                .spawn(move || {
                    let read = feed(reader, first_seq, &window, &shared, &domain_tx);
                    drop(domain_tx);
                    let _ = read_tx.send(read);
                })
                .map_err(|source| ScanError::Thread {
                    what: "input",
                    source,
                })?;
        }

        let collector = {
            let shared = Arc::clone(&shared);
            let window = Arc::clone(&window);
            let (row_tx, row_rx) = std::sync::mpsc::sync_channel::<(DomainResult, Tag)>(channel);
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
                .spawn(move || {
                    let written = collect(row_rx, first_seq, writer, &window, &shared);
                    // A collector that ends early must not leave the feeder waiting.
                    window.close();
                    written
                })
                .map_err(|source| ScanError::Thread {
                    what: "collector",
                    source,
                })?
        };

        let engine_task = {
            let engine = engine.clone();
            tokio::spawn(async move { engine.run(domain_rx, result_tx).await })
        };
        tokio::pin!(engine_task);
        tokio::pin!(stop);
        let mut interrupted = false;
        let mut watchdog = Watchdog::new(config.silent_resolver_limit);
        let mut silent_for = None;
        // After a stop: when the domains in flight must be done by.
        let mut drain_until: Option<Instant> = None;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop, if !interrupted => {
                    interrupted = true;
                    window.close();
                    drain_until = Some(Instant::now() + config.drain_timeout);
                }
                joined = &mut engine_task => {
                    match joined {
                        Ok(()) => {}
                        // Aborted below, after a stop: not a failure.
                        Err(err) if err.is_cancelled() => {}
                        Err(_) => return Err(ScanError::Panicked("engine task")),
                    }
                    break;
                }
                _ = tick.tick() => {
                    let fed = shared.domains_fed.load(Ordering::SeqCst);
                    let done = shared.domains_done.load(Ordering::SeqCst);
                    let now = Instant::now();
                    // Every upstream silent (issue 18 item 6): stop now, as
                    // on a signal; what is in flight would only fail.
                    if !interrupted && watchdog.observe(&engine.stats(), done < fed, now) {
                        interrupted = true;
                        silent_for = Some(watchdog.silent_for(now));
                        window.close();
                        drain_until = Some(now);
                    }
                    // The drain after a stop is bounded (issue 18 item 7):
                    // with a dead resolver the domains in flight would wait
                    // out every retry and the engine's outage patience. When
                    // nothing is in flight any more (the feeder may be stuck
                    // on a read), or the time is up, the engine is aborted:
                    // its unfinished domains never reach the writer, which
                    // keeps the contiguous prefix, so `--resume` asks them again.
                    if let Some(until) = drain_until
                        && (done >= fed || now >= until)
                    {
                        engine_task.abort();
                    }
                }
            }
        }

        // The engine is gone, so every result sender is dropped and the
        // collector ends; the feeder ends too unless a read holds it.
        let written = tokio::task::spawn_blocking(move || collector.join())
            .await
            .map_err(|_| ScanError::Panicked("collector thread"))?
            .map_err(|_| ScanError::Panicked("collector thread"))??;
        let read = match tokio::time::timeout(FEEDER_GRACE, read_rx).await {
            Ok(Ok(read)) => read,
            Ok(Err(_)) => return Err(ScanError::Panicked("input thread")),
            // Stuck in a read after a stop: its counters are unknown.
            Err(_) => ReadOutcome {
                stats: ReadStats::default(),
                issues: Vec::new(),
                error: None,
                digests: Vec::new(),
            },
        };
        record_stream_digests(&manifest_path, &read.digests)?;
        // The parts and the manifest are closed: another process may go on.
        drop(lock);
        let end = match (read.error, silent_for) {
            (Some(err), _) => End::InputError(err),
            (None, Some(silent_for)) => End::ResolversSilent { silent_for },
            (None, None) if interrupted => End::Interrupted,
            (None, None) => End::Complete,
        };
        Ok(Outcome {
            end,
            scan_id,
            manifest_path,
            rows_written: written.rows_written,
            input_stats: read.stats,
            input_issues: read.issues,
            queries: engine.stats().queries_sent(),
            elapsed: started.elapsed(),
        })
    }
}

fn feed(
    mut reader: DomainReader,
    first_seq: u64,
    window: &Window,
    shared: &Shared,
    domains: &mpsc::Sender<(String, Tag)>,
) -> ReadOutcome {
    let mut error = None;
    let mut exhausted = true;
    for (seq, item) in (0u64..).zip(reader.by_ref()) {
        let domain = match item {
            Ok(domain) => domain,
            Err(err) => {
                error = Some(err);
                exhausted = false;
                break;
            }
        };
        if seq < first_seq {
            continue;
        }
        if !window.admit(seq) {
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
    shared.input_done.store(exhausted, Ordering::SeqCst);
    ReadOutcome {
        stats: reader.stats(),
        issues: reader.issues().to_vec(),
        error,
        digests: reader.stream_digests(),
    }
}

/// A stream's size and hash are known once it has been read to its end:
/// recorded in the manifest then (issue 18 item 2), under the shard's lock,
/// after the writer's last update.
fn record_stream_digests(
    manifest_path: &std::path::Path,
    digests: &[Option<StreamDigest>],
) -> Result<(), ScanError> {
    if digests.iter().all(Option::is_none) {
        return Ok(());
    }
    let mut manifest = Manifest::load(manifest_path)?;
    for (input, digest) in manifest.inputs.iter_mut().zip(digests) {
        if let Some(digest) = digest {
            input.size = digest.size;
            input.fingerprint = mailcensus_store::stream_fingerprint(digest.xxh3);
        }
    }
    manifest.write_atomic(manifest_path)?;
    Ok(())
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
    results: std::sync::mpsc::Receiver<(DomainResult, Tag)>,
    first_seq: u64,
    mut writer: WriterHandle,
    window: &Window,
    shared: &Shared,
) -> Result<mailcensus_store::Summary, ScanError> {
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
        shared
            .reorder_peak
            .fetch_max(reorder.pending(), Ordering::Relaxed);
        for row in ready {
            if row.posture.resolution == Resolution::Error {
                shared.domains_error.fetch_add(1, Ordering::Relaxed);
            }
            writer.send(row).map_err(ScanError::Write)?;
            shared.domains_done.fetch_add(1, Ordering::Relaxed);
        }
        window.advance(reorder.watermark());
    }
    // After a stop whose drain was cut short, results past a domain that
    // never came back are dropped: the parts cover a contiguous prefix and
    // a resume asks the rest again. Without a stop a gap is a bug.
    if reorder.pending() > 0 && !window.is_closed() {
        return Err(ScanError::Gap {
            pending: reorder.pending(),
            watermark: reorder.watermark(),
        });
    }
    // Complete only when the feeder read every input to its end and the
    // scan was not stopped: an input that failed half-way (a truncated
    // `.gz`, issue 18 item 1) leaves the run incomplete, so `--resume`
    // continues it instead of calling it done. The feeder stores the flag
    // before it drops its sender, which ends the engine and then this loop.
    if shared.input_done.load(Ordering::SeqCst) && !window.is_closed() {
        Ok(writer.finish()?)
    } else {
        Ok(writer.stop()?)
    }
}
