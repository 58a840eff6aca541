//! One self-contained HTML file: inline CSS, inline SVG charts, no script and
//! no external resource. Every string that came from DNS (TXT content, host
//! names) or from the sector and brand files is escaped with
//! [`super::markup::escape`]: TXT records are attacker-controlled and would
//! otherwise inject markup into the report.
//!
//! Layout for a publication (issue 16): with several snapshots the page opens
//! with the trend chart and its table, then what caused each change; then the
//! latest snapshot's headline, the operators, providers and report platforms
//! that matter, regressions, look-alikes, DMARCbis readiness, distributions,
//! sectors, one small chart per metric, the full table and the definitions.
//! Every table shows how much could not be determined beside its figures,
//! and a figure whose error share exceeds the threshold carries a ⚠.

use std::fmt::Write;

use super::markup::escape;
use super::svg::{Bar, FULL, HALF, Series, THIRD, YScale, bar_chart, date_chart};
use super::{
    base_error, base_label, change_line, distributions, error_share, label, providers, share_text,
    thousands,
};
use crate::Report;
use crate::aggregate::{Distribution, Group, SnapshotReport};
use crate::compare::REGRESSIONS;
use crate::groups::OTHER;
use crate::metrics::{KEY_METRICS, METRICS, TREND_METRICS, metric_index, pct, pct_text};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:15px;margin:0 auto;max-width:936px;padding:16px 12px;color:#1a202c;line-height:1.45}\
h1{font-size:1.7em;margin:.2em 0 .4em}h2{font-size:1.3em;margin:1.8em 0 .5em;border-bottom:1px solid #cbd5e0;padding-bottom:.15em}\
h3{font-size:1.05em;margin:1.2em 0 .3em}p{margin:.5em 0}\
.scroll{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;font-size:14px;margin:.4em 0}\
th,td{padding:3px 6px;border-bottom:1px solid #e2e8f0;text-align:right;white-space:nowrap;vertical-align:top}\
th{background:#f7fafc;font-weight:600;white-space:normal;vertical-align:bottom}\
table.text td,table.text th{text-align:left}\
th:first-child,td:first-child{text-align:left}\
td.name{white-space:normal;overflow-wrap:anywhere;min-width:9.5em;max-width:20em;text-align:left}\
.err,tr.err td{color:#718096}small{font-size:12px}\
.warn{color:#9c4221;font-weight:600}\
.callout{border-left:4px solid #dd6b20;background:#fffaf0;padding:6px 12px;margin:.6em 0}\
.lead{font-size:16px}\
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(440px,100%),1fr));gap:16px 20px}\
.grid3{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(290px,100%),1fr));gap:12px 15px}\
figure{margin:.6em 0}svg.chart{display:block;max-width:100%;height:auto;font-family:inherit}\
ul.changes li{margin:.25em 0}ul.changes code{white-space:nowrap}th.l{text-align:left}\
dt{font-weight:bold}dd{margin:0 0 .5em 1em}\
@media (max-width:600px){body{padding:8px 6px}table{font-size:12px}}";

fn warnings(out: &mut String, s: &SnapshotReport) {
    for w in &s.coverage.warnings {
        let _ = write!(
            out,
            "<p class=\"callout\"><span class=\"warn\">⚠ {} {}%</span> of the domains ({}) could not be determined for <code>{}</code> on {}, above the {}% threshold: the shares of {} may be off by that much.</p>",
            escape(label(w.error_metric)),
            w.error.pct,
            thousands(w.error.count),
            escape(w.error_metric),
            escape(&s.date),
            w.threshold_pct,
            w.metrics
                .iter()
                .map(|k| escape(label(k)))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
}

/// A table of groups (sector, operator) with the key metrics, each with its
/// error share, and the domains whose resolution failed.
fn group_section(out: &mut String, s: &SnapshotReport, title: &str, what: &str, groups: &[Group]) {
    if groups.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h2>{}</h2><div class=\"scroll\"><table><tr><th>{}</th><th>Domains (share)</th>",
        escape(title),
        escape(what)
    );
    for k in KEY_METRICS {
        let _ = write!(out, "<th>{}</th>", escape(label(k)));
    }
    out.push_str("<th>Unresolved</th></tr>");
    let unresolved = metric_index("resolution_error");
    for g in groups {
        let name = if g.name == OTHER && g.members > 1 {
            format!("other ({} {})", thousands(g.members), what.to_lowercase())
        } else {
            g.name.clone()
        };
        let _ = write!(
            out,
            "<tr><td class=\"name\">{}</td><td>{} <small class=\"err\">{}%</small></td>",
            escape(&name),
            thousands(g.domains),
            pct_text(g.domains, s.domains)
        );
        for k in KEY_METRICS {
            let i = metric_index(k).unwrap_or(0);
            let c = g.headline.0.metrics[i];
            // The group's own error share for the metric, flagged like the headline's.
            let e = crate::metrics::error_of(k)
                .and_then(metric_index)
                .map_or(0, |e| g.headline.0.metrics[e]);
            let warn = pct(e, g.domains) > s.coverage.max_error_share;
            let mark = if warn {
                format!(
                    " <span class=\"warn\" title=\"{}% could not be determined\">⚠</span>",
                    pct_text(e, g.domains)
                )
            } else {
                String::new()
            };
            let _ = write!(out, "<td>{}%{mark}</td>", pct_text(c, g.domains));
        }
        let u = unresolved.map_or(0, |i| g.headline.0.metrics[i]);
        let _ = write!(
            out,
            "<td class=\"err\">{}%</td></tr>",
            pct_text(u, g.domains)
        );
    }
    out.push_str("</table></div><div class=\"grid3\">");
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
        let _ = write!(
            out,
            "<figure>{}</figure>",
            bar_chart(
                &format!("{} by {}", METRICS[i].label, what.to_lowercase()),
                &bars,
                100.0,
                THIRD
            )
        );
    }
    out.push_str("</div>");
}

fn distribution_figure(
    out: &mut String,
    s: &SnapshotReport,
    title: &str,
    d: &Distribution,
    what: &str,
) {
    let bars: Vec<Bar> = d
        .buckets
        .iter()
        .map(|b| Bar {
            label: match b.members {
                Some(m) if b.value == OTHER && m > 1 => format!("other ({m} {what})"),
                _ => b.value.clone(),
            },
            value: b.pct,
            text: format!(
                "{}% ({})",
                pct_text(b.count, d.base_count),
                thousands(b.count)
            ),
        })
        .collect();
    let unknown = match base_error(s, d.base) {
        Some((e, warn)) => format!(
            " Not determined: {e}% of all domains{}.",
            if warn {
                " <span class=\"warn\">⚠</span>"
            } else {
                ""
            }
        ),
        None => String::new(),
    };
    let _ = write!(
        out,
        "<figure>{}<p><small>Base: {} {}.{unknown}</small></p></figure>",
        bar_chart(title, &bars, 0.0, HALF),
        thousands(d.base_count),
        base_label(d.base)
    );
}

fn trend_section(out: &mut String, report: &Report) {
    let t = &report.trend;
    let series: Vec<Series> = t
        .metrics
        .iter()
        .map(|r| Series {
            label: label(r.metric).to_string(),
            values: r.pct.clone(),
        })
        .collect();
    let _ = write!(
        out,
        "<h2>Trend</h2><figure>{}</figure>",
        date_chart(
            "Headline shares over time (% of scanned domains)",
            &t.dates,
            &series,
            YScale::FromZero,
            (FULL, 380.0),
            true
        )
    );
    out.push_str("<div class=\"scroll\"><table><tr><th>Metric</th>");
    for d in &t.dates {
        let _ = write!(out, "<th>{}</th>", escape(d));
    }
    out.push_str("</tr><tr><td>Domains scanned</td>");
    for n in &t.domains {
        let _ = write!(out, "<td>{}</td>", thousands(*n));
    }
    out.push_str("</tr>");
    for r in &t.metrics {
        let _ = write!(out, "<tr><td>{}</td>", escape(label(r.metric)));
        for (k, p) in r.pct.iter().enumerate() {
            let warn = r.error_pct[k] > report.max_error_share;
            let mark = if warn {
                "<span class=\"warn\">⚠</span>"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<td>{p:.1}% <small class=\"err\">err {:.1}%</small>{mark}</td>",
                r.error_pct[k]
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</table></div><p><small>err: the share of the metric's column that could not be determined (a failed probe is never counted as absent).</small></p>");
}

fn changes_section(out: &mut String, report: &Report) {
    if report.changes.is_empty() {
        return;
    }
    out.push_str("<h2>What caused the changes</h2><p>Each change of a share between two consecutive snapshots, split among DNS operators (registrable domain of the first name server) and MX providers (of the most preferred exchange). A domain that changed operator is counted where it went; the parts add up to the change.</p>");
    // Newest pair first; changes of at least 0.1 point.
    let mut lines = 0;
    for c in report.changes.iter().rev() {
        let notable: Vec<_> = c.metrics.iter().filter_map(change_line).collect();
        let _ = write!(out, "<h3>{} → {}</h3>", escape(&c.from), escape(&c.to));
        if notable.is_empty() {
            out.push_str("<p>No headline share moved by 0.1 point or more.</p>");
            continue;
        }
        out.push_str("<ul class=\"changes\">");
        for l in notable {
            let _ = write!(out, "<li><b>{}</b> {} points", escape(l.label), l.delta);
            if let Some(o) = l.operator {
                let _ = write!(
                    out,
                    ", {} at DNS operator <code>{}</code>",
                    share_text(o),
                    escape(&o.name)
                );
            }
            if let Some(m) = l.mx {
                let _ = write!(
                    out,
                    "; {} at MX provider <code>{}</code>",
                    share_text(m),
                    escape(&m.name)
                );
            }
            out.push_str(".</li>");
            lines += 1;
        }
        out.push_str("</ul>");
        if lines >= 40 {
            out.push_str("<p><small>Older changes are in the JSON report (<code>changes</code>).</small></p>");
            break;
        }
    }
    // The latest pair in full.
    if let Some(c) = report.changes.last() {
        let _ = write!(
            out,
            "<h3>Parts of each change, {} → {}</h3><div class=\"scroll\"><table><tr><th>Metric</th><th>{}</th><th>{}</th><th>Change</th><th class=\"l\">Largest parts by DNS operator</th><th class=\"l\">by MX provider</th></tr>",
            escape(&c.from),
            escape(&c.to),
            escape(&c.from),
            escape(&c.to)
        );
        for m in &c.metrics {
            let parts = |v: &[crate::attribution::Contribution]| {
                v.iter()
                    .take(3)
                    .map(|p| format!("{} {:+.2}", escape(&p.name), p.points))
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{:.1}%</td><td>{:.1}%</td><td>{:+.1}</td><td class=\"name\">{}</td><td class=\"name\">{}</td></tr>",
                escape(label(m.metric)),
                m.pct_from,
                m.pct_to,
                m.delta_points,
                parts(&m.by_dns_operator),
                parts(&m.by_mx_provider)
            );
        }
        out.push_str("</table></div><p><small>Parts in percentage points of all scanned domains.</small></p>");
    }
}

fn headline_section(out: &mut String, s: &SnapshotReport) {
    let _ = write!(out, "<h2>Headline, {}</h2>", escape(&s.date));
    let bars: Vec<Bar> = KEY_METRICS
        .iter()
        .filter_map(|k| metric_index(k))
        .map(|i| {
            let c = s.headline.0.metrics[i];
            Bar {
                label: METRICS[i].label.to_string(),
                value: pct(c, s.domains),
                text: format!("{}% ({})", pct_text(c, s.domains), thousands(c)),
            }
        })
        .collect();
    let _ = write!(
        out,
        "<figure>{}</figure>",
        bar_chart(
            &format!("Adoption, {} (% of scanned domains)", s.date),
            &bars,
            100.0,
            FULL
        )
    );
    out.push_str("<div class=\"scroll\"><table><tr><th>Metric</th><th>Share</th><th>Domains</th><th>Could not be determined</th></tr>");
    for (i, m) in METRICS.iter().enumerate() {
        if m.key.ends_with("_error") {
            continue;
        }
        let c = s.headline.0.metrics[i];
        let (e, warn) = error_share(s, m.key).unwrap_or_default();
        let mark = if warn {
            " <span class=\"warn\">⚠</span>"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr><td title=\"{}\">{}</td><td>{}%</td><td>{}</td><td class=\"err\">{e}%{mark}</td></tr>",
            escape(m.definition),
            escape(m.label),
            pct_text(c, s.domains),
            thousands(c)
        );
    }
    out.push_str("</table></div>");
}

fn providers_section(out: &mut String, s: &SnapshotReport, min_share: f64) {
    let _ = write!(
        out,
        "<h2>Mail providers and DMARC report platforms</h2><p>By registrable domain. Providers and platforms with at least {min_share}% of the base have their own row; the rest are <em>other</em>. Exchanges in the domain itself are <em>self-hosted</em>, reports to the domain itself <em>same domain</em>.</p><div class=\"grid2\">"
    );
    for (key, title, d) in providers(s) {
        let what = if key == "mx_providers" {
            "providers"
        } else {
            "platforms"
        };
        distribution_figure(out, s, title, d, what);
    }
    out.push_str("</div>");
}

fn compare_section(out: &mut String, report: &Report) {
    let Some(c) = &report.compare else { return };
    let _ = write!(
        out,
        "<h2>Changes {} → {}</h2><p>{} domains in both snapshots, {} only in the first, {} only in the second. A domain whose column is <em>error</em> on either date is <em>unknown</em>, never a change.</p><div class=\"scroll\"><table><tr><th>Topic</th><th>Adopted</th><th>Dropped</th><th>Strengthened</th><th>Weakened</th><th>Unchanged</th><th>Unknown</th></tr>",
        escape(&c.date_a),
        escape(&c.date_b),
        thousands(c.common),
        thousands(c.only_a),
        thousands(c.only_b)
    );
    for t in &c.topics {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"err\">{}</td></tr>",
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
    let _ = write!(
        out,
        "<h3>Regressions by DNS operator</h3><p>Domains that went from enforcing DMARC to none (p=none or no record), lost their SPF record, became DNSSEC-bogus or lost DANE, under their operator on {}; <code>--export DIR</code> writes them as <code>regressions.csv</code> to notify each operator.</p>",
        escape(&c.date_b)
    );
    if c.regressions.is_empty() {
        out.push_str("<p>None.</p>");
        return;
    }
    out.push_str("<div class=\"scroll\"><table><tr><th>DNS operator</th><th>Domains</th><th>DMARC enforcing → none</th><th>SPF lost</th><th>DNSSEC bogus</th><th>DANE lost</th><th class=\"l\">Examples</th></tr>");
    for o in c.regressions.iter().take(30) {
        let examples: Vec<String> = o
            .list
            .iter()
            .take(3)
            .map(|(i, d)| {
                let short = ["DMARC", "SPF", "bogus", "DANE"][*i];
                format!(
                    "{} <small class=\"err\" title=\"{}\">{short}</small>",
                    escape(d),
                    REGRESSIONS[*i]
                )
            })
            .collect();
        let _ = write!(
            out,
            "<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"name\">{}</td></tr>",
            escape(&o.dns_operator),
            thousands(o.domains),
            thousands(o.dmarc_enforcing_to_none),
            thousands(o.spf_lost),
            thousands(o.dnssec_bogus),
            thousands(o.dane_lost),
            examples.join(", ")
        );
    }
    out.push_str("</table></div>");
    if c.regressions.len() > 30 {
        let _ = write!(
            out,
            "<p><small>{} more operators in the export.</small></p>",
            c.regressions.len() - 30
        );
    }
}

fn lookalike_section(out: &mut String, s: &SnapshotReport) {
    let Some(l) = &s.lookalikes else { return };
    let _ = write!(
        out,
        "<h2>Look-alikes of your brands, {}</h2><p class=\"lead\"><b>{}</b> look-alike domains can receive mail and publish no DMARC record, of {} look-alikes found ({} can receive mail without DMARC <code>p=reject</code>; {} could not be determined).</p>",
        escape(&l.date),
        thousands(l.receive_mail_no_dmarc),
        thousands(l.domains),
        thousands(l.receive_mail_not_reject),
        thousands(l.undetermined)
    );
    out.push_str("<p><small>Look-alike: the brand's name under another suffix, the same confusable skeleton after IDNA decoding (homoglyph), two letters swapped, a letter doubled, one letter changed, added or left out, or the brand with a word such as <em>login</em> or <em>secure</em>. Can receive mail: an MX host is published (a domain with only an address also receives mail, which the scan does not record).</small></p>");
    for b in &l.brands {
        let _ = write!(
            out,
            "<h3>{} <small class=\"err\">{} look-alikes</small></h3>",
            escape(&b.brand),
            b.domains.len()
        );
        if b.domains.is_empty() {
            continue;
        }
        out.push_str("<div class=\"scroll\"><table class=\"text\"><tr><th>Domain</th><th>Kind</th><th>MX</th><th>DMARC</th><th>DNS operator</th></tr>");
        for d in &b.domains {
            let name = match &d.unicode {
                Some(u) => format!("{} ({})", d.domain, u),
                None => d.domain.clone(),
            };
            let dmarc = d
                .dmarc_p
                .as_deref()
                .map_or_else(|| d.dmarc.clone(), |p| format!("{} p={p}", d.dmarc));
            let danger = if d.can_receive_mail && d.dmarc == "absent" {
                " <span class=\"warn\">⚠</span>"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<tr><td class=\"name\">{}{danger}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"name\">{}</td></tr>",
                escape(&name),
                d.kind.label(),
                escape(&d.mx),
                escape(&dmarc),
                escape(&d.dns_operator)
            );
        }
        out.push_str("</table></div>");
    }
}

fn dmarcbis_section(out: &mut String, s: &SnapshotReport) {
    let d = &s.dmarcbis;
    let _ = write!(
        out,
        "<h2>DMARCbis readiness (RFC 9989), {}</h2><p>Of the {} domains that publish DMARC. RFC 9989 adds <code>np</code> (policy for non-existent subdomains), <code>psd</code> (public suffix domain) and <code>t</code> (test mode), and removes <code>pct</code>: a receiver following it applies the policy to every message, so a record relying on <code>pct</code> other than 100 enforces more than its owner meant.</p><div class=\"scroll\"><table><tr><th>Tag</th><th>Records</th><th>Share</th></tr>",
        escape(&s.date),
        thousands(d.base)
    );
    for (name, f) in [
        ("np published", d.np),
        ("psd published", d.psd),
        ("t published", d.t),
        ("t=y (test mode)", d.t_test),
        ("pct other than 100", d.pct_not_100),
    ] {
        let _ = write!(
            out,
            "<tr><td>{name}</td><td>{}</td><td>{}%</td></tr>",
            thousands(f.count),
            pct_text(f.count, d.base)
        );
    }
    let (e, warn) = error_share(s, "dmarc_present").unwrap_or_default();
    let mark = if warn {
        " <span class=\"warn\">⚠</span>"
    } else {
        ""
    };
    let _ = write!(
        out,
        "</table></div><p><small>DMARC could not be determined for {e}% of the scanned domains{mark}. <code>psd</code> is read from the record text (the Parquet contract has no column for it).</small></p>"
    );
}

fn small_multiples(out: &mut String, report: &Report) {
    out.push_str("<h2>Each metric over time</h2><p><small>Each chart is scaled to its own range: compare the shapes, read the values on the axes.</small></p><div class=\"grid3\">");
    let keys = KEY_METRICS
        .iter()
        .chain(TREND_METRICS)
        .chain(&["resolution_error"]);
    let mut seen: Vec<&str> = Vec::new();
    for key in keys {
        if seen.contains(key) {
            continue;
        }
        seen.push(key);
        let Some(i) = metric_index(key) else { continue };
        let values: Vec<f64> = report
            .snapshots
            .iter()
            .map(|s| pct(s.headline.0.metrics[i], s.domains))
            .collect();
        let _ = write!(
            out,
            "<figure>{}</figure>",
            date_chart(
                &format!("{} (%)", METRICS[i].label),
                &report.trend.dates,
                &[Series {
                    label: METRICS[i].label.to_string(),
                    values,
                }],
                YScale::Fit,
                (THIRD, 190.0),
                false
            )
        );
    }
    out.push_str("</div>");
}

fn full_table(out: &mut String, report: &Report) {
    out.push_str("<h2>All figures</h2><div class=\"scroll\"><table><tr><th>Metric</th>");
    for s in &report.snapshots {
        let _ = write!(out, "<th>{}</th>", escape(&s.date));
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
    let cov = &latest.coverage;
    let _ = write!(
        out,
        "<p class=\"lead\">{} snapshot{} from {} to {}. On {}: <b>{}</b> domains scanned; <b>{}</b> ({}%) could not be resolved at all, and {} ({}%) have at least one probe that could not be determined. Every percentage is of all scanned domains, with the share that could not be determined beside it; a figure whose error share is above {}% is marked ⚠.</p>",
        report.snapshots.len(),
        if report.snapshots.len() == 1 { "" } else { "s" },
        escape(&report.trend.dates[0]),
        escape(&latest.date),
        escape(&latest.date),
        thousands(cov.domains),
        thousands(cov.unresolved.count),
        cov.unresolved.pct,
        thousands(cov.any_error.count),
        cov.any_error.pct,
        report.max_error_share
    );
    warnings(&mut out, latest);

    if report.snapshots.len() > 1 {
        trend_section(&mut out, report);
        changes_section(&mut out, report);
    }
    headline_section(&mut out, latest);
    group_section(
        &mut out,
        latest,
        &format!("DNS operators, {}", latest.date),
        "Operators",
        &latest.dns_operators,
    );
    let _ = write!(
        out,
        "<p><small>Operator: the registrable domain of the first listed name server; name servers in the domain itself are <em>self-hosted</em>; operators with less than {}% of the domains are <em>other</em>; <em>unknown</em>: no name servers in the input. Unresolved: the share whose resolution failed; ⚠: the metric's own error share in the row is above {}%.</small></p>",
        report.min_share, report.max_error_share
    );
    providers_section(&mut out, latest, report.min_share);
    compare_section(&mut out, report);
    lookalike_section(&mut out, latest);
    dmarcbis_section(&mut out, latest);

    let _ = write!(
        out,
        "<h2>Distributions, {}</h2><div class=\"grid2\">",
        escape(&latest.date)
    );
    for (key, title, d) in distributions(latest)
        .into_iter()
        .skip(providers(latest).len())
    {
        let what = if key == "spf_include_targets" {
            "targets"
        } else {
            "values"
        };
        distribution_figure(&mut out, latest, title, d, what);
    }
    out.push_str("</div>");

    group_section(&mut out, latest, "Sectors", "Sectors", &latest.sectors);
    group_section(
        &mut out,
        latest,
        "Size classes",
        "Size classes",
        &latest.size_classes,
    );
    if report.snapshots.len() > 1 {
        small_multiples(&mut out, report);
    }
    full_table(&mut out, report);

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
