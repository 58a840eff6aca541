//! Where a dataset's files go: the one place that builds and parses their names.
//!
//! ```text
//! DIR/scan_date=YYYY-MM-DD/part-<shard>-<part>.parquet   complete part
//! DIR/scan_date=YYYY-MM-DD/.part-<shard>-<part>.parquet.tmp   part being written
//! DIR/scan_date=YYYY-MM-DD/_manifest-<shard>.json        run manifest of a shard
//! ```
//!
//! `<shard>` and `<part>` are decimal, zero-padded to five digits (wider past
//! 99999, which keeps names unique but not sortable). The partition folder is
//! Hive-style, so DuckDB, pyarrow, Spark and Trino read `scan_date` as a
//! column; the manifest's leading `_` and the temporary files' leading `.`
//! make the same readers skip them.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError, io};

/// One shard of a run: `index` of `count`, zero-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Zero-based shard index.
    pub index: u32,
    /// Number of shards, at least 1.
    pub count: u32,
}

impl Shard {
    /// The only shard of an unsharded run.
    pub const SINGLE: Shard = Shard { index: 0, count: 1 };

    pub(crate) fn validate(self) -> Result<()> {
        if self.count == 0 || self.index >= self.count {
            return Err(StoreError::Config(format!(
                "shard {}/{} is out of range",
                self.index, self.count
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The layout in one line, for messages that tell a user what was expected.
pub const PATTERN: &str = "scan_date=YYYY-MM-DD/part-<shard>-<part>.parquet";

const PARTITION_PREFIX: &str = "scan_date=";
const PART_PREFIX: &str = "part-";
const PART_SUFFIX: &str = ".parquet";
const TEMP_PREFIX: &str = ".";
const TEMP_SUFFIX: &str = ".tmp";
const MANIFEST_PREFIX: &str = "_manifest-";
const MANIFEST_SUFFIX: &str = ".json";

/// Whether `date` is a scan date: `YYYY-MM-DD`, a real calendar day.
pub fn is_scan_date(date: &str) -> bool {
    date.len() == 10
        && date.bytes().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
}

/// `scan_date=YYYY-MM-DD`: the name of a scan date's partition folder.
pub fn partition_dir_name(scan_date: &str) -> String {
    format!("{PARTITION_PREFIX}{scan_date}")
}

/// `DIR/scan_date=YYYY-MM-DD`: the Hive-style partition of one scan date.
pub fn partition_dir(out_dir: &Path, scan_date: &str) -> PathBuf {
    out_dir.join(partition_dir_name(scan_date))
}

/// The scan date of a partition folder's name; `None` for any other name.
pub fn partition_date(dir_name: &str) -> Option<&str> {
    dir_name
        .strip_prefix(PARTITION_PREFIX)
        .filter(|date| is_scan_date(date))
}

fn padded(n: u64) -> String {
    format!("{n:05}")
}

/// `part-<shard>-<part>.parquet`.
pub fn part_file_name(shard: Shard, part: u64) -> String {
    format!(
        "{PART_PREFIX}{}-{}{PART_SUFFIX}",
        padded(u64::from(shard.index)),
        padded(part)
    )
}

/// The shard index and part number of a complete part's file name; `None`
/// for any other name (temporary parts and manifests included).
pub fn parse_part_file_name(name: &str) -> Option<(u32, u64)> {
    let numbers = name.strip_prefix(PART_PREFIX)?.strip_suffix(PART_SUFFIX)?;
    let (shard, part) = numbers.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !(digits(shard) && digits(part)) {
        return None;
    }
    Some((shard.parse().ok()?, part.parse().ok()?))
}

/// The temporary name a part is written under: hidden, and not matching
/// `*.parquet`, so no reader's glob picks up an incomplete file.
pub fn part_temp_name(shard: Shard, part: u64) -> String {
    temp_name(&part_file_name(shard, part))
}

/// The shard index and part number of a temporary part's file name.
pub fn parse_part_temp_name(name: &str) -> Option<(u32, u64)> {
    parse_part_file_name(name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?)
}

/// The hidden name `file_name` is written under before it is renamed into place.
pub fn temp_name(file_name: &str) -> String {
    format!("{TEMP_PREFIX}{file_name}{TEMP_SUFFIX}")
}

/// `_manifest-<shard>.json`.
pub fn manifest_file_name(shard: Shard) -> String {
    format!(
        "{MANIFEST_PREFIX}{}{MANIFEST_SUFFIX}",
        padded(u64::from(shard.index))
    )
}

/// The manifest of a shard for a scan date.
pub fn manifest_path(out_dir: &Path, scan_date: &str, shard: Shard) -> PathBuf {
    partition_dir(out_dir, scan_date).join(manifest_file_name(shard))
}

/// The partitions below `out_dir`, `(scan date, folder)`, oldest first.
/// Entries that are not partition folders are skipped.
pub fn partitions(out_dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    let entries = fs::read_dir(out_dir).map_err(io("cannot list directory", out_dir))?;
    for entry in entries {
        let entry = entry.map_err(io("cannot list directory", out_dir))?;
        let name = entry.file_name();
        let Some(date) = name.to_str().and_then(partition_date) else {
            continue;
        };
        let path = entry.path();
        if path.is_dir() {
            found.push((date.to_owned(), path));
        }
    }
    found.sort();
    Ok(found)
}

/// The complete parts of one partition folder (every shard), sorted by name.
pub fn part_files(partition: &Path) -> Result<Vec<PathBuf>> {
    let mut parts = Vec::new();
    let entries = fs::read_dir(partition).map_err(io("cannot list directory", partition))?;
    for entry in entries {
        let entry = entry.map_err(io("cannot list directory", partition))?;
        let path = entry.path();
        let complete = entry
            .file_name()
            .to_str()
            .is_some_and(|name| parse_part_file_name(name).is_some());
        if complete && path.is_file() {
            parts.push(path);
        }
    }
    parts.sort();
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_zero_padded_and_hidden_while_temporary() {
        let cases = [
            (
                Shard::SINGLE,
                0,
                "part-00000-00000.parquet",
                ".part-00000-00000.parquet.tmp",
            ),
            (
                Shard { index: 3, count: 8 },
                12,
                "part-00003-00012.parquet",
                ".part-00003-00012.parquet.tmp",
            ),
            (
                Shard { index: 0, count: 1 },
                123_456,
                "part-00000-123456.parquet",
                ".part-00000-123456.parquet.tmp",
            ),
        ];
        for (shard, part, name, temp) in cases {
            assert_eq!(part_file_name(shard, part), name);
            assert_eq!(part_temp_name(shard, part), temp);
            assert_eq!(parse_part_file_name(name), Some((shard.index, part)));
            assert_eq!(parse_part_temp_name(temp), Some((shard.index, part)));
            assert_eq!(parse_part_file_name(temp), None);
            assert_eq!(parse_part_temp_name(name), None);
        }
        assert_eq!(
            manifest_file_name(Shard { index: 7, count: 9 }),
            "_manifest-00007.json"
        );
    }

    #[test]
    fn only_part_names_parse() {
        // Any number of digits parses (older fixtures wrote 4 and 6).
        assert_eq!(parse_part_file_name("part-0-0.parquet"), Some((0, 0)));
        assert_eq!(
            parse_part_file_name("part-0000-000000.parquet"),
            Some((0, 0))
        );
        assert_eq!(
            parse_part_file_name("part-00002-00013.parquet"),
            Some((2, 13))
        );
        let others = [
            "part-00000-00000.parquet.tmp",
            "part-a-0.parquet",
            "part--0.parquet",
            "part-0-.parquet",
            "part-0.parquet",
            "part-+1-0.parquet",
            "_manifest-00000.json",
            "data_0.parquet",
        ];
        for name in others {
            assert_eq!(parse_part_file_name(name), None, "{name}");
        }
    }

    #[test]
    fn partition_names_carry_a_real_date() {
        assert_eq!(partition_dir_name("2026-11-23"), "scan_date=2026-11-23");
        for (name, want) in [
            ("scan_date=2026-11-23", Some("2026-11-23")),
            ("scan_date=2026-1-23", None),
            ("scan_date=2026_11_23", None),
            ("scan_date=2026-13-01", None),
            ("scan_date=20261123ab", None),
            ("scan_date=", None),
            ("date=2026-11-23", None),
        ] {
            assert_eq!(partition_date(name), want, "{name}");
        }
    }
}
