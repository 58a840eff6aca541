//! The report without the CLI crate: the same library calls as
//! `mailcensus report`, for benchmarks and tests while the full binary is not
//! at hand. Flags: `DIR [--sectors CSV] [--format md|html|csv|json] [--out PATH]
//! [--compare DATE_A DATE_B] [--top N] [--min-share PCT] [--max-error-share PCT]
//! [--brands FILE]`.

use std::time::Instant;

use mailcensus_report::render::{Format, render};
use mailcensus_report::{Brands, Options, SectorMap, build};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut opts = Options::default();
    let mut format = Format::Markdown;
    let mut out = None;
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--sectors" => opts.sectors = Some(SectorMap::load(val()?.as_ref())?),
            "--format" => {
                format = match val()?.as_str() {
                    "md" => Format::Markdown,
                    "html" => Format::Html,
                    "csv" => Format::Csv,
                    "json" => Format::Json,
                    f => return Err(format!("unknown format {f}").into()),
                }
            }
            "--out" => out = Some(val()?),
            "--top" => opts.top_n = val()?.parse()?,
            "--min-share" => opts.min_share = val()?.parse()?,
            "--max-error-share" => opts.max_error_share = val()?.parse()?,
            "--brands" => opts.brands = Some(Brands::load(val()?.as_ref())?),
            "--compare" => {
                let a = val()?;
                opts.compare = Some((a, val()?));
            }
            _ => dir = Some(a),
        }
    }
    let dir = dir.ok_or("usage: report DIR [flags]")?;
    let report = build(dir.as_ref(), &opts)?;
    let text = render(&report, format)?;
    match out {
        Some(p) => std::fs::write(p, text)?,
        None => print!("{text}"),
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "report: {} rows in {secs:.2} s ({:.0} rows/s)",
        report.rows_read,
        report.rows_read as f64 / secs.max(1e-9)
    );
    Ok(())
}
