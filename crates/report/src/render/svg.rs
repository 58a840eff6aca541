//! Small inline SVG charts: horizontal bars, and lines over dates. No script,
//! no external resource; every label is escaped, since labels can be
//! DNS-derived text.
//!
//! One visual scale for every chart (issue 16 item 8): each chart is drawn at
//! its natural size in CSS pixels (`width` = the `viewBox` width, one of
//! [`FULL`], [`HALF`], [`THIRD`]) and only ever shrunk by `max-width: 100%`
//! on a narrow screen, never stretched; text is [`TEXT`] px (titles
//! [`TITLE`], axis ticks [`TICK`]) in every chart. A chart stretched to its
//! container would scale its fonts with the container's width, which is what
//! made the old headline bar chart's text twice the size of the rest.

use std::fmt::Write;

use super::markup::escape;

/// Width of a chart that spans the page's column.
pub const FULL: f64 = 900.0;
/// Width of a chart in a two-column grid.
pub const HALF: f64 = 440.0;
/// Width of a chart in a three-column grid.
pub const THIRD: f64 = 290.0;
/// Font size of labels and values, in px.
pub const TEXT: f64 = 12.0;
/// Font size of chart titles, in px.
pub const TITLE: f64 = 14.0;
/// Font size of axis ticks, in px.
pub const TICK: f64 = 11.0;

/// Advance of a wide-ish character of [`TEXT`] in the sans-serif faces a
/// browser picks (DejaVu Sans measured 7.0 px on average for host names and
/// labels in headless Chromium), used to size label columns. An estimate: no
/// font metrics without a browser; the HTML test measures the result.
const CHAR_W: f64 = 7.4;
/// The same for a bold [`TITLE`].
const TITLE_CHAR_W: f64 = 9.2;

/// Line and bar colours, distinguishable in print and for most colour-vision
/// deficiencies.
pub const PALETTE: &[&str] = &[
    "#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#c53030", "#319795",
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

/// Opens a chart: its accessible name and tooltip (the whole title), and
/// the title drawn at the top, shortened with an ellipsis to fit the width.
fn open(s: &mut String, class: &str, title: &str, w: f64, h: f64) {
    let fits = (w / TITLE_CHAR_W).floor().max(8.0) as usize;
    let _ = write!(
        s,
        r#"<svg class="chart {class}" role="img" aria-label="{t}" width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text x="0" y="16" font-size="{TITLE}" font-weight="bold">{shown}</text>"#,
        t = escape(title),
        shown = escape(&truncate(title, fits)),
    );
}

/// A horizontal bar chart `width` px wide. `max` is the value of a
/// full-length bar (100 for percentages); 0 scales to the largest bar.
pub fn bar_chart(title: &str, bars: &[Bar], max: f64, width: f64) -> String {
    let (row_h, top) = (22.0, 28.0);
    let longest = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0);
    let label_w = (longest as f64 * CHAR_W + 10.0).clamp(60.0, width * 0.5);
    let text_w = bars
        .iter()
        .map(|b| b.text.chars().count())
        .max()
        .unwrap_or(0) as f64
        * CHAR_W
        + 10.0;
    let h = top + row_h * bars.len() as f64 + 6.0;
    let max = if max > 0.0 {
        max
    } else {
        bars.iter().map(|b| b.value).fold(0.0, f64::max).max(1e-9)
    };
    let plot_w = (width - label_w - text_w).max(40.0);
    let max_chars = ((label_w - 10.0) / CHAR_W).floor().max(4.0) as usize;
    let mut s = String::new();
    open(&mut s, "bar", title, width, h);
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let len = (b.value / max).clamp(0.0, 1.0) * plot_w;
        let label = truncate(&b.label, max_chars);
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" font-size="{TEXT}" text-anchor="end">{label}</text><rect x="{label_w}" y="{ry}" width="{len:.1}" height="{bh}" fill="{c}"/><text x="{tx:.1}" y="{ty}" font-size="{TEXT}">{text}</text>"#,
            lx = label_w - 6.0,
            ty = y + 15.0,
            label = escape(&label),
            ry = y + 4.0,
            bh = row_h - 8.0,
            c = PALETTE[0],
            tx = label_w + len + 4.0,
            text = escape(&b.text),
        );
    }
    s.push_str("</svg>");
    s
}

