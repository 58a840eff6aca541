//! `mailcensus check DOMAIN... --resolver IP[:PORT]`: one domain's posture,
//! explained (issue 13).
//!
//! Each domain goes through the scan's own engine and classifiers
//! (`mailcensus_dns::Engine::probe_domain`, which gathers the evidence and
//! classifies it with `mailcensus_posture::classify_domain`), so a check's
//! verdicts are the scan's by construction. On top of the posture come the
//! findings (`mailcensus_posture::findings`): what is wrong or weak, why it
//! matters, what to change, each with a stable code and the RFC section that
//! decides it (`docs/check.md`).
//!
//! Output:
//! * text (the default when stdout is a terminal): one section per protocol
//!   with its status, the records as published and its findings; colour and
//!   symbols only on a terminal (`--color auto|always|never`, `NO_COLOR`).
//!   Every string from DNS is escaped ([`escape`]).
//! * `--format json` (the default otherwise): one JSON object per line and
//!   domain, whose keys and values are those of the Parquet row a scan of the
//!   same names as a list would write (`mailcensus_store::json`), plus
//!   `findings`.
//!
//! Domains are normalised and de-duplicated as scan input is
//! (`mailcensus_input`: lowercase A-labels through IDNA); `-` reads them
//! from stdin as the scan reads `-` (a list, or a zone dump whose NS hosts
//! and origin then fill `ns_hosts` and `suffix`).
//!
//! Exit code: 0 when every check ran, 1 when any probe ended in `error` (the
//! resolver could not answer) or the command failed, 2 for usage errors
//! (bad flags, config, resolver or domain names).
//!
//! The engine flags (`--resolver`, `--timeout-ms`, `--retries`, `--qps`,
//! `--qps-per-upstream`, `--config`) are a small set of check's own whose
//! defaults come from the scan's (`mailcensus_scan::ScanConfig::default`)
//! and whose resolvers are parsed by `mailcensus_dns::parse_resolver`, as
//! scan's are. They are meant to become one shared struct with scan's.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::engine_args::{self, EngineArgs};
use crate::limits;
use crate::scan_config::{config_keys, default_config};
use anyhow::Context as _;
use clap::ArgMatches;
use clap::parser::ValueSource;
use mailcensus_dns::{DnsError, DomainResult, Engine, EngineConfig};
use mailcensus_input::{DomainReader, ReaderOptions};
use mailcensus_posture::bimi::BimiStatus;
use mailcensus_posture::dkim::DkimStatus;
use mailcensus_posture::dnssec::DnssecStatus;
use mailcensus_posture::findings::{self, Finding};
use mailcensus_posture::mx::MxStatus;
use mailcensus_posture::{Posture, Resolution, Status};
use mailcensus_store::Row;
use serde::Serialize;

mod escape;
mod text;

pub use text::Style;

/// Exit code when a probe ended in `error`.
const EXIT_PROBE_ERROR: u8 = 1;
/// Exit code for usage errors.
const EXIT_USAGE: u8 = 2;

/// Domains probed at the same time; results are printed in input order.
const DOMAINS_IN_FLIGHT: usize = 16;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text on a terminal, JSON Lines otherwise.
    Auto,
    /// Sections per protocol, for people.
    Text,
    /// One JSON object per domain and line: the Parquet row's columns plus
    /// `findings`.
    Json,
}

/// When to colour the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set (or TERM=dumb).
    Auto,
    /// Always colour and use symbols.
    Always,
    /// Plain text: no colour, no symbols.
    Never,
}

/// Flags of `mailcensus check`. The engine flags and the `--config` keys
/// are the scan's (same names, defaults from the scan's configuration).
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Domains to check (names or IDNs); `-` reads more from stdin, one per
    /// line (or a zone dump).
    #[arg(required = true, value_name = "DOMAIN")]
    pub domains: Vec<String>,

    /// The resolver engine's flags, shared with `scan`.
    #[command(flatten)]
    pub engine: EngineArgs,

    /// TOML file with the scan's keys (`resolver`, `timeout-ms`, `retries`,
    /// `qps`, `qps-per-upstream` apply; the scan's other keys are ignored,
    /// unknown ones refused). Flags win.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format: text on a terminal, JSON Lines otherwise.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,

    /// Colour and symbols in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// A domain to check and the row columns that come from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    name: String,
    suffix: String,
    ns_hosts: Vec<String>,
}

/// Everything the run needs, resolved from flags, file and defaults.
struct Settings {
    engine: EngineConfig,
    targets: Vec<Target>,
    json: bool,
    style: Style,
}

