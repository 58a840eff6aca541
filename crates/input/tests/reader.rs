//! End-to-end tests of `DomainReader` over the scenario files in `testdata/`.

#![allow(clippy::unwrap_used)] // test helpers, not only #[test] fns

use std::io::Write;
use std::path::{Path, PathBuf};

use mailcensus_input::{DomainReader, Format, InputError, IssueKind, ReaderOptions, Shard};

use mailcensus_testbed::zonedump;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Reads everything; returns `name<TAB>ns,ns` lines and the reader.
fn read_all(paths: &[PathBuf], opts: ReaderOptions) -> (Vec<String>, DomainReader) {
    let mut r = DomainReader::open(paths, opts).unwrap();
    let mut out = Vec::new();
    for d in r.by_ref() {
        let d = d.unwrap();
        out.push(format!("{}\t{}", d.name, d.ns_hosts.join(",")));
    }
    (out, r)
}

fn expected(rel: &str) -> Vec<String> {
    std::fs::read_to_string(testdata(rel))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn fixture_zone_yields_expected_domains_and_hosts() {
    for threaded in [false, true] {
        let (got, r) = read_all(
            &[testdata("zone/fixture.zone")],
            ReaderOptions::default().threaded(threaded),
        );
        assert_eq!(
            got,
            expected("zone/fixture.expected"),
            "threaded={threaded}"
        );
        let s = r.stats();
        assert_eq!(
            (s.domains, s.duplicates, s.rejected, s.malformed),
            (12, 1, 0, 0)
        );
        assert_eq!(s.lines, 56);
    }
}

#[test]
fn fixture_zone_reports_apex_and_line() {
    let mut r =
        DomainReader::open(&[testdata("zone/fixture.zone")], ReaderOptions::default()).unwrap();
    let first = r.next().unwrap().unwrap();
    assert_eq!(first.name, "alpha.example");
    assert_eq!(first.zone.as_deref(), Some("example"));
    assert_eq!(first.line, 17);
    assert!(first.source.ends_with("fixture.zone"));
}

#[test]
fn malformed_corpus_reports_expected_lines() {
    let mut opts = ReaderOptions::default();
    opts.max_issues = 100;
    let (got, r) = read_all(&[testdata("malformed/malformed.zone")], opts);
    let names: Vec<String> = got
        .iter()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, expected("malformed/malformed.domains"));
    let issues: Vec<String> = r
        .issues()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i.line,
                if i.kind == IssueKind::Rejected {
                    "rejected"
                } else {
                    "malformed"
                }
            )
        })
        .collect();
    assert_eq!(issues, expected("malformed/malformed.expected"));
    // Every line counted: the unclosed record at the end spans lines 18-19.
    assert_eq!(
        r.stats().malformed + r.stats().rejected,
        issues.len() as u64 + 1
    );
}

#[test]
fn issue_list_is_bounded_but_counts_are_not() {
    let mut opts = ReaderOptions::default();
    opts.max_issues = 3;
    let (_, r) = read_all(&[testdata("malformed/malformed.zone")], opts);
    assert_eq!(r.issues().len(), 3);
    assert_eq!(r.stats().malformed, 11);
    assert_eq!(r.stats().rejected, 2);
}

