//! The pipeline in-process against the loopback testbed: a generated flat
//! universe served by Knot behind Unbound. One row per input domain; an
//! interrupted run resumed gives every domain once and the same rows as an
//! uninterrupted one; the feeder never runs further ahead than its window.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arrow_array::{Array, BooleanArray, Int32Array, StringArray};
use mailcensus_scan::{End, ResumeMode, Scan, ScanConfig};
use mailcensus_store::Manifest;
use mailcensus_store::schema::{DOMAIN, ELAPSED_MS, QUERIES, SCAN_ID, SCANNED_AT};
use mailcensus_testbed::universe::{Layout, UniverseOptions, generate, read_truth};
use mailcensus_testbed::{KnotServer, TestbedError, UnboundOptions, UnboundServer, ZoneSpec};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const DOMAINS: usize = 300;
const SCAN_DATE: &str = "2026-11-23";

/// Fails the test (never skips it) when the servers cannot run.
fn started<T>(what: &str, result: Result<T, TestbedError>) -> T {
    match result {
        Ok(server) => server,
        Err(TestbedError::BinaryMissing { name }) => {
            panic!("{name} is not installed: run scripts/install-deps.sh")
        }
        Err(err) => panic!("{what} did not start: {err}"),
    }
}

struct Bed {
    dir: tempfile::TempDir,
    _knot: KnotServer,
    /// Behind a lock so a test can stop it while a scan runs.
    unbound: std::sync::Mutex<UnboundServer>,
    resolver: SocketAddr,
    truth: Vec<String>,
}

impl Bed {
    fn start() -> Bed {
        let dir = tempfile::tempdir().unwrap();
        let universe = dir.path().join("universe");
        let opts = UniverseOptions {
            layout: Some(Layout::Flat),
            dead_lame: Some(0),
            ..UniverseOptions::new(DOMAINS, 5)
        };
        generate(&opts, &universe).unwrap();
        let zones: Vec<ZoneSpec> = std::fs::read_to_string(universe.join("zones.list"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let mut it = l.split_whitespace();
                let name = it.next().unwrap();
                ZoneSpec::new(name, universe.join(it.next().unwrap()))
            })
            .collect();
        let knot = started("knotd", KnotServer::start(&zones, &dir.path().join("knot")));
        let mut options = UnboundOptions::new(knot.addr);
        options.stub_zones = vec![opts.tld.clone()];
        let unbound = started(
            "unbound",
            UnboundServer::start(&options, &dir.path().join("unbound")),
        );
        let truth = read_truth(&universe.join("truth.jsonl"))
            .unwrap()
            .into_iter()
            .map(|t| t.domain)
            .collect();
        Bed {
            dir,
            _knot: knot,
            resolver: unbound.addr,
            unbound: std::sync::Mutex::new(unbound),
            truth,
        }
    }

    fn dump(&self) -> PathBuf {
        self.dir.path().join("universe/dump.zone")
    }