/// One line of a line chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its label, written at the line's end (escaped on output).
    pub label: String,
    /// One value per date.
    pub values: Vec<f64>,
}

/// How a line chart scales its y axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YScale {
    /// From 0 to a round value above the data: shares compared together.
    FromZero,
    /// A round range around the data: one metric's own movement.
    Fit,
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
pub fn day_number(date: &str) -> Option<i64> {
    let mut it = date.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The date of a day number.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A round step of about `raw`: 1, 2 or 5 times a power of ten.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let f = raw / p;
    p * if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    }
}

/// The y range and step for `values`.
fn y_range(values: impl Iterator<Item = f64>, scale: YScale) -> (f64, f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0, 0.25);
    }
    match scale {
        YScale::FromZero => {
            let step = nice_step(hi.max(0.1) / 4.0);
            let top = ((hi / step).floor() + 1.0) * step;
            (0.0, top, step)
        }
        YScale::Fit => {
            // At least half a point of range, so a flat line sits mid-chart
            // instead of filling it with noise.
            let pad = ((hi - lo) * 0.2).max(0.25);
            let step = nice_step((hi - lo + 2.0 * pad) / 4.0);
            let bottom = (((lo - pad) / step).floor() * step).max(0.0);
            let top = ((hi + pad) / step).ceil() * step;
            (bottom, top, step)
        }
    }
}

fn tick_text(v: f64, step: f64) -> String {
    if step < 0.1 {
        format!("{v:.2}%")
    } else if step < 1.0 {
        format!("{v:.1}%")
    } else {
        format!("{v:.0}%")
    }
}

/// The x ticks (day number, label) of a date axis from `first` to `last`,
/// at most `max` of them: every snapshot date when there are few, else
/// calendar steps (days, weeks, months, years).
fn x_ticks(days: &[i64], labels: &[String], max: usize) -> Vec<(i64, String)> {
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return Vec::new();
    };
    if days.len() <= max.min(8) {
        return days.iter().copied().zip(labels.iter().cloned()).collect();
    }
    let span = last - first;
    for step in [1, 2, 7, 14] {
        if span / step < max as i64 {
            return (0..=span / step)
                .map(|k| {
                    let d = first + k * step;
                    let (y, m, dd) = civil(d);
                    (d, format!("{y:04}-{m:02}-{dd:02}"))
                })
                .collect();
        }
    }
    let (y0, m0, _) = civil(first);
    let months = |y: i64, m: i64| y * 12 + m - 1;
    let (a, b) = (months(y0, m0), {
        let (y1, m1, _) = civil(last);
        months(y1, m1)
    });
    for step in [1, 2, 3, 6, 12, 24, 60, 120] {
        let start = (a + step).div_euclid(step) * step;
        let n = if b >= start {
            (b - start) / step + 1
        } else {
            0
        };
        if n as usize <= max {
            return (0..n)
                .filter_map(|k| {
                    let mm = start + k * step;
                    let (y, m) = (mm.div_euclid(12), mm.rem_euclid(12) + 1);
                    let d = day_number(&format!("{y:04}-{m:02}-01"))?;
                    let label = if step >= 12 {
                        format!("{y}")
                    } else {
                        format!("{y:04}-{m:02}")
                    };
                    Some((d, label))
                })
                .collect();
        }
    }
    vec![(first, labels[0].clone())]
}

