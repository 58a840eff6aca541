//! The ground truth: one row per domain, the summary, reading it back.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Serialize;

use super::options::{Layout, UniverseOptions};
use crate::error::TestbedError;

/// One domain's planted value of every contract column (DESIGN.md "Output
/// contract"), minus `scan_id`, `scanned_at`, `queries`, `elapsed_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[allow(missing_docs)] // the field names are the contract's column names
pub struct Truth {
    pub domain: String,
    pub suffix: String,
    pub resolution: String,
    pub ns_hosts: Vec<String>,
    pub mx_status: String,
    pub mx_hosts: Vec<String>,
    pub spf_status: String,
    pub spf_record: Option<String>,
    pub spf_all: Option<String>,
    pub spf_lookups: Option<i32>,
    pub spf_void_lookups: Option<i32>,
    pub spf_error: Option<String>,
    pub dmarc_status: String,
    pub dmarc_record: Option<String>,
    pub dmarc_error: Option<String>,
    pub dmarc_p: Option<String>,
    pub dmarc_sp: Option<String>,
    pub dmarc_np: Option<String>,
    pub dmarc_pct: Option<i32>,
    pub dmarc_t: Option<bool>,
    pub dmarc_rua: Vec<String>,
    pub dmarc_ruf: Vec<String>,
    pub dmarc_rua_authorized: Option<bool>,
    pub dnssec_status: String,
    pub dnssec_algorithms: Vec<u8>,
    pub dnssec_reason: Option<String>,
    pub bimi_status: String,
    pub bimi_logo: Option<String>,
    pub bimi_authority: Option<String>,
    pub mta_sts_status: String,
    pub tlsrpt_status: String,
    pub dkim_status: String,
    pub dane_status: String,
    pub parked: bool,
}

impl Truth {
    pub(super) fn blank(
        domain: &str,
        tld: &str,
        ns_hosts: Vec<String>,
        resolution: &str,
        status: &str,
    ) -> Self {
        Truth {
            domain: domain.to_owned(),
            suffix: tld.to_owned(),
            resolution: resolution.to_owned(),
            ns_hosts,
            mx_status: status.to_owned(),
            mx_hosts: Vec::new(),
            spf_status: status.to_owned(),
            spf_record: None,
            spf_all: None,
            spf_lookups: None,
            spf_void_lookups: None,
            spf_error: None,
            dmarc_status: status.to_owned(),
            dmarc_record: None,
            dmarc_error: None,
            dmarc_p: None,
            dmarc_sp: None,
            dmarc_np: None,
            dmarc_pct: None,
            dmarc_t: None,
            dmarc_rua: Vec::new(),
            dmarc_ruf: Vec::new(),
            dmarc_rua_authorized: None,
            dnssec_status: if status == "absent" {
                "insecure"
            } else {
                status
            }
            .to_owned(),
            dnssec_algorithms: Vec::new(),
            dnssec_reason: None,
            bimi_status: status.to_owned(),
            bimi_logo: None,
            bimi_authority: None,
            mta_sts_status: status.to_owned(),
            tlsrpt_status: status.to_owned(),
            dkim_status: status.to_owned(),
            dane_status: status.to_owned(),
            parked: false,
        }
    }
}

/// `summary.json`: the planted counts of every status column and the headline
/// percentages of DESIGN.md "Statistics" (denominator: every domain).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Domains in the dump.
    pub domains: usize,
    /// The TLD.
    pub suffix: String,
    /// The seed.
    pub seed: u64,
    /// `zones` or `flat`.
    pub layout: String,
    /// Headline percentages (0–100, unrounded).
    pub headline: BTreeMap<String, f64>,
    /// For each status column, the count of each value.
    pub counts: BTreeMap<String, BTreeMap<String, usize>>,
}

