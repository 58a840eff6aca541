//! The documented range of every numeric flag, and the parsers that hold
//! flags to them (issue 18 item 9).
//!
//! A value outside its range is clap's usage error (exit 2), the same in every
//! command; a value from the `--config` file is checked against the same
//! range by [`check`], so no path lets an absurd value reach the engine (where
//! `--concurrency 18446744073709551615` once panicked and `10000000` asked for
//! 8 GB). Each flag's help ends with its range, written from these constants.

use std::ops::RangeInclusive;

use clap::builder::RangedU64ValueParser;

/// `--concurrency`: queries in flight. More than 65,536 exceeds a UDP
/// socket's 16-bit id space (RFC 5452 §9.2) with room to spare, and no
/// resolver's receive buffer holds anywhere near it.
pub const CONCURRENCY: RangeInclusive<u64> = 1..=65_536;
/// `--udp-sockets`: each is a socket with two tasks; 256 is far past any gain.
pub const UDP_SOCKETS: RangeInclusive<u64> = 1..=256;
/// `--qps`, `--qps-per-upstream`: 10 M/s is two orders above a machine's reach.
pub const QPS: RangeInclusive<u64> = 1..=10_000_000;
/// `--timeout-ms`: 10 ms (loopback) to one minute.
pub const TIMEOUT_MS: RangeInclusive<u64> = 10..=60_000;
/// `--retries`: attempts after the first.
pub const RETRIES: RangeInclusive<u64> = 0..=10;
/// `--part-rows`: one row to 100 M rows per Parquet part.
pub const PART_ROWS: RangeInclusive<u64> = 1..=100_000_000;
/// `--depth`: labels below the apex where registrations sit.
pub const DEPTH: RangeInclusive<u64> = 1..=16;
/// `--shards`, and N of `--shard I/N`: a Kubernetes Indexed Job has at most
/// 100,000 completions; a Slurm array is capped lower by default.
pub const SHARDS: RangeInclusive<u64> = 1..=1_000_000;
/// `report --top`: rows of a top-N table.
pub const TOP: RangeInclusive<u64> = 1..=10_000;

/// A clap parser for an integer flag held to `range`.
pub fn ranged<T>(range: RangeInclusive<u64>) -> RangedU64ValueParser<T>
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
    <T as TryFrom<u64>>::Error: std::fmt::Display + Send + Sync + 'static,
{
    RangedU64ValueParser::<T>::new().range(range)
}

/// A clap parser for a percentage flag (`report --min-share`,
/// `--max-error-share`): a finite number from 0 to 100.
pub fn percent(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if value.is_finite() && (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not in 0..=100"))
    }
}

/// `--shard I/N` with N within [`SHARDS`].
pub fn parse_shard(text: &str) -> Result<mailcensus_input::Shard, String> {
    let shard: mailcensus_input::Shard = text.parse().map_err(|e| format!("{e}"))?;
    if !SHARDS.contains(&u64::from(shard.count)) {
        return Err(format!(
            "{text}: the shard count must be in {}..={}",
            SHARDS.start(),
            SHARDS.end()
        ));
    }
    Ok(shard)
}

/// clap's parser for `--shard I/N` kept as text (the config file's form).
pub fn shard_text(text: &str) -> Result<String, String> {
    parse_shard(text).map(|_| text.to_string())
}

/// The same check for a value that did not come through clap (the config
/// file): a usage error naming the key, its value and its range.
pub fn check(key: &str, value: u64, range: &RangeInclusive<u64>) -> Result<(), Usage> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(Usage(format!(
        "invalid value '{value}' for '{key}': {value} is not in {}..={}",
        range.start(),
        range.end()
    )))
}

/// A usage error found after clap's own parsing (a config-file value, a
/// scan date or resolver from the file): `main` exits 2 on it, as clap does.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}
