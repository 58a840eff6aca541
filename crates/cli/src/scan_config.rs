//! Settings of `mailcensus scan`: flags, an optional TOML file, defaults.
//!
//! One struct, [`crate::scan::Args`], is both the flags and the file's keys, so
//! the TOML file takes the long flags' names (`qps-per-upstream = 500`,
//! `resolver = ["127.0.0.1:5300"]`). A flag given on the command line wins over
//! the file, and the file over the defaults. Every default comes from
//! [`ScanConfig::default`], which the help's `[default: …]` shows. Reading the
//! config never touches the network: resolvers are parsed (by
//! `mailcensus_dns::parse_resolver`), not contacted.

use std::time::Duration;

use anyhow::Context;
use clap::ArgMatches;
use clap::parser::ValueSource;
use mailcensus_dns::{Probe, ProbeSet};
use mailcensus_scan::ScanConfig;

use crate::scan::Args;

/// The pipeline's defaults, the one place the flags' defaults come from.
pub fn default_config() -> ScanConfig {
    ScanConfig::default()
}

/// A duration as the whole milliseconds of `--timeout-ms`.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A probe set as `--probes` spells it.
pub fn probes_text(probes: &ProbeSet) -> String {
    if probes.0 == Probe::ALL {
        return "all".to_string();
    }
    probes
        .0
        .iter()
        .map(|probe| probe.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// The flags with the file's keys filled in wherever the command line did not
/// give the flag. Unknown keys, and keys written with `_`, are refused.
pub fn merge_config_file(flags: &Args, matches: &ArgMatches, text: &str) -> anyhow::Result<Args> {
    let file: toml::Table = toml::from_str(text)?;
    let known = config_keys();
    if let Some(unknown) = file.keys().find(|key| !known.contains(key)) {
        anyhow::bail!("unknown key {unknown:?} (keys are the long flags' names: {known:?})");
    }
    let mut merged = toml::Table::try_from(flags).context("encoding the flags")?;
    for (key, value) in file {
        let id = key.replace('-', "_");
        let given = matches.ids().any(|known| known == id.as_str())
            && matches!(
                matches.value_source(&id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            );
        if !given || key.contains('_') {
            merged.insert(key, value);
        }
    }
    let mut args: Args = merged.try_into()?;
    // Not settings of a run but of this invocation: never from the file.
    args.resume = flags.resume;
    args.config = flags.config.clone();
    Ok(args)
}

/// The keys a config file may hold: scan's long flags (and `inputs`), as
/// spelt on the command line; `--config` and `--resume` are settings of one
/// invocation, not of a run, and are not keys. `check` reads the same file.
pub fn config_keys() -> Vec<String> {
    use clap::Args as _;
    let command = Args::augment_args(clap::Command::new("scan"));
    command
        .get_arguments()
        .filter_map(|arg| match arg.get_long() {
            Some(long) => Some(long.to_string()),
            None if arg.is_positional() => Some(arg.get_id().to_string()),
            None => None,
        })
        .filter(|key| key != "config" && key != "resume")
        .collect()
}

/// `--scan-date`: exactly `YYYY-MM-DD`, a real calendar date (without it,
/// [`ScanConfig::default`]'s today). chrono alone takes `26-12-01` as year 26
/// and `2026-1-5` as January 5th; the partition name must be the text given,
/// so the shape is checked first: four digits, dash, two, dash, two.
pub fn parse_scan_date(text: &str) -> Result<chrono::NaiveDate, String> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    let date = shaped
        .then(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten();
    date.ok_or_else(|| format!("{text:?} is not a date written YYYY-MM-DD"))
}

/// clap's parser for `--scan-date`, keeping the text as given.
pub fn scan_date_text(text: &str) -> Result<String, String> {
    parse_scan_date(text).map(|_| text.to_string())
}

#[cfg(test)]
mod tests {
    use clap::{Args as _, Command, FromArgMatches};

    use super::*;

    fn command() -> Command {
        Args::augment_args(Command::new("scan"))
    }

    fn merged(argv: &[&str], file: &str) -> anyhow::Result<Args> {
        let matches =
            command().try_get_matches_from(std::iter::once("scan").chain(argv.iter().copied()))?;
        let flags = Args::from_arg_matches(&matches)?;
        merge_config_file(&flags, &matches, file)
    }

    #[test]
    fn config_file_uses_flag_names_and_rejects_unknown_keys() {
        let config = merged(
            &[],
            "qps-per-upstream = 500\nresolver = [\"127.0.0.1:5300\"]\n",
        )
        .unwrap();
        assert_eq!(config.engine.qps_per_upstream, Some(500));
        assert_eq!(config.engine.resolver, ["127.0.0.1:5300"]);
        let config = merged(
            &[],
            "udp-sockets = 8\nscan-date = \"2026-01-02\"\ndepth = 2\nformat = \"list\"\n",
        )
        .unwrap();
        assert_eq!(config.udp_sockets, 8);
        assert_eq!(config.scan_date.as_deref(), Some("2026-01-02"));
        assert_eq!((config.depth, config.format.as_deref()), (2, Some("list")));
        for bad in [
            "qps_per_upstream = 1\n",
            "udp_sockets = 1\n",
            "nonsense = 1\n",
            "resume = true\n",
            "config = \"x\"\n",
        ] {
            let err = merged(&[], bad).unwrap_err();
            let key = bad.split(' ').next().unwrap();
            assert!(format!("{err:#}").contains(key), "{bad}: {err:#}");
        }
    }

    #[test]
    fn a_flag_wins_over_the_file_and_the_file_over_the_default() {
        let config = merged(&["--retries", "5"], "retries = 7\nconcurrency = 9\n").unwrap();
        assert_eq!((config.engine.retries, config.concurrency), (5, 9));
        let config = merged(&[], "").unwrap();
        assert_eq!(config.concurrency, default_config().concurrency);
        assert_eq!(config.engine.timeout_ms, millis(default_config().timeout));
    }

    #[test]
    fn help_shows_each_default_once_from_the_pipeline() {
        let help = command().render_long_help().to_string();
        let defaults = default_config();
        for (flag, value) in [
            ("--concurrency", defaults.concurrency.to_string()),
            ("--udp-sockets", defaults.udp_sockets.to_string()),
            ("--timeout-ms", millis(defaults.timeout).to_string()),
            ("--retries", defaults.retries.to_string()),
            ("--part-rows", defaults.part_rows.to_string()),
            ("--depth", defaults.depth.to_string()),
            ("--probes", "all".to_string()),
        ] {
            let start = help
                .find(&format!("{flag} <"))
                .unwrap_or_else(|| panic!("{flag} missing:\n{help}"));
            let block: Vec<&str> = help[start..]
                .lines()
                .enumerate()
                .take_while(|(i, line)| *i == 0 || !line.trim_start().starts_with('-'))
                .map(|(_, line)| line)
                .collect();
            let block = block.join("\n");
            assert_eq!(block.matches("[default: ").count(), 1, "{flag}:\n{block}");
            assert!(
                block.contains(&format!("[default: {value}]")),
                "{flag}:\n{block}"
            );
        }
    }

    #[test]
    fn scan_date_is_strict() {
        assert_eq!(
            parse_scan_date("2026-11-23").unwrap().to_string(),
            "2026-11-23"
        );
        for bad in [
            "23/11/2026",
            "26-12-01",
            "2026-1-5",
            "2026-02-30",
            "+2026-01-05",
        ] {
            assert!(parse_scan_date(bad).is_err(), "{bad}");
        }
    }
}
