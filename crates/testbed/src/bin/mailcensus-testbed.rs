//! `mailcensus-testbed`: generates planted universes for the loopback testbed.
//!
//! ```text
//! mailcensus-testbed generate --domains 10000 --seed 1 --out datasets/sample
//! scripts/testbed.sh start datasets/sample /tmp/testbed
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
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
    },
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
        } => {
            let opts = UniverseOptions {
                tld,
                layout: layout.map(|l| match l {
                    LayoutArg::Zones => Layout::Zones,
                    LayoutArg::Flat => Layout::Flat,
                }),
                signed,
                dead_lame,
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
                Err(e) => {
                    eprintln!("mailcensus-testbed: {}", chain(&e));
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `error: cause: cause…`: library errors do not repeat their source's text.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        text.push_str(": ");
        text.push_str(&s.to_string());
        cur = s.source();
    }
    text
}
