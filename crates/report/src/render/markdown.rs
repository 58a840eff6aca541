//! Markdown for publications. DNS-derived text is escaped so it can neither
//! break a table (`|`), start markup, nor carry raw HTML into a renderer that
//! passes HTML through.

use std::fmt::Write;

use super::{
    base_error, base_label, change_line, distributions, error_share, label, providers, share_text,
    thousands,
};
use crate::Report;
use crate::aggregate::{Distribution, Group, SnapshotReport};
use crate::groups::OTHER;
use crate::metrics::{KEY_METRICS, METRICS, error_of, metric_index, pct, pct_text};

/// Escapes Markdown punctuation and the characters HTML gives a meaning to
/// in text (quotes are kept: Markdown text holds no attribute value).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' | '<' | '>' => out.push_str(super::markup::entity(c).unwrap_or_default()),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn figure(count: u64, total: u64) -> String {
    format!("{}% ({})", pct_text(count, total), thousands(count))
}

fn warn_mark(s: &SnapshotReport, key: &str) -> String {
    match error_share(s, key) {
        Some((e, true)) => format!(" (err {e}% ⚠)"),
        Some((e, false)) => format!(" (err {e}%)"),
        None => String::new(),
    }
}

fn group_table(out: &mut String, s: &SnapshotReport, title: &str, what: &str, groups: &[Group]) {
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title}\n");
    let mut head = format!("| {} | Domains | Share |", escape(what));
    let mut rule = "| --- | ---: | ---: |".to_string();
    for k in KEY_METRICS {
        let _ = write!(head, " {} |", label(k));
        rule.push_str(" ---: |");
    }
    head.push_str(" Unresolved |");
    rule.push_str(" ---: |");
    let _ = writeln!(out, "{head}\n{rule}");
    let unresolved = metric_index("resolution_error");
    for g in groups {
        let name = if g.name == OTHER && g.members > 1 {
            format!("other ({} {})", thousands(g.members), what.to_lowercase())
        } else {
            g.name.clone()
        };
        let _ = write!(
            out,
            "| {} | {} | {}% |",
            escape(&name),
            thousands(g.domains),
            pct_text(g.domains, s.domains)
        );
        for k in KEY_METRICS {
            if let Some(i) = metric_index(k) {
                let e = error_of(k)
                    .and_then(metric_index)
                    .map_or(0, |e| g.headline.0.metrics[e]);
                let mark = if pct(e, g.domains) > s.coverage.max_error_share {
                    " ⚠"
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    " {}%{mark} |",
                    pct_text(g.headline.0.metrics[i], g.domains)
                );
            }
        }
        let u = unresolved.map_or(0, |i| g.headline.0.metrics[i]);
        let _ = writeln!(out, " {}% |", pct_text(u, g.domains));
    }
}

fn distribution_table(out: &mut String, s: &SnapshotReport, title: &str, d: &Distribution) {
    let unknown = match base_error(s, d.base) {
        Some((e, warn)) => format!(
            " Not determined: {e}% of all domains{}.",
            if warn { " ⚠" } else { "" }
        ),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "\n### {title}\n\nBase: {} {}.{unknown}\n\n| Value | Domains | % |\n| --- | ---: | ---: |",
        thousands(d.base_count),
        base_label(d.base)
    );
    for b in &d.buckets {
        let value = match b.members {
            Some(m) if b.value == OTHER && m > 1 => format!("other ({m})"),
            _ => b.value.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {}% |",
            escape(&value),
            thousands(b.count),
            pct_text(b.count, d.base_count)
        );
    }
}