/// The headline shares of the summary: name and which truths count.
type Headline = (&'static str, fn(&Truth) -> bool);

/// DESIGN.md "Statistics": DMARC enforcing is the policy receivers apply,
/// whatever else in the record is broken.
const HEADLINE: [Headline; 13] = [
    ("spf_present_pct", |t| {
        matches!(t.spf_status.as_str(), "valid" | "invalid")
    }),
    ("spf_valid_pct", |t| t.spf_status == "valid"),
    ("spf_error_pct", |t| t.spf_status == "error"),
    ("dmarc_present_pct", |t| {
        matches!(t.dmarc_status.as_str(), "valid" | "invalid")
    }),
    ("dmarc_valid_pct", |t| t.dmarc_status == "valid"),
    ("dmarc_enforcing_pct", |t| {
        matches!(t.dmarc_p.as_deref(), Some("quarantine" | "reject"))
    }),
    ("dmarc_error_pct", |t| t.dmarc_status == "error"),
    ("dnssec_secure_pct", |t| t.dnssec_status == "secure"),
    ("dane_valid_pct", |t| t.dane_status == "valid"),
    ("null_mx_pct", |t| t.mx_status == "null_mx"),
    ("parked_pct", |t| t.parked),
    ("resolution_error_pct", |t| t.resolution == "error"),
    ("nxdomain_pct", |t| t.resolution == "nxdomain"),
];

/// The summary's counts, added up one truth at a time, so that a universe's
/// summary never needs its truths in memory at once.
#[derive(Debug, Default)]
pub(super) struct SummaryCounts {
    domains: usize,
    counts: BTreeMap<String, BTreeMap<String, usize>>,
    headline: [usize; HEADLINE.len()],
}

impl SummaryCounts {
    /// Counts one domain's truth.
    pub(super) fn add(&mut self, t: &Truth) {
        self.domains += 1;
        fn null(v: &Option<String>) -> &str {
            v.as_deref().unwrap_or("null")
        }
        let parked = if t.parked { "true" } else { "false" };
        let cols: [(&str, &str); 14] = [
            ("resolution", &t.resolution),
            ("mx_status", &t.mx_status),
            ("spf_status", &t.spf_status),
            ("spf_all", null(&t.spf_all)),
            ("dmarc_status", &t.dmarc_status),
            ("dmarc_p", null(&t.dmarc_p)),
            ("dnssec_status", &t.dnssec_status),
            ("dnssec_reason", null(&t.dnssec_reason)),
            ("bimi_status", &t.bimi_status),
            ("mta_sts_status", &t.mta_sts_status),
            ("tlsrpt_status", &t.tlsrpt_status),
            ("dkim_status", &t.dkim_status),
            ("dane_status", &t.dane_status),
            ("parked", parked),
        ];
        for (col, val) in cols {
            let values = self.counts.entry(col.to_owned()).or_default();
            match values.get_mut(val) {
                Some(count) => *count += 1,
                None => {
                    values.insert(val.to_owned(), 1);
                }
            }
        }
        for (count, (_, counts)) in self.headline.iter_mut().zip(HEADLINE) {
            *count += usize::from(counts(t));
        }
    }

    /// The summary of every truth added.
    pub(super) fn summary(self, opts: &UniverseOptions, layout: Layout, tld: &str) -> Summary {
        let n = self.domains;
        let pct = |count: usize| -> f64 {
            if n == 0 {
                0.0
            } else {
                count as f64 * 100.0 / n as f64
            }
        };
        let headline = HEADLINE
            .iter()
            .zip(self.headline)
            .map(|((name, _), count)| ((*name).to_owned(), pct(count)))
            .collect();
        Summary {
            domains: n,
            suffix: tld.to_owned(),
            seed: opts.seed,
            layout: match layout {
                Layout::Zones => "zones",
                Layout::Flat => "flat",
            }
            .into(),
            headline,
            counts: self.counts,
        }
    }
}

/// Reads `truth.jsonl` (or `truth.jsonl.gz`, as committed in `datasets/`).
pub fn read_truth(path: &Path) -> Result<Vec<Truth>, TestbedError> {
    use std::io::Read as _;
    let raw =
        fs::read(path).map_err(|e| TestbedError::io(format!("read {}", path.display()), e))?;
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_string(&mut s)
            .map_err(|e| TestbedError::io(format!("gunzip {}", path.display()), e))?;
        s
    } else {
        String::from_utf8(raw).map_err(|e| TestbedError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| TestbedError::Parse {
                path: path.to_path_buf(),
                message: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}
