//! `mailcensus-testbed`: generates planted universes for the loopback testbed,
//! and starts, stops and reports on detached Knot + Unbound pairs serving them.
//!
//! ```text
//! mailcensus-testbed generate --domains 10000 --seed 1 --out datasets/sample
//! mailcensus-testbed start datasets/sample /tmp/testbed   # scripts/testbed.sh start …
//! mailcensus scan datasets/sample/dump.zone --resolver "$(cat /tmp/testbed/unbound.addr)" …
//! mailcensus-testbed stop /tmp/testbed
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mailcensus_testbed::TestbedError;
use mailcensus_testbed::detached::{self, Settings, Started};
use mailcensus_testbed::universe::{Layout, UniverseOptions, generate};

#[derive(Parser)]
#[command(
    version,
    about = "Synthetic TLD universes with planted mail-security posture"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LayoutArg {
    /// Signed TLD of delegations, one Knot zone per resolvable domain.
    Zones,
    /// One unsigned TLD zone with every record (million-domain benchmarks).
    Flat,
}

#[derive(Subcommand)]
enum Command {
    /// Writes zone files, zones.list, trust-anchors, dump.zone, truth.jsonl,
    /// summary.json and sectors.csv into OUT.
    Generate {
        /// Number of domains (at least 50).
        #[arg(long)]
        domains: usize,
        /// Seed of every random choice.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// The made-up TLD.
        #[arg(long, default_value = "mctest")]
        tld: String,
        /// Zone layout (default: zones up to 50,000 domains, flat above).
        #[arg(long, value_enum)]
        layout: Option<LayoutArg>,
        /// Signed children (zones layout; default 3% of domains, 6 to 300).
        #[arg(long)]
        signed: Option<usize>,
        /// Lame delegations to the silent 127.0.0.2 (default 0.1% of domains).
        #[arg(long)]
        dead_lame: Option<usize>,
        /// Write only dump.zone and summary.json: a benchmark input whose
        /// names a smaller universe of the same seed serves (its first blocks).
        #[arg(long)]
        dump_only: bool,
    },
    /// Starts Knot serving ZONES (zones.list and trust-anchors, or a
    /// zones.tar.gz of them) and Unbound in front of it, on 127.0.0.1 high
    /// ports, detached; writes STATE/knot.addr, STATE/unbound.addr (IP:PORT),
    /// the pid files, configurations and logs. Keeps a pair already running.
    ///
    /// Environment: KNOT_PORT, UNBOUND_PORT (fixed ports), KNOT_UDP_WORKERS
    /// (2), UNBOUND_THREADS (1), UNBOUND_MSG_CACHE_MB (64),
    /// UNBOUND_RRSET_CACHE_MB (128), KNOT_LOAD_TIMEOUT (300 s).
    Start {
        /// The zones directory.
        zones: PathBuf,
        /// The state directory (created if missing).
        state: PathBuf,
    },
    /// Stops the servers of STATE (nothing to do when none runs).
    Stop {
        /// The state directory.
        state: PathBuf,
    },
    /// Exits 0 when both servers of STATE run and answer, 1 otherwise.
    Status {
        /// The state directory.
        state: PathBuf,
    },
}

/// Prints `error: cause…` and fails.
fn fail(e: &TestbedError) -> ExitCode {
    eprintln!("mailcensus-testbed: {}", chain(e));
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Generate {
            domains,
            seed,
            out,
            tld,
            layout,
            signed,
            dead_lame,
            dump_only,
        } => {
            let opts = UniverseOptions {
                tld,
                layout: layout.map(|l| match l {
                    LayoutArg::Zones => Layout::Zones,
                    LayoutArg::Flat => Layout::Flat,
                }),
                signed,
                dead_lame,
                dump_only,
                ..UniverseOptions::new(domains, seed)
            };
            match generate(&opts, &out) {
                Ok(g) => {
                    println!(
                        "{} domains, {} zones ({} signed children, {:?} layout) in {}",
                        g.domains,
                        g.zones,
                        g.signed_children,
                        g.layout,
                        g.dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        Command::Start { zones, state } => {
            let started = Settings::from_env()
                .and_then(|settings| detached::start(&zones, &state, &settings));
            match started {
                Ok(Started::AlreadyRunning(running)) => {
                    println!("testbed already running: {running}");
                    ExitCode::SUCCESS
                }
                Ok(Started::Up(running)) => {
                    println!("testbed up: {running}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        // As `scripts/testbed.sh stop` always did: silent when there is no state.
        Command::Stop { state } if !state.is_dir() => ExitCode::SUCCESS,
        Command::Stop { state } => match detached::stop(&state) {
            Ok(()) => {
                println!("testbed stopped");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Status { state } => match detached::status(&state) {
            Some(running) => {
                println!("running: {running}");
                ExitCode::SUCCESS
            }
            None => {
                println!("not running");
                ExitCode::FAILURE
            }
        },
    }
}

/// `error: cause: cause…`: library errors do not repeat their source's text.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let causes = std::iter::successors(Some(e), |e| (*e).source());
    causes
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}
