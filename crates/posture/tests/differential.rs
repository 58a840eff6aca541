//! Differential test against mail-auth 0.13.3's record parsers
//! (`mail_auth::common::parse::TxtRecordParser`), on a corpus of valid records
//! (`testdata/differential/`), plus a table of the inputs where the two
//! deliberately disagree, each with the reason. Two levels: whether each
//! parser accepts a record (our `parse`, "parses per its RFC"), and, for
//! DMARC, the policy a receiver applies (our `classify`, which reads past
//! malformed tags, RFC 7489 §6.3 and §6.6.3 step 6, where mail-auth rejects
//! the whole record) — [`APPLIED_DISAGREEMENTS`].
//!
//! Where they differ in representation (not in judgement), the comparison
//! maps one onto the other:
//! * mail-auth fills defaults (`sp` = `p`, `np` = `sp`, `adkim`/`aspf` = `r`,
//!   `t` = false); we keep what was published (`None`), so we compare our value
//!   with the default applied.
//! * mail-auth keeps only `mailto:` report URIs, as the address without the
//!   scheme, lowercased, with `!size` in bytes; we keep every URI as published.
//! * mail-auth has no `pct`, `ri` or `rf` (it follows RFC 9989), and folds
//!   `fo` into one value; we compare `fo` only when one option is published.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

use std::path::PathBuf;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::dmarc::{Alignment as MaAlignment, Dmarc, Policy as MaPolicy, Psd as MaPsd, Report};
use mail_auth::mta_sts::{MtaSts, ReportUri as MaReportUri, TlsRpt};
use mailcensus_posture::dmarc::{self, Alignment, DmarcRecord, Policy, Psd};
use std::collections::HashMap;

use mailcensus_posture::{Lookup, TxtRecord, mta_sts, tlsrpt};

fn corpus(name: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/differential")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert!(lines.len() >= 5, "{path:?}");
    lines
}

fn policy(p: Option<Policy>) -> MaPolicy {
    match p {
        None => MaPolicy::Unspecified,
        Some(Policy::None) => MaPolicy::None,
        Some(Policy::Quarantine) => MaPolicy::Quarantine,
        Some(Policy::Reject) => MaPolicy::Reject,
    }
}

fn alignment(a: Option<Alignment>) -> MaAlignment {
    match a {
        Some(Alignment::Strict) => MaAlignment::Strict,
        _ => MaAlignment::Relaxed,
    }
}

fn size_in_bytes(limit: Option<&str>) -> usize {
    let Some(limit) = limit else { return 0 };
    let digits = limit.trim_end_matches(char::is_alphabetic);
    let number: usize = digits.parse().unwrap();
    let unit = match &limit[digits.len()..] {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        other => panic!("unit {other}"),
    };
    number * unit
}

fn mailto_addresses(list: &[dmarc::ReportUri]) -> Vec<(String, usize)> {
    list.iter()
        .filter_map(|u| {
            let (scheme, address) = u.uri.split_once(':')?;
            scheme.eq_ignore_ascii_case("mailto").then(|| {
                (
                    address.to_lowercase(),
                    size_in_bytes(u.size_limit.as_deref()),
                )
            })
        })
        .collect()
}

fn compare_dmarc(text: &str, ours: &DmarcRecord, theirs: &Dmarc) -> Vec<String> {
    let mut diffs = Vec::new();
    let p = policy(ours.p);
    let sp = if ours.sp.is_some() {
        policy(ours.sp)
    } else {
        p
    };
    let np = if ours.np.is_some() {
        policy(ours.np)
    } else {
        sp
    };
    let mut check = |what: &str, equal: bool| {
        if !equal {
            diffs.push(format!("{text:?}: {what} differs"));
        }
    };
    check("p", p == theirs.p);
    check("sp", sp == theirs.sp);
    check("np", np == theirs.np);
    check("adkim", alignment(ours.adkim) == theirs.adkim);
    check("aspf", alignment(ours.aspf) == theirs.aspf);
    check("t", ours.t.unwrap_or(false) == theirs.t);
    let psd = match ours.psd {
        Some(Psd::Yes) => MaPsd::Yes,
        Some(Psd::No) => MaPsd::No,
        _ => MaPsd::Default,
    };
    check("psd", psd == theirs.psd);
    let theirs_rua: Vec<(String, usize)> = theirs
        .rua
        .iter()
        .map(|u| (u.uri.clone(), u.max_size))
        .collect();
    let theirs_ruf: Vec<(String, usize)> = theirs
        .ruf
        .iter()
        .map(|u| (u.uri.clone(), u.max_size))
        .collect();
    check("rua", mailto_addresses(&ours.rua) == theirs_rua);
    check("ruf", mailto_addresses(&ours.ruf) == theirs_ruf);
    if let Some([one]) = ours.fo.as_deref() {
        let want = match one {
            '0' => Report::All,
            '1' => Report::Any,
            'd' => Report::Dkim,
            _ => Report::Spf,
        };
        check("fo", want == theirs.fo);
    }
    diffs
}

