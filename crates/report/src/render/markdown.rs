//! Markdown for publications. DNS-derived text is escaped so it can neither
//! break a table (`|`), start markup, nor carry raw HTML into a renderer that
//! passes HTML through.

use std::fmt::Write;

use super::{base_label, distributions, thousands};
use crate::Report;
use crate::aggregate::Group;
use crate::metrics::{KEY_METRICS, METRICS, metric_index, pct_text};

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

fn group_table(out: &mut String, title: &str, groups: &[Group]) {
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title}\n");
    let mut head = format!("| {} | Domains |", escape(title));
    let mut rule = "| --- | ---: |".to_string();
    for k in KEY_METRICS {
        if let Some(i) = metric_index(k) {
            let _ = write!(head, " {} |", METRICS[i].label);
            rule.push_str(" ---: |");
        }
    }
    let _ = writeln!(out, "{head}\n{rule}");
    for g in groups {
        let _ = write!(out, "| {} | {} |", escape(&g.name), thousands(g.domains));
        for k in KEY_METRICS {
            if let Some(i) = metric_index(k) {
                let _ = write!(out, " {}% |", pct_text(g.headline.0.metrics[i], g.domains));
            }
        }
        out.push('\n');
    }
}

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::from("# Email security adoption\n");
    let Some(latest) = report.snapshots.last() else {
        return out;
    };
    let dates: Vec<&str> = report.snapshots.iter().map(|s| s.date.as_str()).collect();
    let _ = writeln!(
        out,
        "\nSnapshots: {}. Percentages are of every scanned domain, one decimal; `error` rows show how much could not be determined.\n",
        dates.join(", ")
    );
    let _ = writeln!(out, "## Headline\n");
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
    let _ = writeln!(out, "\n## Distributions ({})", latest.date);
    for (_, title, d) in distributions(latest) {
        let _ = writeln!(
            out,
            "\n### {title}\n\nBase: {} {}.\n\n| Value | Domains | % |\n| --- | ---: | ---: |",
            thousands(d.base_count),
            base_label(d.base)
        );
        for b in &d.buckets {
            let _ = writeln!(
                out,
                "| {} | {} | {}% |",
                escape(&b.value),
                thousands(b.count),
                pct_text(b.count, d.base_count)
            );
        }
    }
    group_table(&mut out, "Sector", &latest.sectors);
    group_table(&mut out, "Size class", &latest.size_classes);
    group_table(&mut out, "DNS operator", &latest.dns_operators);
    if let Some(c) = &report.compare {
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
