//! Long-format CSV: `date,section,group,metric,count,percent,base`, one figure
//! per line, so a spreadsheet can pivot it. Sections beyond the figures keep
//! the seven cells with their own meaning: `change_by_*` lines hold
//! `from..to`, the group, the metric, `count_from->count_to`, the part in
//! points and `domains_from->domains_to`; `lookalike` lines hold the brand,
//! the domain, the kind, `mx_status` and the DMARC policy (or status).
//!
//! Cells are neutralised against formula injection (OWASP "CSV Injection"): a
//! cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading
//! `'`, so a spreadsheet shows it as text instead of running it. Include targets
//! and MX hosts come from attacker-controlled DNS, so every cell goes through
//! [`cell`], numbers included.

use std::fmt::Write;

use crate::Report;
use crate::metrics::pct_text;

/// One CSV cell: neutralised, then quoted per RFC 4180 when needed.
pub fn cell(s: &str) -> String {
    let neutral = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

fn line(out: &mut String, cells: &[&str]) {
    let row: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    let _ = writeln!(out, "{}", row.join(","));
}

/// Renders the whole report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    line(
        &mut out,
        &[
            "date", "section", "group", "metric", "count", "percent", "base",
        ],
    );
    for s in &report.snapshots {
        let total = s.domains.to_string();
        line(
            &mut out,
            &[&s.date, "headline", "", "domains", &total, "100.0", &total],
        );
        for (m, f) in s.headline.figures() {
            line(
                &mut out,
                &[
                    &s.date,
                    "headline",
                    "",
                    m.key,
                    &f.count.to_string(),
                    &pct_text(f.count, s.domains),
                    &total,
                ],
            );
        }
        for (section, groups) in [
            ("sector", &s.sectors),
            ("size_class", &s.size_classes),
            ("dns_operator", &s.dns_operators),
        ] {
            for g in groups {
                let gt = g.domains.to_string();
                line(
                    &mut out,
                    &[
                        &s.date,
                        section,
                        &g.name,
                        "domains",
                        &gt,
                        &pct_text(g.domains, s.domains),
                        &total,
                    ],
                );
                for (m, f) in g.headline.figures() {
                    line(
                        &mut out,
                        &[
                            &s.date,
                            section,
                            &g.name,
                            m.key,
                            &f.count.to_string(),
                            &pct_text(f.count, g.domains),
                            &gt,
                        ],
                    );
                }
            }
        }
        for (name, f) in [
            ("unresolved", s.coverage.unresolved),
            ("any_error", s.coverage.any_error),
        ] {
            line(
                &mut out,
                &[
                    &s.date,
                    "coverage",
                    "",
                    name,
                    &f.count.to_string(),
                    &pct_text(f.count, s.domains),
                    &total,
                ],
            );
        }
        for w in &s.coverage.warnings {
            line(
                &mut out,
                &[
                    &s.date,
                    "warning",
                    w.error_metric,
                    "error_share_above_threshold",
                    &w.error.count.to_string(),
                    &pct_text(w.error.count, s.domains),
                    &total,
                ],
            );
        }
        let d = &s.dmarcbis;
        let base = d.base.to_string();
        for (name, f) in [
            ("np", d.np),
            ("psd", d.psd),
            ("t", d.t),
            ("t_test", d.t_test),
            ("pct_not_100", d.pct_not_100),
        ] {
            line(
                &mut out,
                &[
                    &s.date,
                    "dmarcbis",
                    "dmarc_present",
                    name,
                    &f.count.to_string(),
                    &pct_text(f.count, d.base),
                    &base,
                ],
            );
        }
        if let Some(l) = &s.lookalikes {
            for b in &l.brands {
                for x in &b.domains {
                    line(
                        &mut out,
                        &[
                            &s.date,
                            "lookalike",
                            &b.brand,
                            &x.domain,
                            x.kind.label(),
                            &x.mx,
                            x.dmarc_p.as_deref().unwrap_or(&x.dmarc),
                        ],
                    );
                }
            }
        }
        for (key, _, d) in super::distributions(s) {
            let base = d.base_count.to_string();
            for b in &d.buckets {
                line(
                    &mut out,
                    &[
                        &s.date,
                        key,
                        d.base,
                        &b.value,
                        &b.count.to_string(),
                        &pct_text(b.count, d.base_count),
                        &base,
                    ],
                );
            }
        }
    }
    for c in &report.changes {
        let dates = format!("{}..{}", c.from, c.to);
        for m in &c.metrics {
            for (dimension, parts) in [
                ("change_by_dns_operator", &m.by_dns_operator),
                ("change_by_mx_provider", &m.by_mx_provider),
            ] {
                for p in parts {
                    line(
                        &mut out,
                        &[
                            &dates,
                            dimension,
                            &p.name,
                            m.metric,
                            &format!("{}->{}", p.count_from, p.count_to),
                            &format!("{:.2}", p.points),
                            &format!("{}->{}", c.domains_from, c.domains_to),
                        ],
                    );
                }
            }
        }
    }
    if let Some(c) = &report.compare {
        let dates = format!("{}..{}", c.date_a, c.date_b);
        for o in &c.regressions {
            for (kind, n) in [
                ("dmarc_enforcing_to_none", o.dmarc_enforcing_to_none),
                ("spf_lost", o.spf_lost),
                ("dnssec_bogus", o.dnssec_bogus),
                ("dane_lost", o.dane_lost),
            ] {
                line(
                    &mut out,
                    &[
                        &dates,
                        "regression",
                        &o.dns_operator,
                        kind,
                        &n.to_string(),
                        &pct_text(n, c.common),
                        &c.common.to_string(),
                    ],
                );
            }
        }
        let common = c.common.to_string();
        for t in &c.topics {
            for (change, n) in [
                ("adopted", t.adopted),
                ("dropped", t.dropped),
                ("strengthened", t.strengthened),
                ("weakened", t.weakened),
                ("unchanged", t.unchanged),
                ("unknown", t.unknown),
            ] {
                line(
                    &mut out,
                    &[
                        &dates,
                        "compare",
                        &t.topic,
                        change,
                        &n.to_string(),
                        &pct_text(n, c.common),
                        &common,
                    ],
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for (raw, want) in [
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("+1+1", "'+1+1"),
            ("-all", "'-all"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("plain.example", "plain.example"),
            ("52.4", "52.4"),
        ] {
            assert_eq!(cell(raw), want, "{raw:?}");
        }
    }
}