#[test]
fn dmarc_corpus_agrees_with_mail_auth() {
    let mut diffs = Vec::new();
    let records = corpus("dmarc.txt");
    for text in &records {
        let ours = dmarc::parse(text).unwrap_or_else(|e| panic!("we reject {text:?}: {e}"));
        let theirs = Dmarc::parse(text.as_bytes())
            .unwrap_or_else(|e| panic!("mail-auth rejects {text:?}: {e:?}"));
        diffs.extend(compare_dmarc(text, &ours, &theirs));
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    eprintln!("dmarc: {} records agree", records.len());
}

#[test]
fn mta_sts_corpus_agrees_with_mail_auth() {
    for text in corpus("mta_sts.txt") {
        let ours = mta_sts::parse(&text).unwrap_or_else(|e| panic!("we reject {text:?}: {e}"));
        let theirs = MtaSts::parse(text.as_bytes())
            .unwrap_or_else(|e| panic!("mail-auth rejects {text:?}: {e:?}"));
        assert_eq!(ours.id, theirs.id, "{text:?}");
    }
}

#[test]
fn tlsrpt_corpus_agrees_with_mail_auth() {
    for text in corpus("tlsrpt.txt") {
        let ours = tlsrpt::parse(&text).unwrap_or_else(|e| panic!("we reject {text:?}: {e}"));
        let theirs = TlsRpt::parse(text.as_bytes())
            .unwrap_or_else(|e| panic!("mail-auth rejects {text:?}: {e:?}"));
        let mapped: Vec<MaReportUri> = ours
            .rua
            .iter()
            .map(|uri| match uri.split_once(':') {
                Some((scheme, address)) if scheme.eq_ignore_ascii_case("mailto") => {
                    MaReportUri::Mail(address.to_owned())
                }
                _ => MaReportUri::Http(uri.clone()),
            })
            .collect();
        assert_eq!(mapped, theirs.rua, "{text:?}");
    }
}

/// Inputs where the two parsers disagree on acceptance, on purpose. Each row:
/// the record, whether we accept it, whether mail-auth does, and why. The test
/// fails if either side changes, so this list stays true.
const DISAGREEMENTS: &[(&str, &str, bool, bool, &str)] = &[
    (
        "dmarc",
        "v=DMARC1; p=none; p=reject",
        false,
        true,
        "RFC 6376 §3.2 forbids duplicate tags; mail-auth lets the last one win",
    ),
    (
        "dmarc",
        "v=DMARC1; p=none; pct=150",
        false,
        true,
        "RFC 7489 §6.4 pct is 0-100; mail-auth follows RFC 9989, which removed pct, and ignores it",
    ),
    (
        "dmarc",
        "v=DMARC1; p=none; psd=maybe",
        false,
        true,
        "RFC 9989 psd is y/n/u; mail-auth maps anything else to its default",
    ),
    (
        "dmarc",
        "v=DMARC1; p=none; t=yes",
        false,
        true,
        "RFC 9989 t is y/n; mail-auth reads anything but y as n",
    ),
    (
        "dmarc",
        "v=DMARC1; p=none; rua=dmarc@example.com",
        false,
        true,
        "RFC 7489 §6.4 dmarc-uri needs a URI; mail-auth drops a scheme-less item silently",
    ),
    (
        "dmarc",
        "v=DMARC1; p=none;; adkim=s",
        false,
        true,
        "RFC 6376 §3.2 tag-list has no empty tag-spec; mail-auth skips it",
    ),
    (
        "dmarc",
        "v=DMARC1; p=none; ri=soon",
        false,
        true,
        "RFC 7489 §6.4 ri is 1*DIGIT; mail-auth ignores ri (removed by RFC 9989)",
    ),
    (
        "mta_sts",
        "v=STSv1; id=2016-08-31",
        false,
        true,
        "RFC 8461 §3.1 id is 1*32(ALPHA / DIGIT); mail-auth accepts any text",
    ),
    (
        "mta_sts",
        "id=1; v=STSv1",
        false,
        true,
        "RFC 8461 §3.1 requires v=STSv1 first; mail-auth accepts v anywhere",
    ),
    (
        "mta_sts",
        "v=STSv1; id=123456789012345678901234567890123",
        false,
        true,
        "RFC 8461 §3.1 id is at most 32 characters; mail-auth has no limit",
    ),
    (
        "tlsrpt",
        "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
        false,
        true,
        "RFC 6376 §3.2-style duplicate tag; mail-auth appends both lists",
    ),
    (
        "tlsrpt",
        "v=TLSRPTv1; rua=mailto:a@example.com,http://example.com/r",
        false,
        true,
        "RFC 8460 §3 names mailto and https only; mail-auth skips the rest of the list",
    ),
    (
        "dmarc",
        " v=DMARC1; p=reject",
        false,
        true,
        "RFC 7489 §6.6.3 steps 2 and 4: a record that does not start with the v tag is \
         discarded (classify: absent, the record named in dmarc_error); mail-auth skips \
         leading whitespace",
    ),
    (
        "mta_sts",
        "v=STSv1; id=1; id=2",
        false,
        true,
        "a repeated id is ambiguous (which policy version to cache?); mail-auth keeps the last",
    ),
];

fn accepts(protocol: &str, text: &str) -> (bool, bool) {
    match protocol {
        "dmarc" => (
            dmarc::parse(text).is_ok(),
            Dmarc::parse(text.as_bytes()).is_ok(),
        ),
        "mta_sts" => (
            mta_sts::parse(text).is_ok(),
            MtaSts::parse(text.as_bytes()).is_ok(),
        ),
        "tlsrpt" => (
            tlsrpt::parse(text).is_ok(),
            TlsRpt::parse(text.as_bytes()).is_ok(),
        ),
        other => panic!("protocol {other}"),
    }
}

/// Broken records both parsers reject: the agreement is worth keeping.
const BOTH_REJECT: &[(&str, &str)] = &[
    ("dmarc", "v=DMARC1; p=reject; rua=mailto:a@example.com!10x"),
    ("dmarc", "v=DMARC1; p=reject; adkim=strict"),
    ("dmarc", "v=DMARC1 p=reject"),
    ("dmarc", "v=DMARC2; p=reject"),
    ("dmarc", "p=reject; v=DMARC1"),
    ("dmarc", "v=DMARC1; p=block"),
    // Both parsers reject a bare version; selection (RFC 8461 §3.1, RFC 8460
    // §3: the prefix is "v=STSv1;") discards it before parsing, so
    // `classify` reads it as no record at all (`absent`).
    ("mta_sts", "v=STSv1"),
    ("mta_sts", "v=STSv2; id=1"),
    ("tlsrpt", "v=TLSRPTv1"),
    ("tlsrpt", "v=TLSRPTv1; rua=http://example.com/r"),
    ("tlsrpt", "v=TLSRPTv2; rua=mailto:a@example.com"),
];

#[test]
fn both_reject_broken_records() {
    for (protocol, text) in BOTH_REJECT {
        assert_eq!(
            accepts(protocol, text),
            (false, false),
            "{protocol} {text:?}"
        );
    }
}

#[test]
fn documented_disagreements_hold() {
    let mut wrong = Vec::new();
    for (protocol, text, ours, theirs, why) in DISAGREEMENTS {
        let got = accepts(protocol, text);
        if got != (*ours, *theirs) {
            wrong.push(format!(
                "{protocol} {text:?}: expected ours={ours} mail-auth={theirs}, got {got:?} ({why})"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The policy a receiver applies, `(p, sp, np)` with the RFC defaults filled
/// in (`sp` from `p`, `np` from `sp`), `None` when no DMARC processing applies.
type Applied = (Option<Policy>, Option<Policy>, Option<Policy>);

/// Ours: `classify` of a `_dmarc` RRset holding only `text` (selection, the
/// receiver's reading, RFC 7489 §6.6.3 step 6).
fn our_applied(text: &str) -> Applied {
    let lookup = Lookup::Records(vec![TxtRecord::single(text)]);
    let posture = dmarc::classify("example.com", &lookup, &HashMap::new());
    let sp = posture.sp.or(posture.p);
    (posture.p, sp, posture.np.or(sp))
}

/// mail-auth's: what its parser returns, nothing when it rejects the record.
fn their_applied(text: &str) -> Applied {
    let known = |p: MaPolicy| match p {
        MaPolicy::None => Some(Policy::None),
        MaPolicy::Quarantine => Some(Policy::Quarantine),
        MaPolicy::Reject => Some(Policy::Reject),
        MaPolicy::Unspecified => None,
    };
    match Dmarc::parse(text.as_bytes()) {
        Ok(d) => (known(d.p), known(d.sp), known(d.np)),
        Err(_) => (None, None, None),
    }
}

/// Records whose malformed parts receivers must read past (issue 12).
const MALFORMED: &[&str] = &[
    "v=DMARC1; p=reject; rua=dmarc@x.example",
    "v=DMARC1; p=reject; adkim=relaxed",
    "v=DMARC1; p=rejected",
    "v=DMARC1; p=rejected; rua=mailto:d@example.com",
    "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com",
    "v=DMARC1; p=reject; sp=bogus",
    "v=DMARC1; p=quarantine; pct=150",
    "v=DMARC1; p=reject;; rua=mailto:d@example.com",
];

/// The policy our reading applies and mail-auth's differ on exactly these
/// records (the valid corpus, every DMARC record listed above, and
/// [`MALFORMED`]): `(record, ours, theirs, why)`, comparing `p`. mail-auth
/// 0.13.3 rejects a whole record for one malformed tag and does not apply
/// RFC 7489 §6.6.3 step 6; where they differ the RFC decides, and each row
/// names the section. The test fails if the list is not exactly what is
/// found, so it cannot grow silently.
const APPLIED_DISAGREEMENTS: &[(&str, Option<Policy>, Option<Policy>, &str)] = &[
    (
        "v=DMARC1; rua=mailto:a@example.com",
        Some(Policy::None),
        None,
        "RFC 7489 §6.6.3 step 6 / RFC 9989: no valid p but a valid rua: act as p=none",
    ),
    (
        "v=DMARC1; p=none; p=reject",
        None,
        Some(Policy::Reject),
        "RFC 6376 §3.2 forbids repeated tags; receivers keep the first or the last, so a \
         p repeated with different values applies nothing certain (dropped, then step 6: \
         no rua, no policy); mail-auth keeps the last",
    ),
    (
        " v=DMARC1; p=reject",
        None,
        Some(Policy::Reject),
        "RFC 7489 §6.6.3 steps 2 and 4: not starting with the v tag, the record is \
         discarded; mail-auth skips leading whitespace",
    ),
    (
        "v=DMARC1; p=reject; rua=mailto:a@example.com!10x",
        Some(Policy::Reject),
        None,
        "RFC 7489 §6.3: a syntax error in the remainder is discarded, the valid p applies; \
         mail-auth rejects the record",
    ),
    (
        "v=DMARC1; p=reject; adkim=strict",
        Some(Policy::Reject),
        None,
        "RFC 7489 §6.3: the malformed adkim is dropped on its own; mail-auth rejects the record",
    ),
    (
        "v=DMARC1; p=reject; adkim=relaxed",
        Some(Policy::Reject),
        None,
        "RFC 7489 §6.3: the malformed adkim is dropped on its own; mail-auth rejects the record",
    ),
    (
        "v=DMARC1; p=rejected; rua=mailto:d@example.com",
        Some(Policy::None),
        None,
        "RFC 7489 §6.6.3 step 6 / RFC 9989: invalid p with a valid rua: act as p=none; \
         mail-auth rejects the record",
    ),
    (
        "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com",
        Some(Policy::None),
        None,
        "RFC 7489 §6.6.3 step 6 / RFC 9989: an invalid sp with a valid rua: act as p=none; \
         mail-auth rejects the record",
    ),
];

#[test]
fn applied_policy_disagreements_are_the_documented_ones() {
    let mut records: Vec<String> = corpus("dmarc.txt");
    let listed = DISAGREEMENTS
        .iter()
        .map(|(protocol, text, ..)| (*protocol, *text))
        .chain(BOTH_REJECT.iter().copied())
        .chain(MALFORMED.iter().map(|text| ("dmarc", *text)));
    for (protocol, text) in listed {
        if protocol == "dmarc" && !records.iter().any(|r| r == text) {
            records.push(text.to_owned());
        }
    }
    let mut found = Vec::new();
    for text in &records {
        let (ours, theirs) = (our_applied(text), their_applied(text));
        if ours != theirs {
            println!("applied: {text:?} ours {ours:?} mail-auth {theirs:?}");
            found.push((text.clone(), ours.0, theirs.0));
        }
    }
    let documented: Vec<(String, Option<Policy>, Option<Policy>)> = APPLIED_DISAGREEMENTS
        .iter()
        .map(|(text, ours, theirs, _)| ((*text).to_owned(), *ours, *theirs))
        .collect();
    assert_eq!(found, documented);
    println!(
        "applied policy: {} records, {} documented disagreements",
        records.len(),
        found.len()
    );
}