/// A line chart over dates, `width` × `height` px: x at the dates' true
/// spacing, each series labelled at its end (`end_labels`, the label and the
/// last value) and the y axis scaled by `scale`. Dates that do not parse
/// fall back to even spacing.
pub fn date_chart(
    title: &str,
    dates: &[String],
    series: &[Series],
    scale: YScale,
    (width, height): (f64, f64),
    end_labels: bool,
) -> String {
    let days: Vec<i64> = match dates
        .iter()
        .map(|d| day_number(d))
        .collect::<Option<Vec<_>>>()
    {
        Some(d) => d,
        None => (0..dates.len() as i64).collect(),
    };
    let label_texts: Vec<String> = series
        .iter()
        .map(|s| {
            let last = s.values.last().copied().unwrap_or(0.0);
            if end_labels {
                format!("{} {last:.1}%", s.label)
            } else {
                format!("{last:.1}%")
            }
        })
        .collect();
    let longest = label_texts
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let (left, top, bottom) = (48.0, 30.0, 26.0);
    let right = (longest as f64 * CHAR_W + 14.0).min(width * 0.4);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let (d0, d1) = (
        days.first().copied().unwrap_or(0),
        days.last().copied().unwrap_or(0),
    );
    let x = |d: i64| {
        if d1 == d0 {
            left + plot_w / 2.0
        } else {
            left + plot_w * (d - d0) as f64 / (d1 - d0) as f64
        }
    };
    let (lo, hi, step) = y_range(series.iter().flat_map(|s| s.values.iter().copied()), scale);
    let y = |v: f64| top + plot_h * (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0));
    let mut s = String::new();
    open(&mut s, "line", title, width, height);
    // Horizontal grid and y ticks.
    let mut v = lo;
    while v <= hi + step / 1000.0 {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{x2:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e2e8f0"/><text x="{tx}" y="{ty:.1}" font-size="{TICK}" text-anchor="end" fill="#4a5568">{t}</text>"##,
            x2 = left + plot_w,
            yy = y(v),
            tx = left - 5.0,
            ty = y(v) + 4.0,
            t = tick_text(v, step),
        );
        v += step;
    }
    // Date ticks, at least 80 px apart.
    let max_ticks = ((plot_w / 80.0).floor() as usize).max(2);
    let mut last_right = f64::NEG_INFINITY;
    for (d, label) in x_ticks(&days, dates, max_ticks) {
        let xx = x(d);
        let half = label.chars().count() as f64 * TICK * 0.3;
        // Clamp the label inside the plot, then skip it if it would overlap.
        let cx = xx.clamp(left + half, left + plot_w - half);
        if cx - half < last_right + 6.0 {
            continue;
        }
        last_right = cx + half;
        let _ = write!(
            s,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{y0:.1}" y2="{y1:.1}" stroke="#a0aec0"/><text x="{cx:.1}" y="{ty:.1}" font-size="{TICK}" text-anchor="middle" fill="#4a5568">{l}</text>"##,
            y0 = top + plot_h,
            y1 = top + plot_h + 4.0,
            ty = top + plot_h + 17.0,
            l = escape(&label),
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{left}" x2="{x2:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#718096"/>"##,
        x2 = left + plot_w,
        yy = top + plot_h,
    );
    // End labels: at each line's last value, pushed apart so none overlap.
    let mut ends: Vec<(f64, usize)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (y(s.values.last().copied().unwrap_or(0.0)), i))
        .collect();
    ends.sort_by(|a, b| a.0.total_cmp(&b.0));
    let gap = TEXT + 2.0;
    for i in 1..ends.len() {
        if ends[i].0 < ends[i - 1].0 + gap {
            ends[i].0 = ends[i - 1].0 + gap;
        }
    }
    let floor = top + plot_h;
    if let Some(last) = ends.last().map(|e| e.0)
        && last > floor
    {
        let shift = last - floor;
        for e in &mut ends {
            e.0 -= shift;
        }
    }
    for (si, sr) in series.iter().enumerate() {
        let c = PALETTE[si % PALETTE.len()];
        let pts: Vec<String> = sr
            .values
            .iter()
            .zip(&days)
            .map(|(v, d)| format!("{:.1},{:.1}", x(*d), y(*v)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
            pts.join(" ")
        );
        for ((v, d), date) in sr.values.iter().zip(&days).zip(dates) {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{c}"><title>{} {}: {v:.1}%</title></circle>"#,
                x(*d),
                y(*v),
                escape(&sr.label),
                escape(date),
            );
        }
    }
    for (ly, si) in ends {
        let _ = write!(
            s,
            r#"<text x="{lx:.1}" y="{ty:.1}" font-size="{TEXT}" fill="{c}">{t}</text>"#,
            lx = left + plot_w + 6.0,
            ty = ly + 4.0,
            c = PALETTE[si % PALETTE.len()],
            t = escape(&label_texts[si]),
        );
    }
    s.push_str("</svg>");
    s
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
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
            HALF,
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("b&amp;c"));
        assert!(svg.contains("t&lt;1&gt;"));
        // Drawn at its natural size: 1 unit = 1 px, so text is 12 px.
        assert!(
            svg.contains(r#"width="440" height="78" viewBox="0 0 440 78""#),
            "{svg}"
        );
        // Label column 18 chars × 7.4 + 10 = 143.2; text column 6 × 7.4 + 10 = 54.4;
        // plot 440 − 143.2 − 54.4 = 242.4: bars of 121.2 and 242.4.
        assert!(svg.contains(r#"width="121.2""#), "{svg}");
        assert!(svg.contains(r#"width="242.4""#), "{svg}");
    }

    #[test]
    fn dates_are_day_numbers() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2026-01-01"), Some(20_454));
        assert_eq!(
            day_number("2024-03-01").unwrap() - day_number("2024-02-28").unwrap(),
            2
        );
        assert_eq!(day_number("2026-13-01"), None);
        for d in [0, 20_454, 19_782, -1] {
            let (y, m, dd) = civil(d);
            assert_eq!(day_number(&format!("{y:04}-{m:02}-{dd:02}")), Some(d));
        }
    }

    /// Dates sit at their true spacing: three snapshots on days 0, 1 and 10
    /// put the middle point a tenth of the way along.
    #[test]
    fn date_chart_spaces_dates_truly_and_labels_each_line() {
        let dates = ["2026-01-01", "2026-01-02", "2026-01-11"].map(String::from);
        let svg = date_chart(
            "trend",
            &dates,
            &[
                Series {
                    label: "SPF present".into(),
                    values: vec![50.0, 51.0, 52.4],
                },
                Series {
                    label: "<b>".into(),
                    values: vec![2.0, 2.0, 2.6],
                },
            ],
            YScale::FromZero,
            (FULL, 360.0),
            true,
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(">SPF present 52.4%</text>"));
        assert!(svg.contains(">&lt;b&gt; 2.6%</text>"));
        // left 48, right = "SPF present 52.4%" 17 × 7.4 + 14 = 139.8: plot 712.2.
        // Day 1 of 10: x = 48 + 71.22 = 119.2.
        assert!(svg.contains(r#"cx="119.2""#), "{svg}");
        // y from 0 to 60 (step 10 above 52.4): six grid lines and 0%.
        assert!(svg.contains(">60%</text>") && svg.contains(">0%</text>"));
        assert!(!svg.contains(">70%</text>"));
    }

    #[test]
    fn fitted_y_axis_follows_the_data() {
        let (lo, hi, step) = y_range([42.6, 43.1, 46.7].into_iter(), YScale::Fit);
        assert!(lo <= 42.6 && hi >= 46.7 && lo >= 40.0, "{lo} {hi}");
        assert!(
            hi - lo < 10.0,
            "scaled to the data, not 0–100: {lo}..{hi} by {step}"
        );
        let (lo, hi, _) = y_range([0.0, 0.0].into_iter(), YScale::Fit);
        assert!(lo == 0.0 && hi > 0.0);
    }

    #[test]
    fn month_ticks_over_a_year() {
        let dates: Vec<String> = (0..365)
            .map(|k| {
                let (y, m, d) = civil(day_number("2025-01-15").unwrap() + k);
                format!("{y:04}-{m:02}-{d:02}")
            })
            .collect();
        let days: Vec<i64> = dates.iter().map(|d| day_number(d).unwrap()).collect();
        let ticks = x_ticks(&days, &dates, 8);
        assert!(ticks.len() <= 8 && ticks.len() >= 4, "{ticks:?}");
        assert!(ticks.iter().all(|(_, l)| l.len() == 7), "{ticks:?}");
    }
}
