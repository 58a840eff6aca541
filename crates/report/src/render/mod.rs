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

/// The distributions of a snapshot with their titles, in display order.
pub(crate) fn distributions(
    s: &SnapshotReport,
) -> [(&'static str, &'static str, &Distribution); 9] {
    let d = &s.distributions;
    [
        ("dmarc_policy", "DMARC policy ladder", &d.dmarc_policy),
        ("spf_all", "SPF all-qualifier", &d.spf_all),
        ("spf_lookups", "SPF DNS lookups", &d.spf_lookups),
        (
            "spf_include_targets",
            "Top SPF include targets",
            &d.spf_include_targets,
        ),
        ("mx_providers", "Top MX providers", &d.mx_providers),
        (
            "microsoft365",
            "Microsoft 365 MX: legacy vs mx.microsoft",
            &d.microsoft365,
        ),
        (
            "dmarc_rua_destinations",
            "DMARC report destinations",
            &d.dmarc_rua_destinations,
        ),
        (
            "dnssec_bogus_reasons",
            "Why DNSSEC is bogus (resolver's Extended DNS Error, RFC 8914)",
            &d.dnssec_bogus_reasons,
        ),
        (
            "dnssec_error_reasons",
            "Why DNSSEC could not be determined (Extended DNS Error)",
            &d.dnssec_error_reasons,
        ),
    ]
}

/// Human description of a distribution's base.
pub(crate) fn base_label(base: &str) -> &'static str {
    match base {
        "dmarc_valid" => "domains with valid DMARC",
        "spf_present" => "domains with SPF",
        "mx_present" => "domains with MX",
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