fn trend(out: &mut String, report: &Report) {
    let t = &report.trend;
    let _ = write!(out, "\n## Trend\n\n| Metric |");
    for d in &t.dates {
        let _ = write!(out, " {d} |");
    }
    let _ = write!(out, "\n| --- |");
    for _ in &t.dates {
        out.push_str(" ---: |");
    }
    let _ = write!(out, "\n| Domains scanned |");
    for n in &t.domains {
        let _ = write!(out, " {} |", thousands(*n));
    }
    out.push('\n');
    for r in &t.metrics {
        let _ = write!(out, "| {} |", label(r.metric));
        for (k, p) in r.pct.iter().enumerate() {
            let mark = if r.error_pct[k] > report.max_error_share {
                " ⚠"
            } else {
                ""
            };
            let _ = write!(out, " {p:.1}% (err {:.1}%){mark} |", r.error_pct[k]);
        }
        out.push('\n');
    }
    if report.changes.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n## What caused the changes\n\nEach change split among DNS operators and MX providers; a domain that changed operator is counted where it went."
    );
    let mut lines = 0;
    for c in report.changes.iter().rev() {
        let _ = writeln!(out, "\n### {} → {}\n", c.from, c.to);
        let notable: Vec<_> = c.metrics.iter().filter_map(change_line).collect();
        if notable.is_empty() {
            let _ = writeln!(out, "No headline share moved by 0.1 point or more.");
        }
        for l in notable {
            let _ = write!(out, "- **{}** {} points", l.label, l.delta);
            if let Some(o) = l.operator {
                let _ = write!(
                    out,
                    ", {} at DNS operator {}",
                    share_text(o),
                    escape(&o.name)
                );
            }
            if let Some(m) = l.mx {
                let _ = write!(
                    out,
                    "; {} at MX provider {}",
                    share_text(m),
                    escape(&m.name)
                );
            }
            out.push_str(".\n");
            lines += 1;
        }
        if lines >= 40 {
            let _ = writeln!(out, "\nOlder changes are in the JSON report (`changes`).");
            break;
        }
    }
}

fn compare(out: &mut String, report: &Report) {
    let Some(c) = &report.compare else { return };
    let _ = writeln!(
        out,
        "\n## Changes {} → {}\n\n{} domains in both, {} only in {}, {} only in {}.\n\n| Topic | Adopted | Dropped | Strengthened | Weakened | Unchanged | Unknown |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        c.date_a,
        c.date_b,
        thousands(c.common),
        thousands(c.only_a),
        c.date_a,
        thousands(c.only_b),
        c.date_b
    );
    for t in &c.topics {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            escape(&t.topic),
            thousands(t.adopted),
            thousands(t.dropped),
            thousands(t.strengthened),
            thousands(t.weakened),
            thousands(t.unchanged),
            thousands(t.unknown)
        );
    }
    let _ = writeln!(
        out,
        "\n### Regressions by DNS operator\n\nDMARC enforcing → none, SPF lost, DNSSEC bogus, DANE lost; `--export DIR` writes `regressions.csv`.\n"
    );
    if c.regressions.is_empty() {
        let _ = writeln!(out, "None.");
        return;
    }
    let _ = writeln!(
        out,
        "| DNS operator | Domains | DMARC enforcing → none | SPF lost | DNSSEC bogus | DANE lost |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for o in c.regressions.iter().take(30) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            escape(&o.dns_operator),
            thousands(o.domains),
            thousands(o.dmarc_enforcing_to_none),
            thousands(o.spf_lost),
            thousands(o.dnssec_bogus),
            thousands(o.dane_lost)
        );
    }
}

fn lookalikes(out: &mut String, s: &SnapshotReport) {
    let Some(l) = &s.lookalikes else { return };
    let _ = writeln!(
        out,
        "\n## Look-alikes of your brands ({})\n\n**{}** look-alike domains can receive mail and publish no DMARC record, of {} found ({} without DMARC p=reject; {} undetermined).",
        l.date,
        thousands(l.receive_mail_no_dmarc),
        thousands(l.domains),
        thousands(l.receive_mail_not_reject),
        thousands(l.undetermined)
    );
    for b in &l.brands {
        let _ = writeln!(out, "\n### {} ({})\n", escape(&b.brand), b.domains.len());
        if b.domains.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "| Domain | Kind | MX | DMARC | DNS operator |\n| --- | --- | --- | --- | --- |"
        );
        for d in &b.domains {
            let name = match &d.unicode {
                Some(u) => format!("{} ({u})", d.domain),
                None => d.domain.clone(),
            };
            let dmarc = match &d.dmarc_p {
                Some(p) => format!("{} p={p}", d.dmarc),
                None => d.dmarc.clone(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                escape(&name),
                d.kind.label(),
                escape(&d.mx),
                escape(&dmarc),
                escape(&d.dns_operator)
            );
        }
    }
}