/// A usage error: reported, exit 2.
#[derive(Debug)]
struct Usage(String);

impl Usage {
    fn from(err: impl std::fmt::Display) -> Usage {
        Usage(err.to_string())
    }
}

/// Fills the engine flags not given on the command line from the config
/// file's keys ([`engine_args::KEYS`]). The file is the scan's: its other
/// keys are ignored, unknown keys and keys spelt with `_` refused, as scan
/// refuses them; values are range-checked like flags.
fn merge_config(args: &mut Args, matches: Option<&ArgMatches>, text: &str) -> Result<(), Usage> {
    let file: toml::Table = toml::from_str(text).map_err(Usage::from)?;
    let given = |id: &str| {
        matches.is_some_and(|m| {
            matches!(
                m.value_source(id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        })
    };
    let known = config_keys();
    let mut merged = toml::Table::try_from(&args.engine).map_err(Usage::from)?;
    for (key, value) in file {
        if !known.contains(&key) {
            return Err(Usage(format!(
                "unknown key {key:?}: keys are the scan's long flags, spelt with `-`"
            )));
        }
        if engine_args::KEYS.contains(&key.as_str()) && !given(&key.replace('-', "_")) {
            merged.insert(key, value);
        }
    }
    args.engine = merged.try_into().map_err(Usage::from)?;
    args.engine
        .check_ranges()
        .map_err(|limits::Usage(text)| Usage(text))
}

/// The `suffix` column for a name read as a list: the name without its
/// first label (the scan's rule for list input); the zone's origin for a
/// name read from a zone dump.
fn suffix_of(name: &str, zone: Option<&str>) -> String {
    match zone {
        Some(zone) => zone.to_owned(),
        None => name
            .split_once('.')
            .map(|(_, rest)| rest.to_owned())
            .unwrap_or_default(),
    }
}

/// The domains of the arguments, normalised as scan input is, in order,
/// each once; `-` reads stdin through the scan's reader.
fn targets(args: &[String]) -> Result<Vec<Target>, Usage> {
    let mut out: Vec<Target> = Vec::new();
    let push = |target: Target, out: &mut Vec<Target>| {
        if !out.iter().any(|t| t.name == target.name) {
            out.push(target);
        }
    };
    for arg in args {
        if arg == "-" {
            let options = ReaderOptions::default().threaded(false);
            let mut reader =
                DomainReader::open(&[PathBuf::from("-")], options).map_err(Usage::from)?;
            let mut read = Vec::new();
            for item in reader.by_ref() {
                let domain = item.map_err(Usage::from)?;
                read.push(Target {
                    suffix: suffix_of(&domain.name, domain.zone.as_deref()),
                    name: domain.name,
                    ns_hosts: domain.ns_hosts,
                });
            }
            if let Some(issue) = reader.issues().first() {
                return Err(Usage(format!("stdin: {issue}")));
            }
            for target in read {
                push(target, &mut out);
            }
            continue;
        }
        let name = mailcensus_input::normalize(arg)
            .map_err(|why| Usage(format!("{arg:?} is not a domain name: {why}")))?;
        let target = Target {
            suffix: suffix_of(&name, None),
            name,
            ns_hosts: Vec::new(),
        };
        push(target, &mut out);
    }
    if out.is_empty() {
        return Err(Usage("no domain to check".to_owned()));
    }
    Ok(out)
}

impl Settings {
    fn resolve(mut args: Args, matches: Option<&ArgMatches>) -> Result<Settings, Usage> {
        if let Some(path) = args.config.clone() {
            let text = std::fs::read_to_string(&path)
                .map_err(|err| Usage(format!("reading config {}: {err}", path.display())))?;
            merge_config(&mut args, matches, &text)
                .map_err(|Usage(err)| Usage(format!("config {}: {err}", path.display())))?;
        }
        let resolvers = args
            .engine
            .resolvers()
            .map_err(|err| Usage(format!("{err:#}")))?;
        let defaults = default_config();
        let mut engine = EngineConfig::new(resolvers);
        // Concurrency, sockets and caches as a scan would run them.
        engine.concurrency = defaults.concurrency;
        engine.udp_sockets = defaults.udp_sockets;
        args.engine.apply(&mut engine);
        engine.probes = defaults.probes.0.clone();
        let targets = targets(&args.domains)?;
        let terminal = std::io::stdout().is_terminal();
        let json = match args.format {
            Format::Json => true,
            Format::Text => false,
            Format::Auto => !terminal,
        };
        let style = style(args.color, terminal);
        Ok(Settings {
            engine,
            targets,
            json,
            style,
        })
    }
}

/// Colour when asked, or on a terminal unless `NO_COLOR` is set (to
/// anything but the empty string, <https://no-color.org>) or `TERM=dumb`;
/// symbols with colour, and on any terminal unless `--color never`.
fn style(color: Color, terminal: bool) -> Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    match color {
        Color::Always => Style {
            color: true,
            symbols: true,
        },
        Color::Never => Style::default(),
        Color::Auto => Style {
            color: terminal && !no_color,
            symbols: terminal,
        },
    }
}

/// Runs the command.
pub fn run(args: Args, matches: Option<&ArgMatches>) -> anyhow::Result<ExitCode> {
    let settings = match Settings::resolve(args, matches) {
        Ok(settings) => settings,
        Err(Usage(message)) => {
            eprintln!("mailcensus: check: {}", escape::escape(&message));
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("mailcensus-check")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(check(settings))
}

/// True when a probe of the domain ended in `error`: the resolver could not
/// answer (DNSSEC `bogus` is an answer, not an error).
fn probe_failed(posture: &Posture) -> bool {
    posture.resolution == Resolution::Error
        || posture
            .mx
            .as_ref()
            .is_some_and(|m| m.status == MxStatus::Error)
        || posture
            .spf
            .as_ref()
            .is_some_and(|s| s.status == Status::Error)
        || posture
            .dmarc
            .as_ref()
            .is_some_and(|d| d.status == Status::Error)
        || posture
            .dnssec
            .as_ref()
            .is_some_and(|d| d.status == DnssecStatus::Error)
        || posture
            .bimi
            .as_ref()
            .is_some_and(|b| b.status == BimiStatus::Error)
        || posture.mta_sts == Some(Status::Error)
        || posture.tlsrpt == Some(Status::Error)
        || posture.dkim == Some(DkimStatus::Error)
        || posture.dane == Some(Status::Error)
}

/// One finding as `check --format json` writes it.
#[derive(Debug, Serialize)]
struct FindingJson {
    protocol: &'static str,
    severity: &'static str,
    code: &'static str,
    message: String,
    rfc: &'static str,
}

/// One line of `check --format json`: the row's columns, then `findings`.
#[derive(Debug, Serialize)]
struct JsonLine {
    #[serde(flatten)]
    row: mailcensus_store::json::RowObject,
    findings: Vec<FindingJson>,
}

/// The check's `scan_id`: not a scan's, but of the same shape.
fn check_id() -> String {
    format!("check-{}", chrono::Utc::now().format("%Y-%m-%d-%H%M%S%3f"))
}

fn json_line(
    seq: u64,
    target: &Target,
    result: DomainResult,
    found: &[Finding],
    scan_id: &str,
) -> anyhow::Result<String> {
    let row = Row {
        seq,
        domain: result.domain,
        suffix: target.suffix.clone(),
        ns_hosts: target.ns_hosts.clone(),
        scanned_at_ms: chrono::Utc::now().timestamp_millis(),
        posture: result.posture,
        queries: result.queries,
        elapsed_ms: u32::try_from(result.elapsed.as_millis()).unwrap_or(u32::MAX),
    };
    let line = JsonLine {
        row: mailcensus_store::json::row_object(&row, scan_id)?,
        findings: found
            .iter()
            .map(|f| FindingJson {
                protocol: f.protocol().label(),
                severity: f.severity().label(),
                code: f.code.label(),
                message: f.text(),
                rfc: f.rfc(),
            })
            .collect(),
    };
    Ok(escape::json_line(&serde_json::to_string(&line)?))
}

async fn check(settings: Settings) -> anyhow::Result<ExitCode> {
    let engine = match Engine::new(settings.engine) {
        Ok(engine) => engine,
        Err(err @ (DnsError::InvalidConfig(_) | DnsError::NoResolvers)) => {
            eprintln!("mailcensus: check: {err}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
        Err(err) => return Err(err).context("starting the resolver engine"),
    };
    let scan_id = check_id();
    let mut stdout = std::io::stdout().lock();
    let mut any_failed = false;
    let mut pending: VecDeque<(usize, tokio::task::JoinHandle<DomainResult>)> = VecDeque::new();
    let mut queue = settings.targets.iter().enumerate();
    let mut printed = 0usize;
    loop {
        while pending.len() < DOMAINS_IN_FLIGHT {
            let Some((seq, target)) = queue.next() else {
                break;
            };
            let engine = engine.clone();
            let name = target.name.clone();
            let handle = tokio::spawn(async move { engine.probe_domain(&name).await });
            pending.push_back((seq, handle));
        }
        let Some((seq, handle)) = pending.pop_front() else {
            break;
        };
        let result = handle.await.context("a check task panicked")?;
        let Some(target) = settings.targets.get(seq) else {
            break;
        };
        any_failed |= probe_failed(&result.posture);
        let found = findings::findings(&result.evidence, &result.posture);
        let text = if settings.json {
            let mut line = json_line(seq as u64, target, result, &found, &scan_id)?;
            line.push('\n');
            line
        } else {
            let mut text = String::new();
            if printed > 0 {
                text.push('\n');
            }
            text.push_str(&text::render(
                &result.evidence,
                &result.posture,
                &found,
                settings.style,
            ));
            text
        };
        printed += 1;
        let written = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
        match written {
            Ok(()) => {}
            // A closed pipe (`| head`) ends the command quietly.
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(err) => return Err(err).context("writing to stdout"),
        }
    }
    Ok(if any_failed {
        ExitCode::from(EXIT_PROBE_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_the_scans() {
        assert_eq!(suffix_of("example.mctest", None), "mctest");
        assert_eq!(suffix_of("a.b.co.uk", None), "b.co.uk");
        assert_eq!(suffix_of("localhost", None), "");
        assert_eq!(suffix_of("example.be", Some("be")), "be");
    }

    #[test]
    fn arguments_are_normalised_and_deduplicated_like_scan_input() {
        let got = targets(&[
            "Example.MCTEST.".to_owned(),
            "bücher.example".to_owned(),
            "example.mctest".to_owned(),
        ])
        .unwrap();
        let names: Vec<&str> = got.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["example.mctest", "xn--bcher-kva.example"]);
        assert!(targets(&["bad..name".to_owned()]).is_err());
        assert!(targets(&["a b".to_owned()]).is_err());
    }

    #[test]
    fn colour_follows_the_flag_the_terminal_and_no_color() {
        assert_eq!(
            style(Color::Never, true),
            Style {
                color: false,
                symbols: false
            }
        );
        assert!(style(Color::Always, false).color);
        assert!(!style(Color::Auto, false).color);
        assert!(!style(Color::Auto, false).symbols);
    }

    fn args(argv: &[&str]) -> (Args, ArgMatches) {
        use clap::{Args as _, FromArgMatches};
        let command = Args::augment_args(clap::Command::new("check"));
        let matches = command
            .try_get_matches_from(std::iter::once("check").chain(argv.iter().copied()))
            .unwrap();
        (Args::from_arg_matches(&matches).unwrap(), matches)
    }

    #[test]
    fn config_file_takes_the_scans_keys_and_flags_win() {
        let (mut a, m) = args(&["x.example", "--retries", "5"]);
        merge_config(
            &mut a,
            Some(&m),
            "resolver = [\"127.0.0.1:5300\"]\nretries = 7\ntimeout-ms = 300\nqps-per-upstream = 9\nconcurrency = 10\nout = \"/x\"\n",
        )
        .unwrap();
        let e = &a.engine;
        assert_eq!(e.resolver, ["127.0.0.1:5300"]);
        assert_eq!(
            (e.retries, e.timeout_ms, e.qps_per_upstream),
            (5, 300, Some(9))
        );
        let (mut a, m) = args(&["x.example"]);
        assert!(merge_config(&mut a, Some(&m), "timeout_ms = 3\n").is_err());
        assert!(merge_config(&mut a, Some(&m), "retries = \"x\"\n").is_err());
        assert!(merge_config(&mut a, Some(&m), "retries = -1\n").is_err());
        // The scan's ranges and resolver checks apply to the file's values too.
        assert!(merge_config(&mut a, Some(&m), "retries = 11\n").is_err());
        assert!(merge_config(&mut a, Some(&m), "no-such-key = 1\n").is_err());
        let (mut a, m) = args(&["x.example"]);
        merge_config(&mut a, Some(&m), "resolver = [\"0.0.0.0:53\"]\n").unwrap();
        assert!(a.engine.resolvers().is_err());
    }

    #[test]
    fn defaults_are_the_scans() {
        let (a, _) = args(&["x.example"]);
        let scan = default_config();
        let e = &a.engine;
        assert_eq!(e.retries, scan.retries);
        assert_eq!(e.timeout(), scan.timeout);
        assert_eq!(
            (e.qps, e.qps_per_upstream),
            (scan.qps, scan.qps_per_upstream)
        );
    }
}
