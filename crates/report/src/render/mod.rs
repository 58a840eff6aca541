//! Output formats. Each renderer escapes DNS-derived text for its own syntax:
//! HTML and SVG entities ([`markup`]), Markdown punctuation, CSV formula
//! prefixes. [`html`] draws its charts with [`svg`]; modules depend one way
//! (html → svg → markup).

pub mod csv;
pub mod html;
pub mod markdown;
pub mod markup;
pub mod svg;

use crate::aggregate::{Distribution, SnapshotReport};
use crate::attribution::{Contribution, MetricChange};
use crate::groups::OTHER;
use crate::metrics::{METRICS, error_of, metric_index, pct_text};
use crate::{Report, ReportError};

/// Output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Markdown, for publications.
    Markdown,
    /// One self-contained HTML file with inline SVG charts.
    Html,
    /// Long-format CSV: one figure per line.
    Csv,
    /// Every figure, stable keys.
    Json,
}

/// Renders the report.
pub fn render(report: &Report, format: Format) -> Result<String, ReportError> {
    Ok(match format {
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
        Format::Csv => csv::render(report),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report)?;
            s.push('\n');
            s
        }
    })
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The folded provider tables of a snapshot with their titles: MX providers
/// and DMARC report platforms.
pub(crate) fn providers(s: &SnapshotReport) -> [(&'static str, &'static str, &Distribution); 2] {
    let d = &s.distributions;
    [
        ("mx_providers", "MX providers", &d.mx_providers),
        (
            "dmarc_rua_destinations",
            "DMARC report platforms",
            &d.dmarc_rua_destinations,
        ),
    ]
}

/// The distributions of a snapshot with their titles, in display order
/// ([`providers`] first).
pub(crate) fn distributions(
    s: &SnapshotReport,
) -> [(&'static str, &'static str, &Distribution); 9] {
    let d = &s.distributions;
    let [mx, rua] = providers(s);
    [
        mx,
        rua,
        ("dmarc_policy", "DMARC policy ladder", &d.dmarc_policy),
        ("spf_all", "SPF all-qualifier", &d.spf_all),
        ("spf_lookups", "SPF DNS lookups", &d.spf_lookups),
        (
            "spf_include_targets",
            "Top SPF include targets",
            &d.spf_include_targets,
        ),
        (
            "microsoft365",
            "Microsoft 365 MX: legacy vs mx.microsoft",
            &d.microsoft365,
        ),
        (
            "dnssec_bogus_reasons",
            "Why DNSSEC is bogus (Extended DNS Error)",
            &d.dnssec_bogus_reasons,
        ),
        (
            "dnssec_error_reasons",
            "Why DNSSEC is undetermined (EDE)",
            &d.dnssec_error_reasons,
        ),
    ]
}

/// The label of metric `key`.
pub(crate) fn label(key: &str) -> &'static str {
    metric_index(key).map_or("", |i| METRICS[i].label)
}

/// The error share of metric `key`'s column in `s`, as text, and whether it
/// exceeds the report's threshold.
pub(crate) fn error_share(s: &SnapshotReport, key: &str) -> Option<(String, bool)> {
    let e = error_of(key)?;
    let warn = s.coverage.warnings.iter().any(|w| w.error_metric == e);
    let c = metric_index(e).map_or(0, |i| s.headline.0.metrics[i]);
    Some((pct_text(c, s.domains), warn))
}

/// The sentence parts of one metric's change: the signed points, and the
/// largest operator and MX provider parts with their share of the change.
pub(crate) struct ChangeLine<'a> {
    /// The metric's label.
    pub label: &'static str,
    /// `+4.1` or `-0.3`.
    pub delta: String,
    /// The largest DNS-operator part, unless it is `other`.
    pub operator: Option<&'a Contribution>,
    /// The largest MX-provider part, unless it is `other`.
    pub mx: Option<&'a Contribution>,
}

/// Changes of at least a tenth of a point, as sentence parts.
pub(crate) fn change_line(m: &MetricChange) -> Option<ChangeLine<'_>> {
    if m.delta_points.abs() < 0.05 {
        return None;
    }
    fn top(v: &[Contribution]) -> Option<&Contribution> {
        v.first()
            .filter(|c| c.name != OTHER && c.share_of_change.is_some())
    }
    Some(ChangeLine {
        label: label(m.metric),
        delta: format!("{:+.1}", m.delta_points),
        operator: top(&m.by_dns_operator),
        mx: top(&m.by_mx_provider),
    })
}

/// How much of a change a part explains, as text: `91% of it` when the
/// part moved with the change and explains at most all of it; otherwise
/// (parts that cancel out, a part larger than the net change) the part in
/// points, `largest part +0.11 points`, since a percentage of a net change
/// would read as nonsense (346% of it).
pub(crate) fn share_text(c: &Contribution) -> String {
    match c.share_of_change {
        Some(s) if s > 0.0 && s < 10.0 => format!("{s:.1}% of it"),
        Some(s) if s > 0.0 && s <= 100.0 => format!("{s:.0}% of it"),
        _ => format!("largest part {:+.2} points", c.points),
    }
}

/// The error share (of all scanned domains) of the column a distribution's
/// base is read from, as `(text, above the threshold)`: shown under every
/// distribution, as under every other table.
pub(crate) fn base_error(s: &SnapshotReport, base: &str) -> Option<(String, bool)> {
    let key = match base {
        "mx_present" => "null_mx",
        "spf_present" => "spf_present",
        "dmarc_valid" | "dmarc_rua_present" => "dmarc_present",
        _ => return None,
    };
    error_share(s, key)
}

/// Human description of a distribution's base.
pub(crate) fn base_label(base: &str) -> &'static str {
    match base {
        "dmarc_valid" => "domains with valid DMARC",
        "spf_present" => "domains with SPF",
        "mx_present" => "domains with MX hosts",
        "dmarc_rua_present" => "domains with valid DMARC and rua",
        "dnssec_bogus" => "DNSSEC-bogus domains",
        "dnssec_error" => "domains whose DNSSEC status is error",
        _ => "domains",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        for (n, s) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1234567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), s);
        }
    }
}
