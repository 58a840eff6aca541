//! Report figures on hand-built Parquet fixtures (`testdata/fixture/`), with
//! expectations computed by hand from the rows; escaping of attacker-controlled
//! DNS text in every format; JSON key stability.

#![allow(clippy::unwrap_used)] // tests may unwrap (project rules)

use std::path::{Path, PathBuf};

use mailcensus_report::fixture::{compact, write_snapshot};
use mailcensus_report::render::{Format, render};
use mailcensus_report::{Options, Report, SectorMap, build};
use mailcensus_store::Row;
use serde_json::Value;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fixture")
        .join(name)
}

fn rows(name: &str) -> Vec<Row> {
    std::fs::read_to_string(testdata(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| compact(l).unwrap())
        .collect()
}

/// Both fixture snapshots in a temporary scan directory.
fn scan_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_snapshot(dir.path(), "2026-01-01", &rows("snapshot_a.txt")).unwrap();
    write_snapshot(dir.path(), "2026-02-01", &rows("snapshot_b.txt")).unwrap();
    dir
}

fn opts() -> Options {
    Options {
        top_n: 2,
        sectors: Some(SectorMap::load(&testdata("sectors.csv")).unwrap()),
        compare: Some(("2026-01-01".into(), "2026-02-01".into())),
    }
}

fn json(report: &Report) -> Value {
    serde_json::from_str(&render(report, Format::Json).unwrap()).unwrap()
}

