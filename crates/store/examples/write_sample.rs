//! Writes a small synthetic dataset, for the Python interoperability test and
//! for measuring the writer.
//!
//! ```text
//! cargo run -p mailcensus-store --example write_sample -- OUT_DIR [ROWS] [ROWS_PER_PART]
//! ```
//!
//! Defaults: 500 rows in parts of 200 rows (three parts), scan date
//! 2026-11-23, shard 0/1, through the writer thread. Prints the manifest path
//! and the writer's throughput.

use std::error::Error;
use std::time::Instant;

use mailcensus_store::{DatasetWriter, InputFile, RunConfig, Shard, sample, spawn};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: write_sample OUT_DIR [ROWS] [ROWS_PER_PART]")?;
    let rows: u64 = args.next().map_or(Ok(500), |s| s.parse())?;
    let rows_per_part: u64 = args.next().map_or(Ok(200), |s| s.parse())?;

    let mut config = RunConfig::new(&out, "2026-11-23", Shard::SINGLE, "sample-2026-11-23");
    config.inputs = vec![InputFile {
        path: "sample-zone.txt".into(),
        size: 0,
        fingerprint: "xxh3:0000000000000000".into(),
    }];
    config.resolvers = vec!["127.0.0.1:5300".into()];
    config.options = serde_json::json!({ "probes": "all", "sample": true });
    config.tuning.rows_per_part = rows_per_part;

    let started = Instant::now();
    let mut handle = spawn(DatasetWriter::create(config)?)?;
    for seq in 0..rows {
        handle.send(sample::row(seq, "be"))?;
    }
    let summary = handle.finish()?;
    let elapsed = started.elapsed().as_secs_f64();
    println!("{}", summary.manifest_path.display());
    eprintln!(
        "{} rows, {} parts, {:.2} s, {:.0} rows/s (row generation included)",
        summary.rows_written,
        summary.parts_written,
        elapsed,
        summary.rows_written as f64 / elapsed.max(1e-9)
    );
    Ok(())
}