fn dmarcbis(out: &mut String, s: &SnapshotReport) {
    let d = &s.dmarcbis;
    let _ = writeln!(
        out,
        "\n## DMARCbis readiness (RFC 9989)\n\nOf the {} domains that publish DMARC{}.\n\n| Tag | Records | Share |\n| --- | ---: | ---: |",
        thousands(d.base),
        warn_mark(s, "dmarc_present")
    );
    for (name, f) in [
        ("np published", d.np),
        ("psd published", d.psd),
        ("t published", d.t),
        ("t=y (test mode)", d.t_test),
        ("pct other than 100", d.pct_not_100),
    ] {
        let _ = writeln!(
            out,
            "| {name} | {} | {}% |",
            thousands(f.count),
            pct_text(f.count, d.base)
        );
    }
}

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::from("# Email security adoption\n");
    let Some(latest) = report.snapshots.last() else {
        return out;
    };
    let cov = &latest.coverage;
    let dates: Vec<&str> = report.snapshots.iter().map(|s| s.date.as_str()).collect();
    let _ = writeln!(
        out,
        "\nSnapshots: {}. On {}: {} domains scanned; {} ({}%) could not be resolved at all, {} ({}%) have at least one probe that could not be determined. Percentages are of every scanned domain, one decimal; `err` is the share of the figure's column that could not be determined, ⚠ above {}%.",
        dates.join(", "),
        latest.date,
        thousands(cov.domains),
        thousands(cov.unresolved.count),
        cov.unresolved.pct,
        thousands(cov.any_error.count),
        cov.any_error.pct,
        report.max_error_share
    );
    for w in &cov.warnings {
        let _ = writeln!(
            out,
            "\n> ⚠ **{} {}%** ({}) could not be determined, above the {}% threshold: the shares of {} may be off by that much.",
            label(w.error_metric),
            w.error.pct,
            thousands(w.error.count),
            w.threshold_pct,
            w.metrics
                .iter()
                .map(|k| label(k))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if report.snapshots.len() > 1 {
        trend(&mut out, report);
    }
    let _ = writeln!(
        out,
        "\n## Headline ({})\n\n| Metric | Share | Domains | Could not be determined |\n| --- | ---: | ---: | ---: |",
        latest.date
    );
    for (i, m) in METRICS.iter().enumerate() {
        if m.key.ends_with("_error") {
            continue;
        }
        let c = latest.headline.0.metrics[i];
        let (e, warn) = error_share(latest, m.key).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {}% | {} | {e}%{} |",
            m.label,
            pct_text(c, latest.domains),
            thousands(c),
            if warn { " ⚠" } else { "" }
        );
    }
    group_table(
        &mut out,
        latest,
        &format!("DNS operators ({})", latest.date),
        "Operators",
        &latest.dns_operators,
    );
    let _ = writeln!(
        out,
        "\nOperator: registrable domain of the first name server; `self-hosted`: name servers in the domain itself; `other`: operators below {}% of the domains.",
        report.min_share
    );
    let _ = writeln!(out, "\n## Mail providers and DMARC report platforms");
    for (_, title, d) in providers(latest) {
        distribution_table(&mut out, latest, title, d);
    }
    compare(&mut out, report);
    lookalikes(&mut out, latest);
    dmarcbis(&mut out, latest);
    let _ = writeln!(out, "\n## Distributions ({})", latest.date);
    for (_, title, d) in distributions(latest)
        .into_iter()
        .skip(providers(latest).len())
    {
        distribution_table(&mut out, latest, title, d);
    }
    group_table(&mut out, latest, "Sectors", "Sector", &latest.sectors);
    group_table(
        &mut out,
        latest,
        "Size classes",
        "Size class",
        &latest.size_classes,
    );

    let _ = writeln!(out, "\n## All figures\n");
    let _ = write!(out, "| Metric |");
    for d in &dates {
        let _ = write!(out, " {d} |");
    }
    let _ = write!(out, "\n| --- |");
    for _ in &dates {
        out.push_str(" ---: |");
    }
    let _ = write!(out, "\n| Domains |");
    for s in &report.snapshots {
        let _ = write!(out, " {} |", thousands(s.domains));
    }
    out.push('\n');
    for (i, m) in METRICS.iter().enumerate() {
        let _ = write!(out, "| {} |", m.label);
        for s in &report.snapshots {
            let _ = write!(out, " {} |", figure(s.headline.0.metrics[i], s.domains));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\n### Definitions\n");
    for m in METRICS {
        let _ = writeln!(out, "- **{}** (`{}`): {}", m.label, m.key, m.definition);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_tables_and_html() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("<script>"), "&lt;script&gt;");
        assert_eq!(escape("_spf.x"), "\\_spf.x");
        assert_eq!(escape("a\nb"), "a b");
    }
}
