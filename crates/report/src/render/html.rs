//! One self-contained HTML file: inline CSS, inline SVG charts, no script and
//! no external resource. Every string that came from DNS (TXT content, host
//! names) or from the sector file is escaped with [`super::markup::escape`]: TXT records are
//! attacker-controlled and would otherwise inject markup into the report.

use std::fmt::Write;

use super::markup::escape;
use super::svg::{Bar, bar_chart, line_chart};
use super::{base_label, distributions, thousands};
use crate::Report;
use crate::aggregate::Group;
use crate::metrics::{KEY_METRICS, METRICS, metric_index, pct, pct_text};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:960px;padding:12px;color:#1a202c;line-height:1.4}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #cbd5e0}\
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}\
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}\
th,td{padding:4px 8px;border-bottom:1px solid #e2e8f0;text-align:right;white-space:nowrap}\
th:first-child,td:first-child{text-align:left}\
tr.err td{color:#718096}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}\
svg.chart{max-width:100%;height:auto;font-family:inherit}\
dt{font-weight:bold}dd{margin:0 0 .5em 1em}\
@media (max-width:600px){body{padding:6px}table{font-size:.8em}}";

fn group_section(out: &mut String, title: &str, groups: &[Group]) {
    if groups.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h2>{}</h2><div class=\"scroll\"><table><tr><th>{}</th><th>Domains</th>",
        escape(title),
        escape(title)
    );
    for k in KEY_METRICS {
        if let Some(i) = metric_index(k) {
            let _ = write!(out, "<th>{}</th>", escape(METRICS[i].label));
        }
    }
    out.push_str("</tr>");
    for g in groups {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            escape(&g.name),
            thousands(g.domains)
        );
        for k in KEY_METRICS {
            if let Some(i) = metric_index(k) {
                let _ = write!(
                    out,
                    "<td>{}%</td>",
                    pct_text(g.headline.0.metrics[i], g.domains)
                );
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</table></div><div class=\"grid\">");
    for key in ["spf_valid", "dmarc_enforcing", "dnssec_secure"] {
        let Some(i) = metric_index(key) else { continue };
        let bars: Vec<Bar> = groups
            .iter()
            .map(|g| {
                let c = g.headline.0.metrics[i];
                Bar {
                    label: g.name.clone(),
                    value: pct(c, g.domains),
                    text: format!("{}%", pct_text(c, g.domains)),
                }
            })
            .collect();
        out.push_str(&bar_chart(
            &format!("{} by {}", METRICS[i].label, title.to_lowercase()),
            &bars,
            100.0,
        ));
    }
    out.push_str("</div>");
}

/// Renders the report as one HTML document.
pub fn render(report: &Report) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Email security adoption</title><style>",
    );
    out.push_str(STYLE);
    out.push_str("</style></head><body><h1>Email security adoption</h1>");
    let Some(latest) = report.snapshots.last() else {
        out.push_str("<p>No snapshot.</p></body></html>\n");
        return out;
    };
    let dates: Vec<String> = report.snapshots.iter().map(|s| s.date.clone()).collect();
    let _ = write!(
        out,
        "<p>Snapshots: {}. Percentages are of every scanned domain, with one decimal; the grey <em>error</em> rows show how much could not be determined.</p>",
        escape(&dates.join(", "))
    );

    // Headline.
    out.push_str("<h2>Headline</h2><div class=\"scroll\"><table><tr><th>Metric</th>");
    for d in &dates {
        let _ = write!(out, "<th>{}</th>", escape(d));
    }
    out.push_str("</tr><tr><td>Domains</td>");
    for s in &report.snapshots {
        let _ = write!(out, "<td>{}</td>", thousands(s.domains));
    }
    out.push_str("</tr>");
    for (i, m) in METRICS.iter().enumerate() {
        let class = if m.key.ends_with("_error") {
            " class=\"err\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr{class}><td title=\"{}\">{}</td>",
            escape(m.definition),
            escape(m.label)
        );
        for s in &report.snapshots {
            let c = s.headline.0.metrics[i];
            let _ = write!(
                out,
                "<td>{}% <small>({})</small></td>",
                pct_text(c, s.domains),
                thousands(c)
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</table></div>");
    let bars: Vec<Bar> = KEY_METRICS
        .iter()
        .filter_map(|k| metric_index(k))
        .map(|i| {
            let c = latest.headline.0.metrics[i];
            Bar {
                label: METRICS[i].label.to_string(),
                value: pct(c, latest.domains),
                text: format!("{}% ({})", pct_text(c, latest.domains), thousands(c)),
            }
        })
        .collect();
    out.push_str(&bar_chart(
        &format!("Adoption, {}", latest.date),
        &bars,
        100.0,
    ));

    // Trends.
    if report.snapshots.len() > 1 {
        out.push_str("<h2>Trends</h2><div class=\"grid\">");
        for (i, m) in METRICS.iter().enumerate() {
            let values: Vec<f64> = report
                .snapshots
                .iter()
                .map(|s| pct(s.headline.0.metrics[i], s.domains))
                .collect();
            out.push_str(&line_chart(
                &format!("{} (%)", m.label),
                &dates,
                &[(m.label.to_string(), values)],
                true,
            ));
        }
        out.push_str("</div>");
    }

    // Distributions.
    let _ = write!(
        out,
        "<h2>Distributions, {}</h2><div class=\"grid\">",
        escape(&latest.date)
    );
    for (_, title, d) in distributions(latest) {
        let bars: Vec<Bar> = d
            .buckets
            .iter()
            .map(|b| Bar {
                label: b.value.clone(),
                value: b.pct,
                text: format!(
                    "{}% ({})",
                    pct_text(b.count, d.base_count),
                    thousands(b.count)
                ),
            })
            .collect();
        let _ = write!(
            out,
            "<div>{}<p><small>Base: {} {}.</small></p></div>",
            bar_chart(title, &bars, 0.0),
            thousands(d.base_count),
            base_label(d.base)
        );
    }
    out.push_str("</div>");

    group_section(&mut out, "Sector", &latest.sectors);
    group_section(&mut out, "Size class", &latest.size_classes);
    group_section(&mut out, "DNS operator", &latest.dns_operators);

    if let Some(c) = &report.compare {
        let _ = write!(
            out,
            "<h2>Changes {} → {}</h2><p>{} domains in both snapshots, {} only in the first, {} only in the second.</p><div class=\"scroll\"><table><tr><th>Topic</th><th>Adopted</th><th>Dropped</th><th>Strengthened</th><th>Weakened</th><th>Unchanged</th><th>Unknown</th></tr>",
            escape(&c.date_a),
            escape(&c.date_b),
            thousands(c.common),
            thousands(c.only_a),
            thousands(c.only_b)
        );
        for t in &c.topics {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&t.topic),
                thousands(t.adopted),
                thousands(t.dropped),
                thousands(t.strengthened),
                thousands(t.weakened),
                thousands(t.unchanged),
                thousands(t.unknown)
            );
        }
        out.push_str("</table></div>");
    }

    out.push_str("<h2>Definitions</h2><dl>");
    for m in METRICS {
        let _ = write!(
            out,
            "<dt>{} <code>{}</code></dt><dd>{}</dd>",
            escape(m.label),
            m.key,
            escape(m.definition)
        );
    }
    out.push_str("</dl></body></html>\n");
    out
}