#[test]
fn lists_and_csv() {
    type Case = (&'static str, &'static [&'static str], (u64, u64, u64));
    let cases: &[Case] = &[
        // (file, domains, (duplicates, rejected, malformed))
        (
            "list/plain.txt",
            &["example.com", "example.net", "xn--mnchen-3ya.de"],
            (1, 0, 1),
        ),
        (
            "list/tranco.csv",
            &[
                "google.com",
                "facebook.com",
                "xn--bcher-kva.de",
                "example.org",
            ],
            (1, 2, 0),
        ),
        (
            "list/header.csv",
            &["example.com", "example.net"],
            (0, 0, 0),
        ),
    ];
    for (file, want, (dup, rej, mal)) in cases {
        let (got, r) = read_all(&[testdata(file)], ReaderOptions::default());
        let names: Vec<&str> = got.iter().map(|l| l.trim_end_matches('\t')).collect();
        assert_eq!(names, *want, "{file}");
        let s = r.stats();
        assert_eq!(
            (s.duplicates, s.rejected, s.malformed),
            (*dup, *rej, *mal),
            "{file}"
        );
    }
}

#[test]
fn forced_format_overrides_sniffing() {
    // Read as a plain list, CSV lines are one field each but contain commas:
    // "1,google.com" is an illegal name.
    let (got, r) = read_all(
        &[testdata("list/tranco.csv")],
        ReaderOptions::default().format(Some(Format::List)),
    );
    assert!(got.is_empty());
    assert!(r.stats().rejected >= 5);
}

#[test]
fn sniff_table() {
    let cases: &[(&str, Format)] = &[
        ("$ORIGIN be.\nfoo NS ns.bar.\n", Format::Zone),
        ("be.\t3600\tin\tsoa\ta. b. 1 2 3 4 5\n", Format::Zone),
        ("example.be. 172800 IN NS ns1.example.net.\n", Format::Zone),
        ("example.be. NS ns1.example.net.\n", Format::Zone),
        (
            "; comment\nexample.be. IN 3600 NS ns1.example.net.\n",
            Format::Zone,
        ),
        ("example.com\nexample.net\n", Format::List),
        ("# a list\nexample.com\n", Format::List),
        ("1,google.com\n2,facebook.com\n", Format::Csv),
        ("rank,domain\n1,google.com\n", Format::Csv),
        ("1,google.com # a comment\n", Format::Csv),
        ("", Format::List),
    ];
    for (text, want) in cases {
        assert_eq!(
            mailcensus_input::sniff_format(text.as_bytes()),
            *want,
            "{text:?}"
        );
    }
}

#[test]
fn dedupe_spans_inputs_and_keeps_first_source() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    std::fs::write(&a, "one.be\ntwo.be\n").unwrap();
    std::fs::write(&b, "TWO.be.\nthree.be\none.be\n").unwrap();
    let mut r = DomainReader::open(&[a.clone(), b.clone()], ReaderOptions::default()).unwrap();
    let got: Vec<(String, PathBuf)> = r
        .by_ref()
        .map(|d| d.unwrap())
        .map(|d| (d.name, d.source.to_path_buf()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("one.be".into(), a.clone()),
            ("two.be".into(), a),
            ("three.be".into(), b)
        ]
    );
    assert_eq!(r.stats().duplicates, 2);
    assert_eq!(r.stats().inputs, 2);
}

#[test]
fn depth_two_for_second_level_registrations() {
    let zone = "$ORIGIN uk.\n@ IN SOA a. b. 1 2 3 4 5\n@ NS a.nic.uk.\nco NS a.nic.uk.\nshop.co NS ns1.op.net.\nbbc.co NS ns1.op.net.\nnhs NS ns1.op.net.\n";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("uk.zone");
    std::fs::write(&p, zone).unwrap();
    let names = |depth| {
        let (got, _) = read_all(
            std::slice::from_ref(&p),
            ReaderOptions::default().depth(depth),
        );
        got.into_iter()
            .map(|l| l.split('\t').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(1), vec!["co.uk", "nhs.uk"]);
    assert_eq!(names(2), vec!["shop.co.uk", "bbc.co.uk"]);
    assert!(DomainReader::open(&[p], ReaderOptions::default().depth(0)).is_err());
}

#[test]
fn headerless_dump_assumes_a_tld_apex() {
    // Some dumps are just sorted records with absolute owners, no SOA.
    let text = "example.com. 172800 in ns ns1.op.net.\nexample.com. 172800 in ns ns2.op.net.\nwww.example.com. 3600 in a 192.0.2.1\nsub.example.com. 3600 in ns ns1.op.net.\nother.com. 172800 in ns ns1.op.net.\n";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("czds.txt");
    std::fs::write(&p, text).unwrap();
    let (got, _) = read_all(&[p], ReaderOptions::default());
    assert_eq!(
        got,
        vec![
            "example.com\tns1.op.net,ns2.op.net",
            "other.com\tns1.op.net"
        ]
    );
}

#[test]
fn include_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("inc.zone");
    std::fs::write(
        &p,
        "$ORIGIN be.\na NS ns.op.net.\n$INCLUDE /etc/passwd\nb NS ns.op.net.\n",
    )
    .unwrap();
    let mut r = DomainReader::open(std::slice::from_ref(&p), ReaderOptions::default()).unwrap();
    let items: Vec<_> = r.by_ref().collect();
    // `a` is still delivered: its run ended at the directive only at EOF of the
    // run, so what matters is that the error names the file and line.
    let err = items.into_iter().find_map(Result::err).unwrap();
    match &err {
        InputError::Include { path, line } => {
            assert_eq!(path, &p);
            assert_eq!(*line, 3);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("inc.zone:3"));
    assert!(r.next().is_none(), "the reader stops after an error");
}

#[test]
fn missing_input_fails_before_reading() {
    let err = DomainReader::open(&[testdata("no/such/file.zone")], ReaderOptions::default())
        .err()
        .unwrap();
    assert!(matches!(err, InputError::Open { .. }));
    assert!(err.to_string().contains("file.zone"));
}

#[test]
fn same_input_same_order() {
    let opts = ReaderOptions::default;
    let (a, _) = read_all(
        &[testdata("zone/fixture.zone"), testdata("list/plain.txt")],
        opts(),
    );
    let (b, _) = read_all(
        &[testdata("zone/fixture.zone"), testdata("list/plain.txt")],
        opts().threaded(false),
    );
    assert_eq!(a, b);
}

#[test]
fn generated_dump_round_trips_exactly() {
    let mut buf = Vec::new();
    let opts = zonedump::ZoneDumpOptions::default();
    let summary = zonedump::write_zone_dump(&mut buf, "test", 20_000, 42, &opts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gen.zone");
    std::fs::File::create(&p).unwrap().write_all(&buf).unwrap();
    let (got, r) = read_all(&[p], ReaderOptions::default());
    let s = r.stats();
    assert_eq!(got.len() as u64, summary.delegations);
    assert_eq!(s.domains, summary.delegations);
    assert_eq!(s.records, summary.records);
    assert_eq!(s.lines, summary.lines);
    assert_eq!((s.duplicates, s.rejected, s.malformed), (0, 0, 0));
    assert!(
        got.iter()
            .all(|l| l.ends_with(".test") || l.contains(".test\t"))
    );
    assert!(got.iter().all(|l| {
        let hosts = l.split('\t').nth(1).unwrap();
        (2..=4).contains(&hosts.split(',').count())
    }));
}

mod shards {
    use super::*;

    fn names() -> Vec<String> {
        (0..5000).map(|i| format!("domain{i}.be")).collect()
    }

    #[test]
    fn disjoint_and_covering() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.txt");
        std::fs::write(&p, names().join("\n")).unwrap();
        let n = 7;
        let mut all = Vec::new();
        for i in 0..n {
            let shard = Shard::new(i, n).unwrap();
            let (got, r) = read_all(
                std::slice::from_ref(&p),
                ReaderOptions::default().shard(Some(shard)),
            );
            assert_eq!(r.stats().domains + r.stats().other_shards, 5000);
            // Each shard gets a fair share (5000/7 ≈ 714): a broken hash would not.
            assert!((550..900).contains(&got.len()), "shard {i}: {}", got.len());
            all.extend(got.into_iter().map(|l| l.trim_end_matches('\t').to_owned()));
        }
        all.sort();
        let mut want = names();
        want.sort();
        assert_eq!(all, want, "every name in exactly one shard");
    }

    #[test]
    fn pinned_assignments_catch_a_hash_change() {
        // xxh3-64, seed 0, of the normalised name, mod N. These values are the
        // contract between nights and machines: do not update them casually.
        let cases: &[(&str, u32, u32)] = &[
            ("example.com", 16, EXAMPLE_COM_16),
            ("google.com", 16, GOOGLE_COM_16),
            ("xn--bcher-kva.de", 10, BUCHER_10),
            ("a.be", 1000, A_BE_1000),
        ];
        let got: Vec<u32> = cases
            .iter()
            .map(|(name, n, _)| Shard::of(name, *n))
            .collect();
        let want: Vec<u32> = cases.iter().map(|c| c.2).collect();
        assert_eq!(got, want);
    }

    const EXAMPLE_COM_16: u32 = 3;
    const GOOGLE_COM_16: u32 = 1;
    const BUCHER_10: u32 = 9;
    const A_BE_1000: u32 = 194;
}

/// Issue 18 item 4: a stray `(` dropped the next 64 lines with one
/// "malformed" line in the log, and binary junk could swallow a following
/// record the same way. Reading resumes at the next line that starts a
/// record, so only the broken record is lost, and every line skipped is
/// counted, the issue naming the span (RFC 1035 §5.1: parentheses group the
/// lines of one record).
#[test]
fn a_stray_open_paren_loses_only_its_own_record() {
    let text: &[u8] = b"$ORIGIN be.\n\
                @ SOA ns.be. h.be. ( 1 2 3\n\
                \t4 5 )\n\
                bad NS ( ns.op.net.\n\
                \tNS ns2.op.net.\n\
                d0 NS ns.op.net.\n\
                d1 3600 IN NS ns.op.net.\n\
                junk\x00\x01(\xff\xfe\n\
                d2 IN 3600 NS ns.op.net.\n\
                quoted TXT ( \"open\n\
                \tstill inside\n\
                d3 NS ns.op.net.\n\
                d4 NS ns.op.net.\n";
    let mut r = DomainReader::from_reader(
        "paren",
        std::io::Cursor::new(text.to_vec()),
        ReaderOptions::default(),
    )
    .unwrap();
    let got: Vec<String> = r.by_ref().map(|d| d.unwrap().name).collect();
    assert_eq!(got, ["d0.be", "d1.be", "d2.be", "d3.be", "d4.be"]);
    let issues: Vec<(u64, String)> = r
        .issues()
        .iter()
        .map(|i| (i.line, i.message.clone()))
        .collect();
    assert_eq!(issues.len(), 3, "{issues:?}");
    assert_eq!(issues[0].0, 4);
    assert!(issues[0].1.contains("lines 4-5"), "{issues:?}");
    assert_eq!(issues[1].0, 8);
    assert_eq!(issues[2].0, 10);
    assert!(issues[2].1.contains("lines 10-11"), "{issues:?}");
    // Lines 4-5, 8 and 10-11: every skipped line counted.
    assert_eq!(r.stats().malformed, 5);
}

#[test]
fn a_record_open_for_too_many_lines_is_cut_and_its_lines_counted() {
    let mut text = String::from("$ORIGIN be.\nbad TXT (\n");
    for i in 0..200 {
        text.push_str(&format!("\t\"chunk {i}\"\n"));
    }
    text.push_str("d0 NS ns.op.net.\n");
    let mut r = DomainReader::from_reader(
        "paren",
        std::io::Cursor::new(text.into_bytes()),
        ReaderOptions::default(),
    )
    .unwrap();
    let got: Vec<String> = r.by_ref().map(|d| d.unwrap().name).collect();
    // The indented lines cannot be told from the record's own: they are cut
    // at 64, the rest read as blank-owner lines of no owner, then d0.
    assert_eq!(got, ["d0.be"]);
    assert!(r.stats().malformed >= 65, "{:?}", r.stats());
}

#[test]
fn overlong_line_is_skipped_not_buffered() {
    let mut text = String::from("$ORIGIN be.\na NS ns.op.net.\nb TXT \"");
    text.push_str(&"x".repeat(200_000));
    text.push_str("\"\nc NS ns.op.net.\n");
    let mut r = DomainReader::from_reader(
        "long",
        std::io::Cursor::new(text.into_bytes()),
        ReaderOptions::default(),
    )
    .unwrap();
    let got: Vec<String> = r.by_ref().map(|d| d.unwrap().name).collect();
    assert_eq!(got, vec!["a.be", "c.be"]);
    assert_eq!(r.stats().malformed, 1);
    assert_eq!(r.issues()[0].line, 3);
}

/// Issue 18 item 5: NS records of an owner that appears again later in the
/// dump (`ns3` appended after other names) were lost: the later run was
/// counted as a duplicate. A file is read twice, and the first occurrence
/// carries every delegation NS record; a stream, read once, counts them.
#[test]
fn ns_hosts_of_an_owner_repeated_later_in_the_dump_are_merged() {
    let text = "$ORIGIN be.\n\
                @ SOA ns.be. h.be. 1 2 3 4 5\n\
                a NS ns1.op.net.\n\
                a NS ns2.op.net.\n\
                b NS ns1.op.net.\n\
                c NS ns1.op.net.\n\
                a NS ns3.op.net.\n\
                a NS ns1.op.net.\n\
                c DS 1 2 3 AB\n\
                c NS ns9.op.net.\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("repeat.zone");
    std::fs::write(&path, text).unwrap();
    let (got, r) = read_all(std::slice::from_ref(&path), ReaderOptions::default());
    assert_eq!(
        got,
        [
            "a.be\tns1.op.net,ns2.op.net,ns3.op.net",
            "b.be\tns1.op.net",
            "c.be\tns1.op.net,ns9.op.net",
        ]
    );
    let s = r.stats();
    assert_eq!((s.domains, s.duplicates, s.ns_merged), (3, 2, 2));
    assert_eq!(r.total_domains(), Some(3));

    // Read once from a stream: no merge, but said.
    let mut r = DomainReader::from_reader(
        "stdin",
        std::io::Cursor::new(text.as_bytes().to_vec()),
        ReaderOptions::default(),
    )
    .unwrap();
    let hosts: Vec<usize> = r.by_ref().map(|d| d.unwrap().ns_hosts.len()).collect();
    assert_eq!(hosts, [2, 1, 1]);
    assert_eq!(r.stats().ns_unmerged, 2);
}

/// Issue 18 item 1: `$INCLUDE` is refused, and in a file it is found by the
/// first pass, before any domain is yielded (so before any DNS traffic).
#[test]
fn include_in_a_file_is_refused_before_the_first_domain() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("inc.zone");
    let mut text = String::from("$ORIGIN be.\n");
    for i in 0..1000 {
        text.push_str(&format!("d{i} NS ns.op.net.\n"));
    }
    text.push_str("$INCLUDE other.zone\n");
    std::fs::write(&p, text).unwrap();
    let mut r = DomainReader::open(std::slice::from_ref(&p), ReaderOptions::default()).unwrap();
    match r.next() {
        Some(Err(InputError::Include { line, .. })) => assert_eq!(line, 1002),
        other => panic!("expected the $INCLUDE error first, got {other:?}"),
    }
    assert!(r.next().is_none());
}

/// Issue 18: list input accepted `-lead.ex`, `1.2.3.4`, a bare TLD and the
/// A-label `xn--zz-invalid` (a disallowed code point). Lists and zones now
/// apply the same host-name and IDNA checks, and each refusal is reported.
#[test]
fn lists_and_zones_refuse_names_that_are_not_host_names_alike() {
    let bad = ["-lead.ex", "lead-.ex", "1.2.3.4", "xn--zz-invalid.ex"];
    let mut list = String::new();
    for name in bad.iter().chain(&["ex", "good.ex"]) {
        list.push_str(name);
        list.push('\n');
    }
    let mut r = DomainReader::from_reader(
        "list",
        std::io::Cursor::new(list.into_bytes()),
        ReaderOptions::default().format(Some(Format::List)),
    )
    .unwrap();
    let got: Vec<String> = r.by_ref().map(|d| d.unwrap().name).collect();
    assert_eq!(got, ["good.ex"]);
    assert_eq!(r.stats().rejected, 5, "{:?}", r.issues());
    assert!(r.issues().iter().any(|i| i.message.contains("bare TLD")));

    let mut zone = String::from("$ORIGIN ex.\n@ SOA ns.ex. h.ex. 1 2 3 4 5\n");
    for name in ["-lead.ex.", "lead-.ex.", "xn--zz-invalid.ex.", "good.ex."] {
        zone.push_str(&format!("{name} NS ns.op.net.\n"));
    }
    zone.push_str("other NS -bad.op.net.\n");
    let mut r = DomainReader::from_reader(
        "zone",
        std::io::Cursor::new(zone.into_bytes()),
        ReaderOptions::default(),
    )
    .unwrap();
    let got: Vec<String> = r.by_ref().map(|d| d.unwrap().name).collect();
    assert_eq!(got, ["good.ex"]);
    assert_eq!(r.stats().rejected, 3, "{:?}", r.issues());
    assert_eq!(r.stats().malformed, 1, "the bad NS host: {:?}", r.issues());
}
