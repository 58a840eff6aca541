//! Throughput of the engine against one server: the full probe mix with
//! classification on, over a list of domains. Driven by `benches/dns/bench.sh`,
//! which also runs dnsperf on the same server with the same query mix.
//!
//! ```text
//! engine_bench --server 127.0.0.1:PORT --domains FILE [--concurrency N]
//!              [--probes LIST] [--timeout-ms MS] [--retries N] [--limit N]
//!              [--sockets N] [--window-floor N] [--domains-in-flight N]
//! ```
//! Prints one `key=value` line: domains, queries, seconds, qps, domains/s,
//! per-domain latency percentiles, outcomes, and the engine's counters.

use std::io::BufRead;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mailcensus_dns::{Engine, EngineConfig, ProbeSet, parse_resolver};
use mailcensus_posture::Resolution;
use tokio::sync::mpsc;

// The allocator of the `mailcensus` binary, so the bench measures what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    server: SocketAddr,
    domains: String,
    concurrency: usize,
    probes: ProbeSet,
    timeout: Duration,
    retries: u32,
    limit: usize,
    sockets: Option<usize>,
    window_floor: Option<usize>,
    domains_in_flight: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        server: "127.0.0.1:53".parse().map_err(|e| format!("{e}"))?,
        domains: String::new(),
        concurrency: 1000,
        probes: ProbeSet(mailcensus_dns::Probe::ALL.to_vec()),
        timeout: Duration::from_millis(1000),
        retries: 2,
        limit: usize::MAX,
        sockets: None,
        window_floor: None,
        domains_in_flight: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--server" => args.server = parse_resolver(&value).map_err(|e| e.to_string())?,
            "--domains" => args.domains = value,
            "--concurrency" => {
                args.concurrency = value.parse().map_err(|e| format!("{flag}: {e}"))?
            }
            "--probes" => args.probes = value.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--timeout-ms" => {
                args.timeout =
                    Duration::from_millis(value.parse().map_err(|e| format!("{flag}: {e}"))?)
            }
            "--retries" => args.retries = value.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--limit" => args.limit = value.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--sockets" => args.sockets = Some(value.parse().map_err(|e| format!("{flag}: {e}"))?),
            "--domains-in-flight" => {
                args.domains_in_flight = Some(value.parse().map_err(|e| format!("{flag}: {e}"))?)
            }
            "--window-floor" => {
                args.window_floor = Some(value.parse().map_err(|e| format!("{flag}: {e}"))?)
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.domains.is_empty() {
        return Err("--domains FILE is required".into());
    }
    Ok(args)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(rank).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let file = std::io::BufReader::new(std::fs::File::open(&args.domains)?);
    let domains: Vec<String> = file
        .lines()
        .map_while(Result::ok)
        .map(|line| line.trim().to_string())
        .filter(|line| !line.is_empty())
        .take(args.limit)
        .collect();
    let total = domains.len();

    let mut config = EngineConfig::new(vec![args.server]);
    config.concurrency = args.concurrency;
    config.probes = args.probes.0.clone();
    config.timeout = args.timeout;
    config.retries = args.retries;
    if let Some(sockets) = args.sockets {
        config.udp_sockets = sockets;
    }
    if let Some(domains) = args.domains_in_flight {
        config.domains_in_flight = domains;
    }
    if let Some(floor) = args.window_floor {
        config.window_floor = floor;
    }
    let engine = Engine::new(config)?;

    let (tx, rx) = mpsc::channel(1024);
    let (out_tx, mut out_rx) = mpsc::channel(1024);
    let start = Instant::now();
    let feeder = tokio::spawn(async move {
        for (i, domain) in domains.into_iter().enumerate() {
            if tx.send((domain, i)).await.is_err() {
                break;
            }
        }
    });
    let runner = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run(rx, out_tx).await })
    };
    let mut latencies = Vec::with_capacity(total);
    let (mut ok, mut nx, mut error) = (0u64, 0u64, 0u64);
    let mut seen = vec![false; total];
    while let Some((result, tag)) = out_rx.recv().await {
        latencies.push(result.elapsed);
        match result.posture.resolution {
            Resolution::Ok => ok += 1,
            Resolution::NxDomain => nx += 1,
            Resolution::Error => error += 1,
        }
        if let Some(flag) = seen.get_mut(tag) {
            *flag = true;
        }
    }
    feeder.await?;
    runner.await?;
    let seconds = start.elapsed().as_secs_f64();
    let missing = seen.iter().filter(|s| !**s).count();
    latencies.sort_unstable();
    let stats = engine.stats();
    let queries = stats.sent_udp + stats.sent_tcp;
    println!(
        "domains={total} missing={missing} ok={ok} nxdomain={nx} error={error} queries={queries} \
         seconds={seconds:.3} qps={:.0} domains_per_s={:.0} p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} \
         max_ms={:.2} timeouts={} retries={} late={} mismatched={} tc={} tcp={} tcp_conns={} window={} \
         concurrency={}",
        queries as f64 / seconds,
        total as f64 / seconds,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        stats.timeouts,
        stats.retries,
        stats.late,
        stats.mismatched,
        stats.truncated,
        stats.sent_tcp,
        stats.tcp_connections,
        stats.window,
        args.concurrency,
    );
    if missing > 0 {
        return Err(format!("{missing} domains got no result").into());
    }
    Ok(())
}
