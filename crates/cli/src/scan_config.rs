//! Settings of `mailcensus scan`: flags, an optional TOML file, defaults.
//!
//! The TOML file takes the same keys as the long flags (`qps-per-upstream = 500`,
//! `resolver = ["127.0.0.1:5300"]`); a flag given on the command line wins over
//! the file, and the file over the defaults. Reading the config never touches
//! the network: resolvers are parsed (by `mailcensus_dns::parse_resolver`), not
//! contacted.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// Defaults, chosen for one validating resolver on the same machine.
pub mod defaults {
    /// Queries in flight at most; the adaptive window stays below it.
    pub const CONCURRENCY: usize = 1000;
    /// UDP sockets per address family (the engine's default).
    pub const UDP_SOCKETS: usize = mailcensus_dns::DEFAULT_UDP_SOCKETS;
    /// Per-attempt timeout in milliseconds.
    pub const TIMEOUT_MS: u64 = 2000;
    /// Attempts after the first.
    pub const RETRIES: u32 = 2;
    /// Rows per Parquet part before it is closed and renamed.
    pub const PART_ROWS: usize = 1 << 20;
}

/// The keys of the `--config` file: the long flags, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FileConfig {
    /// Input files.
    pub inputs: Option<Vec<PathBuf>>,
    /// Upstream resolvers.
    pub resolver: Option<Vec<String>>,
    /// Output directory.
    pub out: Option<PathBuf>,
    /// In-flight cap.
    pub concurrency: Option<usize>,
    /// UDP sockets per address family.
    pub udp_sockets: Option<usize>,
    /// Global rate cap.
    pub qps: Option<u32>,
    /// Per-upstream rate cap.
    pub qps_per_upstream: Option<u32>,
    /// Probe list.
    pub probes: Option<String>,
    /// Shard `I/N`.
    pub shard: Option<String>,
    /// Shard count, index from the job environment.
    pub shards: Option<u32>,
    /// Per-attempt timeout.
    pub timeout_ms: Option<u64>,
    /// Retries.
    pub retries: Option<u32>,
    /// Rows per part.
    pub part_rows: Option<usize>,
    /// Summary JSON path.
    pub summary_json: Option<PathBuf>,
}

impl FileConfig {
    /// Reads and parses a TOML config file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))
    }
}

/// `--scan-date`: `YYYY-MM-DD`, default today in UTC.
pub fn parse_scan_date(text: Option<&str>) -> anyhow::Result<chrono::NaiveDate> {
    match text {
        None => Ok(chrono::Utc::now().date_naive()),
        Some(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .with_context(|| format!("--scan-date {text:?} is not YYYY-MM-DD")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_uses_flag_names_and_rejects_unknown_keys() {
        let config: FileConfig =
            toml::from_str("qps-per-upstream = 500\nresolver = [\"127.0.0.1:5300\"]\n").unwrap();
        assert_eq!(config.qps_per_upstream, Some(500));
        assert_eq!(config.resolver.unwrap(), ["127.0.0.1:5300"]);
        let config: FileConfig = toml::from_str("udp-sockets = 8\n").unwrap();
        assert_eq!(config.udp_sockets, Some(8));
        assert!(toml::from_str::<FileConfig>("qps_per_upstream = 1\n").is_err());
    }

    #[test]
    fn scan_date_is_strict() {
        assert_eq!(
            parse_scan_date(Some("2026-11-23")).unwrap().to_string(),
            "2026-11-23"
        );
        assert!(parse_scan_date(Some("23/11/2026")).is_err());
    }
}
