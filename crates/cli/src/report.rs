//! `mailcensus report`: adoption figures from scan Parquet.
//!
//! Reads every snapshot below DIR (or one `scan_date=…` folder), computes the
//! figures with `mailcensus-report` and writes one format to `--out` or stdout.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use mailcensus_report::render::{Format, render};
use mailcensus_report::{Brands, Options, SectorMap, build, compare};

/// Output format flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Markdown, for publications.
    Md,
    /// One self-contained HTML file with SVG charts.
    Html,
    /// Long-format CSV, formula-injection safe.
    Csv,
    /// Every figure, stable keys.
    Json,
}

/// Flags of `mailcensus report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scan output directory (holding `scan_date=YYYY-MM-DD/` folders), or one such folder.
    pub dir: PathBuf,
    /// CSV of `domain,sector[,size_class]` to break figures down by sector.
    #[arg(long, value_name = "CSV")]
    pub sectors: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: FormatArg,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Compare two snapshots: counts of domains that adopted, dropped,
    /// strengthened or weakened SPF, DMARC enforcement and DNSSEC, and the
    /// regressions per DNS operator (DMARC enforcing to none, SPF lost,
    /// DNSSEC bogus, DANE lost).
    #[arg(long, num_args = 2, value_names = ["DATE_A", "DATE_B"])]
    pub compare: Option<Vec<String>>,
    /// With --compare, write the changed domains as `TOPIC_CHANGE.csv` files
    /// and the regressions as `regressions.csv` (operator, regression, domain) here.
    #[arg(long, value_name = "DIR", requires = "compare")]
    pub export: Option<PathBuf>,
    /// Entries in top-N tables (include targets); also the most named rows
    /// of the DNS operator, MX provider and report platform tables.
    /// [range: 1-10000]
    #[arg(long, default_value_t = 20,
          value_parser = crate::limits::ranged::<usize>(crate::limits::TOP))]
    pub top: usize,
    /// Minimum share (percent of the table's base) for a DNS operator, MX
    /// provider or DMARC report platform to get its own row; the rest are "other".
    /// [range: 0-100]
    #[arg(long, value_name = "PERCENT", default_value_t = 0.5,
          value_parser = crate::limits::percent)]
    pub min_share: f64,
    /// Error share (percent) above which a figure is printed with a visible
    /// warning (and listed under `coverage.warnings` in JSON). [range: 0-100]
    #[arg(long, value_name = "PERCENT", default_value_t = 5.0,
          value_parser = crate::limits::percent)]
    pub max_error_share: f64,
    /// File of brand domains, one per line: list the scanned domains that
    /// look like them (typos, homoglyphs, brand + word) with their mail posture.
    #[arg(long, value_name = "FILE")]
    pub brands: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let sectors = match &args.sectors {
        Some(p) => Some(SectorMap::load(p)?),
        None => None,
    };
    let brands = match &args.brands {
        Some(p) => Some(Brands::load(p)?),
        None => None,
    };
    for (flag, v) in [
        ("--min-share", args.min_share),
        ("--max-error-share", args.max_error_share),
    ] {
        anyhow::ensure!(
            (0.0..=100.0).contains(&v),
            "{flag} is a percentage between 0 and 100, not {v}"
        );
    }
    let compare = match args.compare.as_deref() {
        Some([a, b]) => Some((a.clone(), b.clone())),
        Some(_) => anyhow::bail!("--compare takes two dates"),
        None => None,
    };
    let opts = Options {
        top_n: args.top,
        min_share: args.min_share,
        max_error_share: args.max_error_share,
        sectors,
        brands,
        compare,
    };
    let report =
        build(&args.dir, &opts).with_context(|| format!("reading {}", args.dir.display()))?;
    let format = match args.format {
        FormatArg::Md => Format::Markdown,
        FormatArg::Html => Format::Html,
        FormatArg::Csv => Format::Csv,
        FormatArg::Json => Format::Json,
    };
    let text = render(&report, format)?;
    if let (Some(dir), Some(cmp)) = (&args.export, &report.compare) {
        let files = compare::export(cmp, dir)?;
        eprintln!(
            "mailcensus report: wrote {} domain lists to {}",
            files.len(),
            dir.display()
        );
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "mailcensus report: {} rows in {:.2} s ({:.0} rows/s)",
        report.rows_read,
        secs,
        report.rows_read as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
