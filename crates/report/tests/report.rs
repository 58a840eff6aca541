//! Report figures on hand-built Parquet fixtures (`testdata/fixture/`), with
//! expectations computed by hand from the rows; escaping of attacker-controlled
//! DNS text in every format; JSON key stability.

#![allow(clippy::unwrap_used)] // tests may unwrap (project rules)

use std::path::{Path, PathBuf};

use mailcensus_report::fixture::{self, compact, write_snapshot};
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
        ..Options::default()
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
    // MX provider = registrable domain of the most preferred exchange; the
    // domain's own exchanges are one `self-hosted` row (a, e, h); top_n = 2
    // named rows, ties by name, the rest `other` (issue 16 item 4).
    assert_eq!(d["mx_providers"]["base_count"], 6);
    assert_eq!(
        buckets(&d["mx_providers"]),
        pairs(&[
            ("google.com", 1),
            ("mx.microsoft", 1),
            ("self-hosted", 3),
            ("other", 1)
        ])
    );
    assert_eq!(d["mx_providers"]["distinct"], 4);
    assert_eq!(d["mx_providers"]["buckets"][3]["members"], 1);
    assert_eq!(
        buckets(&d["microsoft365"]),
        pairs(&[
            ("mail.protection.outlook.com", 1),
            ("mx.microsoft", 1),
            ("both", 0)
        ])
    );
    assert_eq!(d["dmarc_rua_destinations"]["base_count"], 3);
    // Report platforms: third parties by registrable domain, reports to the
    // domain itself as one `same domain` row.
    assert_eq!(
        buckets(&d["dmarc_rua_destinations"]),
        pairs(&[("agari.com", 1), ("dmarcian.com", 1), ("same domain", 1)])
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
    // Regressions per operator on date B: e (dnsop.example) went from
    // p=reject applied to no policy, h (dnsop.example) lost SPF, d
    // (other.net) went from reject to none. c stays enforcing (quarantine,
    // pct dropped); i's DMARC is error on both dates: no regression.
    let regressions: Vec<(String, u64, u64, u64)> = c["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["dns_operator"].as_str().unwrap().to_string(),
                o["domains"].as_u64().unwrap(),
                o["dmarc_enforcing_to_none"].as_u64().unwrap(),
                o["spf_lost"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        regressions,
        [
            ("dnsop.example".to_string(), 2, 1, 1),
            ("other.net".to_string(), 1, 1, 0)
        ]
    );
    let files = mailcensus_report::compare::export(cmp, out.path()).unwrap();
    assert_eq!(files.len(), 13);
    assert_eq!(
        std::fs::read_to_string(out.path().join("regressions.csv")).unwrap(),
        "dns_operator,regression,domain\n\
         dnsop.example,dmarc_enforcing_to_none,e.example\n\
         dnsop.example,spf_lost,h.example\n\
         other.net,dmarc_enforcing_to_none,d.example\n"
    );
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
    let rows = vec![evil.clone(), compact("ok.example spf=valid:~all").unwrap()];
    write_snapshot(dir.path(), "2026-03-01", &rows).unwrap();
    // A second snapshot where evil.example signs DNSSEC and loses SPF, and a
    // look-alike of it registers: the hostile operator name reaches the
    // attribution, the regressions and the look-alike table.
    let mut later = evil;
    fixture::set_dnssec(&mut later, mailcensus_store::vocab::DnssecStatus::Secure);
    later.posture.spf = compact("x.example").unwrap().posture.spf;
    let mut twin =
        compact("evil-login.example mx=present:<script>alert(1)</script>.example").unwrap();
    twin.ns_hosts = vec!["ns.<script>alert(1)</script>.example".into()];
    let rows = vec![later, compact("ok.example spf=valid:~all").unwrap(), twin];
    write_snapshot(dir.path(), "2026-03-02", &rows).unwrap();
    let sectors = SectorMap::parse("domain,sector\nevil.example,\"=cmd|' /C calc'!A0\"\nok.example,<script>alert(1)</script>\n").unwrap();
    let opts = Options {
        sectors: Some(sectors),
        brands: Some(mailcensus_report::Brands::parse("evil.example\n").unwrap()),
        compare: Some(("2026-03-01".into(), "2026-03-02".into())),
        ..Options::default()
    };
    (dir, opts)
}

#[test]
fn malicious_txt_never_appears_unescaped_in_html_or_markdown() {
    let (dir, opts) = hostile_dir();
    let report = build(dir.path(), &opts).unwrap();
    // The hostile names did reach the new sections.
    let j = json(&report);
    assert!(j["changes"][0]["metrics"].to_string().contains("<script>"));
    assert!(j["compare"]["regressions"].to_string().contains("<script>"));
    assert_eq!(j["snapshots"][1]["lookalikes"]["domains"], 1);
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
        sorted(vec![
            "schema",
            "definitions",
            "max_error_share",
            "min_share",
            "snapshots",
            "trend",
            "changes",
            "compare"
        ])
    );
    assert_eq!(j["schema"], "mailcensus-report/2");
    let s = &j["snapshots"][0];
    assert_eq!(
        keys(s),
        sorted(vec![
            "date",
            "domains",
            "coverage",
            "headline",
            "distributions",
            "dmarcbis",
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
        sorted(vec!["name", "domains", "members", "headline"])
    );
    assert_eq!(
        keys(&s["coverage"]),
        sorted(vec![
            "domains",
            "unresolved",
            "any_error",
            "max_error_share",
            "warnings"
        ])
    );
    assert_eq!(
        keys(&s["dmarcbis"]),
        sorted(vec!["base", "np", "psd", "t", "t_test", "pct_not_100"])
    );
    assert_eq!(
        keys(&j["trend"]),
        sorted(vec!["dates", "domains", "metrics"])
    );
    assert_eq!(
        keys(&j["trend"]["metrics"][0]),
        sorted(vec!["metric", "counts", "pct", "error_pct"])
    );
    assert_eq!(
        keys(&j["changes"][0]),
        sorted(vec!["from", "to", "domains_from", "domains_to", "metrics"])
    );
    assert_eq!(
        keys(&j["compare"]),
        sorted(vec![
            "date_a",
            "date_b",
            "common",
            "only_a",
            "only_b",
            "topics",
            "regressions"
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
    // Two snapshots: the report opens with the trend chart (before the
    // headline), then one small chart per key metric and the resolution error.
    let trend = html.find("class=\"chart line\"").unwrap();
    assert!(trend < html.find("<h2>Headline").unwrap());
    assert_eq!(html.matches("class=\"chart line\"").count(), 1 + 8 + 1);
    // Every chart is drawn at its natural size (one visual scale).
    for svg in html.split("<svg").skip(1) {
        let w = svg
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let vb = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert_eq!(w, vb);
        assert!(["900", "440", "290"].contains(&w), "{w}");
    }
    for banned in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(banned), "{banned}");
    }
}

/// Three snapshots of 40 domains. Between the second and the third, the
/// planted operator `signer.example` turns DNSSEC on for its ten customers;
/// `o02` (secure) moves to it unchanged and `o29` moves to it and is signed.
/// Nothing else changes; between the first and the second only DMARC moves.
fn three_snapshots() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (k, date) in ["2026-01-01", "2026-01-08", "2026-03-01"]
        .iter()
        .enumerate()
    {
        let mut rows = Vec::new();
        for i in 0..10 {
            let dnssec = if k == 2 { "secure" } else { "insecure" };
            rows.push(format!(
                "s{i:02}.example ns=ns1.signer.example mx=present:mx.provider.example dnssec={dnssec}"
            ));
        }
        for i in 0..30 {
            let moved = k == 2 && (i == 2 || i == 29);
            let ns = if moved {
                "ns1.signer.example"
            } else {
                "a.ns.other.example"
            };
            let secure = i < 3 || (k == 2 && i == 29);
            let dnssec = if secure { "secure" } else { "insecure" };
            // One DMARC record appears between the first and second date.
            let dmarc = if k >= 1 && i == 10 {
                " dmarc=valid:reject"
            } else {
                ""
            };
            rows.push(format!("o{i:02}.example ns={ns} dnssec={dnssec}{dmarc}"));
        }
        let rows: Vec<Row> = rows.iter().map(|l| compact(l).unwrap()).collect();
        write_snapshot(dir.path(), date, &rows).unwrap();
    }
    dir
}

/// Issue 16's test: the jump is attributed to the planted operator, exactly
/// (27.5 points, 100%), the mover that stayed secure counts where it went,
/// and the MX split is exact too.
#[test]
fn a_planted_operator_turning_dnssec_on_gets_the_jump() {
    let dir = three_snapshots();
    let report = build(dir.path(), &Options::default()).unwrap();
    let j = json(&report);
    assert_eq!(j["changes"].as_array().unwrap().len(), 2);
    let metric = |c: &Value, key: &str| -> Value {
        c["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == key)
            .unwrap()
            .clone()
    };
    let parts = |m: &Value, dim: &str| -> Vec<(String, u64, u64, f64, f64)> {
        m[dim]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["count_from"].as_u64().unwrap(),
                    p["count_to"].as_u64().unwrap(),
                    p["points"].as_f64().unwrap(),
                    p["share_of_change"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    // First pair: DNSSEC did not move, DMARC did (one domain, 2.5 points).
    let first = &j["changes"][0];
    let dnssec = metric(first, "dnssec_secure");
    assert_eq!(dnssec["delta_points"], 0.0);
    assert!(dnssec["by_dns_operator"].as_array().unwrap().is_empty());
    let dmarc = metric(first, "dmarc_present");
    assert_eq!(dmarc["delta_points"], 2.5);
    assert_eq!(
        parts(&dmarc, "by_dns_operator"),
        [("other.example".to_string(), 0, 1, 2.5, 100.0)]
    );
    // Second pair: 3 → 14 secure of 40, +27.5 points, all at signer.example.
    let second = &j["changes"][1];
    assert_eq!(
        (second["from"].as_str(), second["to"].as_str()),
        (Some("2026-01-08"), Some("2026-03-01"))
    );
    let dnssec = metric(second, "dnssec_secure");
    assert_eq!(
        (dnssec["pct_from"].as_f64(), dnssec["pct_to"].as_f64()),
        (Some(7.5), Some(35.0))
    );
    assert_eq!(dnssec["delta_points"], 27.5);
    // o02 was secure on the second date and is counted at signer.example,
    // where it went: other.example keeps 2 → 2 and is not listed.
    assert_eq!(
        parts(&dnssec, "by_dns_operator"),
        [("signer.example".to_string(), 1, 12, 27.5, 100.0)]
    );
    // By MX provider: signer's ten customers (provider.example) and the two
    // movers without MX.
    assert_eq!(
        parts(&dnssec, "by_mx_provider"),
        [
            ("provider.example".to_string(), 0, 10, 25.0, 90.9),
            ("no MX".to_string(), 3, 4, 2.5, 9.1)
        ]
    );
    // The sentence a reader sees, in HTML and Markdown.
    let html = render(&report, Format::Html).unwrap();
    assert!(
        html.contains("<b>DNSSEC secure</b> +27.5 points, 100% of it at DNS operator <code>signer.example</code>; 91% of it at MX provider <code>provider.example</code>."),
        "{html}"
    );
    let md = render(&report, Format::Markdown).unwrap();
    assert!(
        md.contains("- **DNSSEC secure** +27.5 points, 100% of it at DNS operator signer.example")
    );
    // The trend table has the three dates at their true spacing in the chart.
    assert_eq!(j["trend"]["dates"].as_array().unwrap().len(), 3);
    let secure = j["trend"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "dnssec_secure")
        .unwrap();
    assert_eq!(secure["pct"], serde_json::json!([7.5, 7.5, 35.0]));
    assert_eq!(secure["counts"], serde_json::json!([3, 3, 14]));
}

/// Regressions that the fixture snapshots lack: DNSSEC turned bogus, DANE
/// lost; an `error` on the later date is never a regression.
#[test]
fn regressions_need_a_determined_later_state() {
    let dir = tempfile::tempdir().unwrap();
    let a = [
        "x.example ns=ns.op.example dnssec=secure",
        "y.example ns=ns.op.example mx=present:mx.y.example dane=valid",
        "z.example ns=ns.op.example mx=present:mx.z.example dane=valid",
        "w.example ns=ns.w.example spf=valid:-all dmarc=valid:reject",
        "v.example ns=ns.op.example spf=valid:-all dmarc=valid:quarantine",
    ];
    let b = [
        "x.example ns=ns.op.example dnssec=bogus",
        "y.example ns=ns.op.example mx=present:mx.y.example dane=absent",
        "z.example ns=ns.op.example mx=present:mx.z.example dane=error",
        "w.example ns=ns.w.example spf=absent dmarc=valid:none",
        "v.example ns=ns.op.example spf=error dmarc=error",
    ];
    let rows = |v: &[&str]| -> Vec<Row> { v.iter().map(|l| compact(l).unwrap()).collect() };
    write_snapshot(dir.path(), "2026-01-01", &rows(&a)).unwrap();
    write_snapshot(dir.path(), "2026-01-02", &rows(&b)).unwrap();
    let opts = Options {
        compare: Some(("2026-01-01".into(), "2026-01-02".into())),
        ..Options::default()
    };
    let report = build(dir.path(), &opts).unwrap();
    let c = report.compare.unwrap();
    let got: Vec<(String, Vec<(usize, String)>)> = c
        .regressions
        .iter()
        .map(|o| (o.dns_operator.clone(), o.list.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "op.example".to_string(),
                vec![(2, "x.example".to_string()), (3, "y.example".to_string())]
            ),
            (
                "self-hosted".to_string(),
                vec![(0, "w.example".to_string()), (1, "w.example".to_string())]
            ),
        ]
    );
}

/// An error share above `--max-error-share` is flagged in JSON, HTML and
/// Markdown; below it, nothing is.
#[test]
fn error_shares_above_the_threshold_carry_a_warning() {
    let dir = scan_dir();
    // Snapshot B: i's DMARC is error (1 of 10: 10%); h's and f's are gone.
    let strict = build(dir.path(), &opts()).unwrap();
    let j = json(&strict);
    let warned: Vec<&str> = j["snapshots"][1]["coverage"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["error_metric"].as_str().unwrap())
        .collect();
    assert_eq!(warned, ["dmarc_error", "dnssec_error"]);
    let w = &j["snapshots"][1]["coverage"]["warnings"][0];
    assert_eq!(w["error"]["pct"], 10.0);
    assert!(
        w["metrics"]
            .as_array()
            .unwrap()
            .contains(&Value::from("dmarc_enforcing"))
    );
    assert_eq!(j["snapshots"][1]["coverage"]["unresolved"]["count"], 0);
    assert_eq!(j["snapshots"][0]["coverage"]["unresolved"]["count"], 1);
    assert_eq!(j["snapshots"][0]["coverage"]["any_error"]["count"], 3); // f, h, i
    let html = render(&strict, Format::Html).unwrap();
    assert!(
        html.contains("<span class=\"warn\">⚠ Error: DMARC 10%</span>"),
        "{html}"
    );
    let md = render(&strict, Format::Markdown).unwrap();
    assert!(md.contains("> ⚠ **Error: DMARC 10%**"));
    let lenient = Options {
        max_error_share: 10.0,
        ..opts()
    };
    let html = render(&build(dir.path(), &lenient).unwrap(), Format::Html).unwrap();
    assert!(!html.contains("⚠ Error"), "10% is not above 10%");
}

/// DMARCbis readiness (RFC 9989 §4.7): np, t and pct from the contract's
/// columns, psd from the record text with the posture crate's reader.
#[test]
fn dmarcbis_readiness_counts_the_new_tags_and_pct() {
    use mailcensus_store::vocab::Policy;
    let mut rows = Vec::new();
    for (name, record, np, t, pct) in [
        (
            "a",
            "v=DMARC1; p=reject; np=reject; psd=n",
            Some(Policy::Reject),
            None,
            None,
        ),
        ("b", "v=DMARC1; p=none; t=y", None, Some(true), None),
        ("c", "v=DMARC1; p=quarantine; pct=50", None, None, Some(50)),
        (
            "d",
            "v=DMARC1; p=reject; pct=100; psd=maybe",
            None,
            None,
            Some(100),
        ),
    ] {
        let mut r = compact(&format!("{name}.example dmarc=valid:none")).unwrap();
        let d = r.posture.dmarc.as_mut().unwrap();
        d.record = Some(record.to_string());
        (d.np, d.t, d.pct) = (np, t, pct);
        rows.push(r);
    }
    rows.push(compact("e.example").unwrap());
    let dir = tempfile::tempdir().unwrap();
    write_snapshot(dir.path(), "2026-01-01", &rows).unwrap();
    let j = json(&build(dir.path(), &Options::default()).unwrap());
    let d = &j["snapshots"][0]["dmarcbis"];
    assert_eq!(d["base"], 4);
    let count = |k: &str| d[k]["count"].as_u64().unwrap();
    // d's psd=maybe is malformed: a receiver drops it, so it does not count.
    assert_eq!(
        [
            count("np"),
            count("psd"),
            count("t"),
            count("t_test"),
            count("pct_not_100")
        ],
        [1, 1, 1, 1, 1]
    );
    assert_eq!(d["pct_not_100"]["pct"], 25.0);
}

/// Issue 16's look-alike test: planted typo domains of two brands, the
/// exact set with its kinds and the headline figure.
#[test]
fn lookalikes_of_planted_typos_are_exactly_found() {
    let homograph = idna_ascii("p\u{430}ypal.be");
    let lines = [
        // brand paypal.com
        "paypal.be mx=present:mx.paypal.be dmarc=valid:reject".to_string(),
        "paypa1.be mx=present:mx.paypa1.be".to_string(),
        "paypall.be mx=null_mx".to_string(),
        "payapl.be mx=present:mx.payapl.be dmarc=valid:none".to_string(),
        "paypol.be mx=error dmarc=error".to_string(),
        "paypal-login.be mx=present:mx.evil.example".to_string(),
        "securepaypal.be".to_string(),
        format!("{homograph} mx=present:mx.x.example"),
        // brand belfius.be: the brand itself is not its own look-alike
        "belfius.be mx=present:mx.belfius.be dmarc=valid:reject".to_string(),
        "be1fius.be mx=present:mx.y.example dmarc=valid:quarantine".to_string(),
        "belfuis.be mx=present:mx.belfuis.be".to_string(),
        // not look-alikes
        "paypalace.be mx=present:mx.p.example".to_string(),
        "pypl.be".to_string(),
        "belgium.be mx=present:mx.belgium.be".to_string(),
        "paypal-shop.be".to_string(),
    ];
    let rows: Vec<Row> = lines.iter().map(|l| compact(l).unwrap()).collect();
    let dir = tempfile::tempdir().unwrap();
    write_snapshot(dir.path(), "2026-01-01", &rows).unwrap();
    let opts = Options {
        brands: Some(
            mailcensus_report::Brands::parse("paypal.com\n# a bank\nBelfius.be\n").unwrap(),
        ),
        ..Options::default()
    };
    let report = build(dir.path(), &opts).unwrap();
    let j = json(&report);
    let l = &j["snapshots"][0]["lookalikes"];
    let found = |i: usize| -> Vec<(String, String)> {
        l["brands"][i]["domains"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["domain"].as_str().unwrap().to_string(),
                    d["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(l["brands"][0]["brand"], "paypal.com");
    let mut want = [
        ("payapl.be", "swap"),
        ("paypa1.be", "homoglyph"),
        ("paypal-login.be", "brand_word"),
        ("paypal.be", "same_name"),
        ("paypall.be", "doubled"),
        ("paypol.be", "edit"),
        ("securepaypal.be", "brand_word"),
        (homograph.as_str(), "homoglyph"),
    ];
    want.sort();
    assert_eq!(
        found(0),
        want.iter()
            .map(|(d, k)| (d.to_string(), k.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        found(1),
        [
            ("be1fius.be".to_string(), "homoglyph".to_string()),
            ("belfuis.be".to_string(), "swap".to_string())
        ]
    );
    // Can receive mail and no DMARC: paypa1, paypal-login, the homograph,
    // belfuis. (payapl has p=none; paypall has a null MX; paypol is error.)
    assert_eq!(l["domains"], 10);
    assert_eq!(l["receive_mail_no_dmarc"], 4);
    assert_eq!(l["receive_mail_not_reject"], 6); // + payapl, be1fius
    assert_eq!(l["undetermined"], 1);
    let html = render(&report, Format::Html).unwrap();
    assert!(
        html.contains("<b>4</b> look-alike domains can receive mail and publish no DMARC record")
    );
    assert!(
        html.contains("(p\u{430}ypal.be)"),
        "the homograph is shown decoded"
    );
}

/// The A-label a zone dump lists for a Unicode name.
fn idna_ascii(s: &str) -> String {
    mailcensus_report::lookalike::to_ascii(s).unwrap()
}