#[test]
fn headline_figures_match_hand_counts() {
    let dir = scan_dir();
    let report = build(dir.path(), &opts()).unwrap();
    let j = json(&report);
    let a = &j["snapshots"][0];
    assert_eq!(a["date"], "2026-01-01");
    assert_eq!(a["domains"], 10);
    // (metric, count) over the 10 rows of snapshot_a.txt; pct = count * 10.
    let expected = [
        ("nxdomain", 1),
        ("spf_present", 6),
        ("spf_valid", 5),
        ("spf_all_fail", 3),
        ("spf_all_softfail", 1),
        ("spf_all_neutral", 1),
        ("spf_all_pass", 1),
        ("spf_over_10_lookups", 1),
        ("dmarc_present", 6),
        ("dmarc_valid", 5),
        ("dmarc_p_none", 1),
        ("dmarc_p_quarantine", 2),
        // e.example: invalid (no valid record) but p=reject applies (RFC 7489 §6.3).
        ("dmarc_p_reject", 3),
        ("dmarc_enforcing", 5),
        ("dmarc_pct_below_100", 1),
        ("dmarc_rua_present", 3),
        ("dmarc_rua_unauthorized", 1),
        ("dnssec_secure", 2),
        ("dnssec_bogus", 1),
        ("null_mx", 1),
        ("parked", 1),
        ("bimi_valid", 1),
        ("mta_sts_valid", 1),
        ("tlsrpt_valid", 1),
        ("dkim_likely", 2),
        ("dkim_unknown", 1),
        ("dane_valid", 1),
        ("resolution_error", 1),
        ("mx_error", 1),
        ("spf_error", 2),
        ("dmarc_error", 2),
        ("dnssec_error", 2),
        ("bimi_error", 1),
        ("mta_sts_error", 1),
        ("tlsrpt_error", 1),
        ("dkim_error", 1),
        ("dane_error", 1),
    ];
    let headline = a["headline"].as_object().unwrap();
    assert_eq!(headline.len(), expected.len());
    // Why DNSSEC failed, as the resolver said (RFC 8914): e is bogus with
    // expired signatures; h and the lame f are error.
    let reasons = |key: &str| -> Vec<(String, u64)> {
        a["distributions"][key]["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["value"].as_str().unwrap().to_string(),
                    b["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        reasons("dnssec_bogus_reasons"),
        [("signature_expired".to_string(), 1)]
    );
    assert_eq!(
        reasons("dnssec_error_reasons"),
        [
            ("no_reachable_authority".to_string(), 1),
            ("unspecified".to_string(), 1),
        ]
    );
    for (key, count) in expected {
        assert_eq!(headline[key]["count"], count, "{key}");
        assert_eq!(
            headline[key]["pct"].as_f64().unwrap(),
            f64::from(count) * 10.0,
            "{key}"
        );
    }
    // The second snapshot: 10 domains, SPF on a,b,c,d,e,i,j.
    let b = &j["snapshots"][1];
    assert_eq!(b["domains"], 10);
    assert_eq!(b["headline"]["spf_present"]["count"], 7);
    assert_eq!(b["headline"]["dmarc_enforcing"]["count"], 4); // a, b, c, h
}

fn buckets(d: &Value) -> Vec<(String, u64)> {
    d["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["value"].as_str().unwrap().to_string(),
                b["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(s, n)| ((*s).to_string(), *n)).collect()
}

#[test]
fn distributions_match_hand_counts() {
    let dir = scan_dir();
    let j = json(&build(dir.path(), &opts()).unwrap());
    let d = &j["snapshots"][0]["distributions"];
    assert_eq!(d["dmarc_policy"]["base_count"], 5);
    assert_eq!(
        buckets(&d["dmarc_policy"]),
        pairs(&[
            ("none", 1),
            ("none, pct<100", 0),
            ("quarantine", 1),
            ("quarantine, pct<100", 1),
            ("reject", 2),
            ("reject, pct<100", 0),
            ("unspecified", 0)
        ])
    );
    assert_eq!(d["dmarc_policy"]["buckets"][4]["pct"], 40.0);
    assert_eq!(d["spf_all"]["base_count"], 6);
    assert_eq!(
        buckets(&d["spf_all"]),
        pairs(&[
            ("-all", 3),
            ("~all", 1),
            ("?all", 1),
            ("+all", 1),
            ("none", 0)
        ])
    );
    assert_eq!(d["spf_all"]["buckets"][0]["pct"], 50.0);
    let lookups = buckets(&d["spf_lookups"]);
    assert_eq!(lookups[0], ("0".into(), 1));
    assert_eq!(lookups[1], ("1".into(), 2));
    assert_eq!(lookups[2], ("2".into(), 1));
    assert_eq!(lookups[3], ("3".into(), 1));
    assert_eq!(lookups[11], (">10".into(), 1));
    assert_eq!(lookups.iter().map(|b| b.1).sum::<u64>(), 6);
    // top_n = 2: ties broken by name.
    assert_eq!(
        buckets(&d["spf_include_targets"]),
        pairs(&[("_spf.google.com", 2), ("spf.protection.outlook.com", 1)])
    );
    assert_eq!(d["spf_include_targets"]["distinct"], 4);
    assert_eq!(d["mx_providers"]["base_count"], 6);
    assert_eq!(
        buckets(&d["mx_providers"]),
        pairs(&[("a.example", 1), ("e.example", 1)])
    );
    assert_eq!(d["mx_providers"]["distinct"], 6);
    assert_eq!(
        buckets(&d["microsoft365"]),
        pairs(&[
            ("mail.protection.outlook.com", 1),
            ("mx.microsoft", 1),
            ("both", 0)
        ])
    );
    assert_eq!(d["dmarc_rua_destinations"]["base_count"], 3);
    assert_eq!(
        buckets(&d["dmarc_rua_destinations"]),
        pairs(&[("agari.com", 1), ("b.example", 1)])
    );
    assert_eq!(d["dmarc_rua_destinations"]["buckets"][0]["pct"], 33.3);
}

fn groups(v: &Value) -> Vec<(String, u64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["domains"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn sectors_and_operators_match_hand_counts() {
    let dir = scan_dir();
    let j = json(&build(dir.path(), &opts()).unwrap());
    let s = &j["snapshots"][0];
    assert_eq!(
        groups(&s["sectors"]),
        pairs(&[("finance", 2), ("health", 3), ("unknown", 5)])
    );
    let health = &s["sectors"][1]["headline"];
    assert_eq!(health["spf_valid"]["count"], 2);
    assert_eq!(health["spf_valid"]["pct"], 66.7);
    // e.example's record is invalid, but the p=reject it applies counts.
    assert_eq!(health["dmarc_enforcing"]["pct"], 66.7);
    assert_eq!(
        groups(&s["size_classes"]),
        pairs(&[("large", 2), ("small", 1), ("unknown", 7)])
    );
    // Operator = registrable domain of the first NS (case and trailing dot
    // normalised); top 2, then other, then unknown (no NS).
    assert_eq!(
        groups(&s["dns_operators"]),
        pairs(&[
            ("dnsop.example", 4),
            ("other.net", 2),
            ("other", 2),
            ("unknown", 2)
        ])
    );
    assert_eq!(
        s["dns_operators"][0]["headline"]["dmarc_enforcing"]["pct"],
        75.0
    );
    assert_eq!(
        s["dns_operators"][1]["headline"]["dnssec_secure"]["count"],
        1
    );
}

#[test]
fn compare_counts_and_exports_changes() {
    let dir = scan_dir();
    let report = build(dir.path(), &opts()).unwrap();
    let j = json(&report);
    let c = &j["compare"];
    assert_eq!(
        (
            c["common"].as_u64(),
            c["only_a"].as_u64(),
            c["only_b"].as_u64()
        ),
        (Some(9), Some(1), Some(1))
    );
    let topic = |i: usize| -> Vec<u64> {
        [
            "adopted",
            "dropped",
            "strengthened",
            "weakened",
            "unchanged",
            "unknown",
        ]
        .iter()
        .map(|k| c["topics"][i][k].as_u64().unwrap())
        .collect()
    };
    assert_eq!(c["topics"][0]["topic"], "spf");
    assert_eq!(topic(0), [1, 1, 2, 0, 4, 1]); // j; h; b, e; -; a c d g; i
    // e: invalid with p=reject applied, then invalid with no policy.
    assert_eq!(topic(1), [1, 2, 1, 0, 4, 1]); // b; d e; c; -; a g h j; i
    assert_eq!(topic(2), [1, 1, 0, 0, 6, 1]); // j; c; -; -; a b d e g i; h
    let out = tempfile::tempdir().unwrap();
    let cmp = report.compare.as_ref().unwrap();
    let files = mailcensus_report::compare::export(cmp, out.path()).unwrap();
    assert_eq!(files.len(), 12);
    let read = |n: &str| std::fs::read_to_string(out.path().join(n)).unwrap();
    assert_eq!(
        read("spf_strengthened.csv"),
        "domain\nb.example\ne.example\n"
    );
    assert_eq!(
        read("dmarc_enforcement_dropped.csv"),
        "domain\nd.example\ne.example\n"
    );
    assert_eq!(read("dnssec_adopted.csv"), "domain\nj.example\n");
    assert_eq!(read("spf_weakened.csv"), "domain\n");
}

/// A scan where attacker-controlled TXT content and host names carry markup
/// and spreadsheet formulas.
fn hostile_dir() -> (tempfile::TempDir, Options) {
    let dir = tempfile::tempdir().unwrap();
    let mut evil = compact(
        "evil.example ns=ns.<script>alert(1)</script>.example mx=present:<script>alert(1)</script>.example spf=valid:-all:1 dmarc=valid:reject rua=mailto:a@<script>alert(1)</script>.example bimi=valid",
    )
    .unwrap();
    evil.posture.spf.as_mut().unwrap().record =
        Some("v=spf1 include:<script>alert(1)</script> include:=cmd|'/C calc'!A0 -all".into());
    evil.posture.bimi.as_mut().unwrap().logo = Some("<script>alert(1)</script>".into());
    let rows = vec![evil, compact("ok.example spf=valid:~all").unwrap()];
    write_snapshot(dir.path(), "2026-03-01", &rows).unwrap();
    let sectors = SectorMap::parse("domain,sector\nevil.example,\"=cmd|' /C calc'!A0\"\nok.example,<script>alert(1)</script>\n").unwrap();
    let opts = Options {
        sectors: Some(sectors),
        ..Options::default()
    };
    (dir, opts)
}

#[test]
fn malicious_txt_never_appears_unescaped_in_html_or_markdown() {
    let (dir, opts) = hostile_dir();
    let report = build(dir.path(), &opts).unwrap();
    let html = render(&report, Format::Html).unwrap();
    // The payload reached the report (as an include target, MX provider, rua
    // destination, operator and sector), escaped.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "unescaped markup in HTML"
    );
    let md = render(&report, Format::Markdown).unwrap();
    assert!(md.contains("&lt;script&gt;"));
    assert!(
        !md.to_ascii_lowercase().contains("<script"),
        "unescaped markup in Markdown"
    );
}

#[test]
fn csv_formula_cells_are_neutralised() {
    let (dir, opts) = hostile_dir();
    let report = build(dir.path(), &opts).unwrap();
    let csv = render(&report, Format::Csv).unwrap();
    assert!(
        csv.contains("'=cmd|' /C calc'!A0"),
        "sector cell kept, neutralised"
    );
    assert!(
        csv.contains("'=cmd|'/c"),
        "include target (lower-cased) neutralised"
    );
    // No cell may start with a formula character: check each cell's first byte.
    for line in csv.lines() {
        let mut in_quotes = false;
        let mut start = true;
        for c in line.chars() {
            if start && !in_quotes {
                assert!(
                    !matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'),
                    "formula cell in {line:?}"
                );
            }
            if start && c == '"' {
                in_quotes = true;
                continue;
            }
            start = false;
            match c {
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => start = true,
                _ => {}
            }
        }
    }
}

#[test]
fn json_keys_are_stable() {
    let dir = scan_dir();
    let j = json(&build(dir.path(), &opts()).unwrap());
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    // serde_json's default map sorts keys; compare as sets of the documented names.
    let sorted = |mut v: Vec<&str>| {
        v.sort_unstable();
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(
        keys(&j),
        sorted(vec!["schema", "definitions", "snapshots", "compare"])
    );
    assert_eq!(j["schema"], "mailcensus-report/1");
    let s = &j["snapshots"][0];
    assert_eq!(
        keys(s),
        sorted(vec![
            "date",
            "domains",
            "headline",
            "distributions",
            "sectors",
            "size_classes",
            "dns_operators"
        ])
    );
    assert_eq!(
        keys(&s["distributions"]),
        sorted(vec![
            "dmarc_policy",
            "spf_all",
            "spf_lookups",
            "spf_include_targets",
            "mx_providers",
            "microsoft365",
            "dmarc_rua_destinations",
            "dnssec_bogus_reasons",
            "dnssec_error_reasons"
        ])
    );
    assert_eq!(
        keys(&s["distributions"]["spf_all"]),
        sorted(vec!["base", "base_count", "distinct", "buckets"])
    );
    assert_eq!(
        keys(&s["headline"]["spf_valid"]),
        sorted(vec!["count", "pct"])
    );
    assert_eq!(
        keys(&s["sectors"][0]),
        sorted(vec!["name", "domains", "headline"])
    );
    assert_eq!(
        keys(&j["compare"]),
        sorted(vec![
            "date_a", "date_b", "common", "only_a", "only_b", "topics"
        ])
    );
    assert_eq!(keys(&j["definitions"]), keys(&s["headline"]));
    // The raw text keeps metric order (the order of the table), not sorted order.
    let text = render(&build(dir.path(), &opts()).unwrap(), Format::Json).unwrap();
    let first = text.find("\"nxdomain\"").unwrap();
    let last = text.find("\"dane_error\"").unwrap();
    assert!(first < last);
}

/// Writes a one-row part holding only `columns`, each of its contract type:
/// strings are `value`, lists empty, numbers 0 and flags false.
fn write_partial_part(dir: &Path, columns: &[mailcensus_store::schema::Column], value: &str) {
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use mailcensus_store::schema::ColumnType;
    use std::sync::Arc;
    let part = mailcensus_store::partition_dir(dir, "2026-01-01").join(
        mailcensus_store::part_file_name(mailcensus_store::Shard::SINGLE, 0),
    );
    std::fs::create_dir_all(part.parent().unwrap()).unwrap();
    let fields: Vec<_> = columns.iter().map(|c| c.field()).collect();
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    let arrays: Vec<arrow_array::ArrayRef> = columns
        .iter()
        .map(|c| -> arrow_array::ArrayRef {
            match c.ty {
                ColumnType::Utf8 => Arc::new(arrow_array::StringArray::from(vec![value])),
                ColumnType::ListUtf8 => {
                    let mut list = ListBuilder::new(StringBuilder::new());
                    if let arrow_schema::DataType::List(item) = c.ty.data_type() {
                        list = list.with_field(item);
                    }
                    list.append(true);
                    Arc::new(list.finish())
                }
                ColumnType::Int32 => Arc::new(arrow_array::Int32Array::from(vec![0])),
                ColumnType::Bool => Arc::new(arrow_array::BooleanArray::from(vec![false])),
                other => panic!("the report reads no {other} column"),
            }
        })
        .collect();
    let batch = arrow_array::RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&part).unwrap(), schema, None)
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn a_missing_column_is_an_error_not_zeros() {
    use mailcensus_store::schema::{DOMAIN, RESOLUTION};
    let dir = tempfile::tempdir().unwrap();
    write_partial_part(dir.path(), &[DOMAIN], "a.example");
    let err = build(dir.path(), &Options::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("no column `{}`", RESOLUTION.name)),
        "{err}"
    );
}

/// A status outside its vocabulary (a newer writer, a damaged file) stops the
/// report: counted as nothing, it would lower every share silently.
#[test]
fn a_value_outside_the_vocabulary_is_an_error_not_zeros() {
    use mailcensus_report::row::REPORT_COLUMNS;
    use mailcensus_store::schema::SPF_STATUS;
    let dir = tempfile::tempdir().unwrap();
    // Every string column holds "valid", which is not a label of `resolution`.
    write_partial_part(dir.path(), REPORT_COLUMNS, "valid");
    let err = mailcensus_report::read::for_each_row(
        &mailcensus_report::read::discover(dir.path()).unwrap()[0].files,
        &[SPF_STATUS],
        |_| {},
    );
    assert!(err.is_ok(), "valid is a label of spf_status");
    let err = build(dir.path(), &Options::default()).unwrap_err();
    assert!(err.to_string().contains("not in its vocabulary"), "{err}");
}

#[test]
fn html_is_self_contained_with_charts_and_viewport() {
    let dir = scan_dir();
    let html = render(&build(dir.path(), &opts()).unwrap(), Format::Html).unwrap();
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.matches("<svg").count() >= 10);
    // Two snapshots: one trend line chart per headline metric.
    assert_eq!(
        html.matches("class=\"chart line\"").count(),
        mailcensus_report::metrics::METRICS.len()
    );
    for banned in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(banned), "{banned}");
    }
}