    fn config(&self, out: &Path) -> ScanConfig {
        let resolver: SocketAddr = self.resolver;
        ScanConfig {
            inputs: vec![self.dump()],
            resolvers: vec![resolver],
            out: out.to_path_buf(),
            concurrency: 50,
            timeout: Duration::from_millis(800),
            scan_date: SCAN_DATE.into(),
            ..ScanConfig::default()
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A row as comparable text: every string, int and bool column except the ones
/// that differ between runs (timing, cost, the run's id).
type Rows = Vec<(String, BTreeMap<String, String>)>;

fn read_parts(manifest_path: &Path) -> Rows {
    let manifest = Manifest::load(manifest_path).unwrap();
    let dir = manifest_path.parent().unwrap();
    let mut rows = Vec::new();
    for part in &manifest.parts {
        let file = std::fs::File::open(dir.join(&part.file)).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let schema = batch.schema();
            for i in 0..batch.num_rows() {
                let mut row = BTreeMap::new();
                let mut domain = String::new();
                for (field, column) in schema.fields().iter().zip(batch.columns()) {
                    let name = field.name().as_str();
                    if [SCAN_ID, SCANNED_AT, QUERIES, ELAPSED_MS]
                        .iter()
                        .any(|c| c.name == name)
                    {
                        continue;
                    }
                    let any = column.as_any();
                    let text = if column.is_null(i) {
                        "null".to_string()
                    } else if let Some(a) = any.downcast_ref::<StringArray>() {
                        a.value(i).to_string()
                    } else if let Some(a) = any.downcast_ref::<Int32Array>() {
                        a.value(i).to_string()
                    } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
                        a.value(i).to_string()
                    } else {
                        continue;
                    };
                    if name == DOMAIN.name {
                        domain = text.clone();
                    }
                    row.insert(name.to_string(), text);
                }
                rows.push((domain, row));
            }
        }
    }
    rows
}

fn sorted_domains(rows: &Rows) -> Vec<String> {
    let mut domains: Vec<String> = rows.iter().map(|(d, _)| d.clone()).collect();
    domains.sort();
    domains
}

#[test]
fn a_scan_writes_each_domain_once_and_a_resumed_interrupted_scan_writes_the_same_rows() {
    let bed = Bed::start();
    let mut truth = bed.truth.clone();
    truth.sort();
    assert_eq!(truth.len(), DOMAINS);
    let rt = runtime();

    // (a) An uninterrupted scan: one row per input domain.
    let clean_out = bed.dir.path().join("clean");
    let outcome = rt
        .block_on(
            Scan::new(bed.config(&clean_out))
                .unwrap()
                .run(std::future::pending()),
        )
        .unwrap();
    assert!(matches!(outcome.end, End::Complete), "{:?}", outcome.end);
    assert_eq!(outcome.rows_written, DOMAINS as u64);
    let clean = read_parts(&outcome.manifest_path);
    assert_eq!(sorted_domains(&clean), truth, "one row per input domain");

    // (b) Interrupted after some rows, with parts small enough that several
    // are complete, then resumed.
    let out = bed.dir.path().join("resumed");
    let mut config = bed.config(&out);
    config.part_rows = 20;
    config.concurrency = 8;
    let scan = Scan::new(config.clone()).unwrap();
    let progress = scan.progress();
    let stop = async move {
        while progress.snapshot().domains_done < 90 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let first = rt.block_on(scan.run(stop)).unwrap();
    assert!(matches!(first.end, End::Interrupted), "{:?}", first.end);
    assert!(
        first.rows_written >= 90 && first.rows_written < DOMAINS as u64,
        "interrupted after {} rows",
        first.rows_written
    );
    let manifest = Manifest::load(&first.manifest_path).unwrap();
    assert!(manifest.parts.len() >= 4, "{} parts", manifest.parts.len());

    config.resume = ResumeMode::Always;
    let scan = Scan::new(config.clone()).unwrap();
    let resumed = scan.resumed().unwrap().next_seq;
    assert!(resumed >= 80, "resumed after {resumed}");
    let second = rt.block_on(scan.run(std::future::pending())).unwrap();
    assert!(matches!(second.end, End::Complete), "{:?}", second.end);
    assert_eq!(resumed + second.rows_written, DOMAINS as u64);
    let mut both = read_parts(&second.manifest_path);
    assert_eq!(sorted_domains(&both), truth, "every domain exactly once");
    let mut clean = clean;
    clean.sort();
    both.sort();
    assert_eq!(both, clean, "the same rows as an uninterrupted scan");

    // Resuming a complete run does nothing.
    let again = rt
        .block_on(Scan::new(config).unwrap().run(std::future::pending()))
        .unwrap();
    assert!(matches!(again.end, End::AlreadyComplete(_)));
}

#[test]
fn the_feeder_never_runs_further_ahead_than_its_window() {
    let bed = Bed::start();
    let rt = runtime();
    let mut config = bed.config(&bed.dir.path().join("out"));
    config.reorder_lag = Some(3);
    let scan = Scan::new(config).unwrap();
    let progress = scan.progress();
    let outcome = rt.block_on(scan.run(std::future::pending())).unwrap();
    assert!(matches!(outcome.end, End::Complete), "{:?}", outcome.end);
    assert_eq!(outcome.rows_written, DOMAINS as u64);
    let peak = progress.snapshot().reorder_peak;
    assert!(peak <= 3, "the reorder buffer held {peak} results");
    assert!(
        peak >= 1,
        "results never overtook each other: the test proves nothing"
    );
}

/// The bed's domains as a gzip list cut in the middle of its compressed bytes.
fn truncated_gzip_list(bed: &Bed) -> PathBuf {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for domain in &bed.truth {
        writeln!(gz, "{domain}").unwrap();
    }
    let bytes = gz.finish().unwrap();
    let path = bed.dir.path().join("truncated.list.gz");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    path
}

/// Issue 18 item 1: half a `.gz` ended the scan with "reading the input
/// stopped the scan", yet the manifest said `complete: true` and `--resume`
/// answered "already complete". An input not read to its end leaves the run
/// incomplete, and a resume continues it (and meets the same error).
#[test]
fn a_truncated_compressed_input_leaves_the_run_incomplete_and_resumable() {
    let bed = Bed::start();
    let rt = runtime();
    let mut config = bed.config(&bed.dir.path().join("out"));
    config.inputs = vec![truncated_gzip_list(&bed)];
    // Sniffing the format would read 64 KiB first and meet the cut there.
    config.format = Some(mailcensus_input::Format::List);
    config.part_rows = 10;
    let first = rt
        .block_on(
            Scan::new(config.clone())
                .unwrap()
                .run(std::future::pending()),
        )
        .unwrap();
    assert!(matches!(first.end, End::InputError(_)), "{:?}", first.end);
    assert!(first.rows_written > 0, "nothing before the cut was scanned");
    assert!(first.rows_written < DOMAINS as u64);
    let manifest = Manifest::load(&first.manifest_path).unwrap();
    assert!(
        !manifest.complete,
        "a truncated input was recorded as complete"
    );
    assert!(manifest.ended_at.is_some());
    assert_eq!(manifest.rows, first.rows_written);

    config.resume = ResumeMode::Always;
    let scan = Scan::new(config).unwrap();
    assert!(scan.resumed().is_some(), "resume found nothing to continue");
    let second = rt.block_on(scan.run(std::future::pending())).unwrap();
    assert!(matches!(second.end, End::InputError(_)), "{:?}", second.end);
    assert_eq!(
        second.rows_written, 0,
        "the rows before the cut were written twice"
    );
    assert!(!Manifest::load(&second.manifest_path).unwrap().complete);
}

/// Issue 18 item 12: a `--resume` started while the first run still ran
/// deleted the live run's temporary part, and the first run then renamed the
/// other's file into place. A second process for the same shard and date is
/// refused before it touches anything, with the holder's PID.
#[test]
fn a_second_scan_of_a_shard_in_progress_is_refused_naming_the_holder() {
    let bed = Bed::start();
    let out = bed.dir.path().join("out");
    let first = Scan::new(bed.config(&out)).unwrap();
    let mut config = bed.config(&out);
    for resume in [false, true] {
        config.resume = if resume {
            ResumeMode::Always
        } else {
            ResumeMode::Never
        };
        let err = match Scan::new(config.clone()) {
            Ok(_) => panic!("a second scan (resume {resume}) of a live shard was let in"),
            Err(err) => err.to_string(),
        };
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "resume {resume}: {err}"
        );
    }
    let rt = runtime();
    let outcome = rt.block_on(first.run(std::future::pending())).unwrap();
    assert!(matches!(outcome.end, End::Complete), "{:?}", outcome.end);
    // Released when the first run ended.
    config.resume = ResumeMode::Always;
    let again = rt
        .block_on(Scan::new(config).unwrap().run(std::future::pending()))
        .unwrap();
    assert!(matches!(again.end, End::AlreadyComplete(_)));
}

/// A loopback UDP port where nothing listens: a dead resolver.
fn dead_resolver() -> SocketAddr {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap()
}

/// A list of `n` names, none of which will ever be answered.
fn plain_list(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("plain.list");
    let text: String = (0..n).map(|i| format!("d{i}.example\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// Issue 18 item 7: Ctrl-C with a dead resolver did not finish "the domains
/// in flight" in 10 minutes. The drain after a stop is bounded by
/// `drain_timeout`; the domains it cuts off are left for `--resume`.
#[test]
fn a_stop_with_a_dead_resolver_drains_in_bounded_time_and_leaves_the_rest_for_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let config = ScanConfig {
        inputs: vec![plain_list(dir.path(), 200)],
        resolvers: vec![dead_resolver()],
        out: out.clone(),
        concurrency: 16,
        timeout: Duration::from_millis(500),
        scan_date: SCAN_DATE.into(),
        drain_timeout: Duration::from_secs(2),
        ..ScanConfig::default()
    };
    let rt = runtime();
    let scan = Scan::new(config.clone()).unwrap();
    let started = std::time::Instant::now();
    let outcome = rt
        .block_on(async {
            let stop = tokio::time::sleep(Duration::from_secs(1));
            tokio::time::timeout(Duration::from_secs(30), scan.run(stop)).await
        })
        .expect("the drain after the stop did not end")
        .unwrap();
    let took = started.elapsed();
    assert!(matches!(outcome.end, End::Interrupted), "{:?}", outcome.end);
    assert!(
        took < Duration::from_secs(8),
        "stop after 1 s with a 2 s drain took {took:?}"
    );
    let manifest = Manifest::load(&outcome.manifest_path).unwrap();
    assert!(!manifest.complete);
    assert!(manifest.rows < 200, "every domain was written");
    let mut config = config;
    config.resume = ResumeMode::Always;
    let resumed = Scan::new(config).unwrap();
    assert_eq!(resumed.resumed().unwrap().next_seq, manifest.rows);
}

/// Issue 18 item 6: with its resolver killed mid-run, a scan ground on for
/// hours writing `error` rows. When every upstream has been silent for
/// `silent_resolver_limit` with domains in flight, it stops: complete parts
/// kept, the run incomplete and resumable.
#[test]
fn a_scan_whose_every_resolver_goes_silent_stops_and_can_be_resumed() {
    let bed = Bed::start();
    let rt = runtime();
    let mut config = bed.config(&bed.dir.path().join("out"));
    config.qps = Some(100);
    config.part_rows = 10;
    config.timeout = Duration::from_millis(300);
    config.silent_resolver_limit = Duration::from_secs(2);
    let scan = Scan::new(config.clone()).unwrap();
    let progress = scan.progress();
    let outcome = std::thread::scope(|s| {
        s.spawn(|| {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while progress.snapshot().domains_done < 30 && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            bed.unbound.lock().unwrap().stop();
        });
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(60), scan.run(std::future::pending())).await
        })
    })
    .expect("the scan ground on with a dead resolver")
    .unwrap();
    let End::ResolversSilent { silent_for } = outcome.end else {
        panic!("{:?}", outcome.end)
    };
    assert!(silent_for >= Duration::from_secs(2), "{silent_for:?}");
    let manifest = Manifest::load(&outcome.manifest_path).unwrap();
    assert!(!manifest.complete);
    assert!(
        manifest.rows >= 20 && manifest.rows < DOMAINS as u64,
        "{} rows",
        manifest.rows
    );

