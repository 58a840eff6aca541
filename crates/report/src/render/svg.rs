//! Small inline SVG charts: horizontal bars and lines. No script, no external
//! resource; every label is escaped, since labels can be DNS-derived text.
//!
//! Charts scale to their container (`viewBox`, `width="100%"`), so they read
//! on a phone as well as on a desktop.

use std::fmt::Write;

use super::markup::escape;

const PALETTE: &[&str] = &[
    "#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#c53030",
];

/// One bar: a label, its value (sets the length) and the text printed after it.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Label on the left (escaped on output).
    pub label: String,
    /// Length of the bar, in the chart's unit.
    pub value: f64,
    /// Text after the bar, e.g. `52.4% (1,234)`.
    pub text: String,
}

/// A horizontal bar chart. `max` is the value of a full-width bar (100 for
/// percentages); 0 scales to the largest bar.
pub fn bar_chart(title: &str, bars: &[Bar], max: f64) -> String {
    let (w, label_w, text_w, row_h, top) = (480.0, 150.0, 110.0, 22.0, 28.0);
    let h = top + row_h * bars.len() as f64 + 8.0;
    let max = if max > 0.0 {
        max
    } else {
        bars.iter().map(|b| b.value).fold(0.0, f64::max).max(1.0)
    };
    let plot_w = w - label_w - text_w;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart bar" role="img" aria-label="{t}" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text x="0" y="16" font-size="14" font-weight="bold">{t}</text>"#,
        t = escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let len = (b.value / max).clamp(0.0, 1.0) * plot_w;
        let label = truncate(&b.label, 24); // fits the 150-unit label column at 12 px
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" font-size="12" text-anchor="end">{label}</text><rect x="{label_w}" y="{ry}" width="{len:.1}" height="{bh}" fill="{c}"/><text x="{tx:.1}" y="{ty}" font-size="12">{text}</text>"#,
            lx = label_w - 6.0,
            ty = y + 14.0,
            label = escape(&label),
            ry = y + 3.0,
            bh = row_h - 6.0,
            c = PALETTE[0],
            tx = label_w + len + 4.0,
            text = escape(&b.text),
        );
    }
    s.push_str("</svg>");
    s
}

/// A line chart of one or more series over the same x labels (dates); the y
/// axis runs from 0 to 100 when `percent`, else to the largest value.
pub fn line_chart(
    title: &str,
    x_labels: &[String],
    series: &[(String, Vec<f64>)],
    percent: bool,
) -> String {
    let (w, h, left, right, top, bottom) = (480.0, 220.0, 36.0, 12.0, 28.0, 40.0);
    let ymax = if percent {
        100.0
    } else {
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.1
    };
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let n = x_labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| top + plot_h * (1.0 - (v / ymax).clamp(0.0, 1.0));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart line" role="img" aria-label="{t}" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text x="0" y="16" font-size="14" font-weight="bold">{t}</text>"#,
        t = escape(title)
    );
    for k in 0..=4 {
        let v = ymax * k as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end">{v:.0}</text>"##,
            x2 = w - right,
            yy = y(v),
            tx = left - 4.0,
            ty = y(v) + 4.0,
        );
    }
    let step = n.div_ceil(6).max(1);
    for (i, l) in x_labels.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            // End labels anchor inwards so they are not clipped at the edges.
            let anchor = match i {
                0 if n > 1 => "start",
                i if i + 1 == n && n > 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                r#"<text x="{xx:.1}" y="{yy}" font-size="11" text-anchor="{anchor}">{l}</text>"#,
                xx = x(i),
                yy = h - bottom + 16.0,
                l = escape(l),
            );
        }
    }
    for (si, (name, values)) in series.iter().enumerate() {
        let c = PALETTE[si % PALETTE.len()];
        let pts: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
            pts.join(" ")
        );
        for (i, v) in values.iter().enumerate() {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{c}"><title>{} {}: {v:.1}</title></circle>"#,
                x(i),
                y(*v),
                escape(name),
                escape(x_labels.get(i).map(String::as_str).unwrap_or("")),
            );
        }
        let _ = write!(
            s,
            r#"<text x="{lx:.1}" y="{ly}" font-size="11" fill="{c}">{n}</text>"#,
            lx = left + 120.0 * si as f64,
            ly = h - 6.0,
            n = escape(name),
        );
    }
    s.push_str("</svg>");
    s
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_chart_escapes_labels_and_scales() {
        let svg = bar_chart(
            "t<1>",
            &[
                Bar {
                    label: "<script>x</script>".into(),
                    value: 50.0,
                    text: "50.0%".into(),
                },
                Bar {
                    label: "b&c".into(),
                    value: 100.0,
                    text: "100.0%".into(),
                },
            ],
            100.0,
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("b&amp;c"));
        assert!(svg.contains("t&lt;1&gt;"));
        // Bar lengths: plot width is 480 - 150 - 110 = 220.
        assert!(svg.contains(r#"width="110.0""#), "{svg}");
        assert!(svg.contains(r#"width="220.0""#), "{svg}");
    }

    #[test]
    fn line_chart_has_one_polyline_per_series() {
        let svg = line_chart(
            "trend",
            &["2026-01-01".into(), "2026-01-02".into()],
            &[
                ("a".into(), vec![10.0, 20.0]),
                ("b".into(), vec![0.0, 100.0]),
            ],
            true,
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