    // The resolver is back: the same run continues to the end.
    bed.unbound.lock().unwrap().restart().unwrap();
    config.resume = ResumeMode::Always;
    let scan = Scan::new(config).unwrap();
    assert_eq!(scan.resumed().unwrap().next_seq, manifest.rows);
    let second = rt.block_on(scan.run(std::future::pending())).unwrap();
    assert!(matches!(second.end, End::Complete), "{:?}", second.end);
    let rows = read_parts(&second.manifest_path);
    let mut truth = bed.truth.clone();
    truth.sort();
    assert_eq!(sorted_domains(&rows), truth, "every domain exactly once");
}

/// Issue 18 item 1 (`$INCLUDE`): refused, and before scanning: a zone file is
/// read through once before the dataset is created, so a `$INCLUDE` at its
/// end (or a truncated file) stops the scan before any query and leaves no
/// run behind.
#[test]
fn a_zone_file_with_include_is_refused_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("inc.zone");
    let mut text = String::from("$ORIGIN be.\n@ SOA ns.be. h.be. 1 2 3 4 5\n");
    for i in 0..500 {
        text.push_str(&format!("d{i} NS ns.op.net.\n"));
    }
    text.push_str("$INCLUDE more.zone\n");
    std::fs::write(&zone, text).unwrap();
    let out = dir.path().join("out");
    let config = ScanConfig {
        inputs: vec![zone],
        resolvers: vec![dead_resolver()],
        out: out.clone(),
        scan_date: SCAN_DATE.into(),
        ..ScanConfig::default()
    };
    let err = match Scan::new(config) {
        Ok(_) => panic!("a zone with $INCLUDE was accepted"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.contains("inc.zone:503") && err.contains("$INCLUDE"),
        "{err}"
    );
    let manifest = out.join(format!("scan_date={SCAN_DATE}/_manifest-00000.json"));
    assert!(!manifest.exists(), "a run was created");
}

/// The error and its sources, as the binary prints them.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Issue 18: a full disk was reported as "External: No space left on
/// device", naming no file. The error names the part being written.
#[test]
fn a_full_disk_names_the_file_it_could_not_write() {
    let bed = Bed::start();
    let rt = runtime();
    let mut config = bed.config(&bed.dir.path().join("out"));
    config.part_rows = 100;
    config.fail_after_bytes = Some(2000);
    let err = rt
        .block_on(Scan::new(config).unwrap().run(std::future::pending()))
        .unwrap_err();
    let text = chain(&err);
    assert!(text.contains("part-00000-00000.parquet"), "{text}");
    assert!(text.contains("No space left on device"), "{text}");
}
