//! Findings from plain records, table-driven: each row changes one part of
//! an otherwise quiet domain and names the codes it must (and must not)
//! produce. The evidence goes through `classify_domain` first, as in a scan.

use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use crate::dkim::DkimEvidence;
use crate::dnssec::DnssecEvidence;
use crate::evidence::{Failure, Lookup, MxRecord, Outcome, TlsaRecord, TxtRecord, Validated};

const D: &str = "example.com";

fn txt(records: &[&str]) -> Lookup<TxtRecord> {
    Lookup::from_records(records.iter().map(|r| TxtRecord::single(*r)).collect())
}

fn mx(list: &[(u16, &str)]) -> Lookup<MxRecord> {
    Lookup::from_records(
        list.iter()
            .map(|(preference, exchange)| MxRecord {
                preference: *preference,
                exchange: (*exchange).to_owned(),
            })
            .collect(),
    )
}

fn insecure() -> DnssecEvidence {
    DnssecEvidence {
        ds: Lookup::NoData,
        ds_authenticated: true,
        dnskey: Lookup::NoData,
        dnskey_authenticated: false,
        servfail_confirmation: None,
        checking_disabled_retry: None,
        ds_checking_disabled: None,
        extended_error: None,
    }
}

/// A domain with one MX host, an SPF record that is fine, no DMARC… and the
/// DKIM hint `likely`: the quiet baseline each row changes.
fn base() -> DomainEvidence {
    let mut tlsa = HashMap::new();
    tlsa.insert(
        "mail.example.com".to_owned(),
        Arc::new(Validated::authenticated(Lookup::NoData)),
    );
    DomainEvidence {
        domain: D.to_owned(),
        mx: Some(mx(&[(10, "mail.example.com.")])),
        mx_authenticated: false,
        apex_txt: Some(txt(&["v=spf1 ip4:192.0.2.1 -all"])),
        dmarc: Some(txt(&["v=DMARC1; p=reject"])),
        dnssec: Some(insecure()),
        bimi: Some(Lookup::NoData),
        mta_sts: Some(Lookup::NoData),
        tlsrpt: Some(Lookup::NoData),
        dkim: Some(DkimEvidence {
            domainkey: Outcome::NoData,
            nonexistent: Some(Lookup::NxDomain),
        }),
        tlsa,
        ..DomainEvidence::default()
    }
}

fn run(evidence: &DomainEvidence) -> Vec<Finding> {
    findings(evidence, &crate::classify_domain(evidence))
}

fn labels(found: &[Finding]) -> Vec<&'static str> {
    found.iter().map(|f| f.code.label()).collect()
}

fn targets(list: &[(&str, Lookup<TxtRecord>)]) -> HashMap<String, Arc<Lookup<TxtRecord>>> {
    list.iter()
        .map(|(name, lookup)| ((*name).to_owned(), Arc::new(lookup.clone())))
        .collect()
}

/// A row: what to change, codes that must appear, codes that must not, and
/// words the first finding of the first expected code must contain.
struct Row {
    what: &'static str,
    change: Box<dyn Fn(&mut DomainEvidence)>,
    expect: &'static [&'static str],
    forbid: &'static [&'static str],
    words: &'static [&'static str],
}

fn row(
    what: &'static str,
    change: impl Fn(&mut DomainEvidence) + 'static,
    expect: &'static [&'static str],
    forbid: &'static [&'static str],
    words: &'static [&'static str],
) -> Row {
    Row {
        what,
        change: Box::new(change),
        expect,
        forbid,
        words,
    }
}

#[test]
fn the_baseline_only_says_dnssec_is_missing() {
    assert_eq!(labels(&run(&base())), ["dnssec_insecure"]);
}

/// Each rule of the findings, against the RFC section its code cites.
#[test]
fn findings_table() {
    let rows = vec![
        // RFC 7208 §5.1: `+all` always matches, with a pass.
        row(
            "+all",
            |e| e.apex_txt = Some(txt(&["v=spf1 +all"])),
            &["spf_plus_all"],
            &["spf_absent"],
            &["`+all`", "every host"],
        ),
        // RFC 7208 §8.2: neutral is treated like none.
        row(
            "?all",
            |e| e.apex_txt = Some(txt(&["v=spf1 ip4:192.0.2.1 ?all"])),
            &["spf_neutral_all"],
            &["spf_plus_all"],
            &["`?all`"],
        ),
        // RFC 7208 §6.1: the qualifier reached through a redirect.
        row(
            "+all through a redirect",
            |e| {
                e.apex_txt = Some(txt(&["v=spf1 redirect=_spf.example.net"]));
                e.spf_targets = targets(&[("_spf.example.net", txt(&["v=spf1 +all"]))]);
            },
            &["spf_plus_all"],
            &[],
            &["through its redirect"],
        ),
        // RFC 7208 §4.7: no all, no redirect: neutral.
        row(
            "no all",
            |e| e.apex_txt = Some(txt(&["v=spf1 ip4:192.0.2.1"])),
            &["spf_no_all"],
            &[],
            &[],
        ),
        // RFC 7208 §5.5.
        row(
            "ptr",
            |e| e.apex_txt = Some(txt(&["v=spf1 ptr -all"])),
            &["spf_ptr"],
            &[],
            &[],
        ),
        // RFC 7208 §4.6.4: void lookups over 2, each named.
        row(
            "void lookups",
            |e| {
                e.apex_txt = Some(txt(&[
                    "v=spf1 a:n1.example a:n2.example mx:n3.example -all",
                ]));
                e.spf_a = [
                    ("n1.example".to_owned(), Outcome::NxDomain),
                    ("n2.example".to_owned(), Outcome::NoData),
                ]
                .into();
                e.spf_mx = [("n3.example".to_owned(), Arc::new(Lookup::NxDomain))].into();
            },
            &["spf_void_limit"],
            &["spf_lookup_limit"],
            &[
                "3 void lookups",
                "A n1.example: nxdomain",
                "A n2.example: nodata",
                "MX n3.example",
            ],
        ),
        // RFC 7208 §4.5: two records.
        row(
            "two SPF records",
            |e| e.apex_txt = Some(txt(&["v=spf1 -all", "v=spf1 ~all"])),
            &["spf_multiple"],
            &["spf_absent"],
            &["2 SPF records"],
        ),
        // RFC 7208 §4.6: a syntax error.
        row(
            "syntax",
            |e| e.apex_txt = Some(txt(&["v=spf1 ip4:999.1.1.1 -all"])),
            &["spf_syntax"],
            &[],
            &[],
        ),
        // RFC 7208 §5.2: an include target without SPF.
        row(
            "include without SPF",
            |e| {
                e.apex_txt = Some(txt(&["v=spf1 include:gone.example -all"]));
                e.spf_targets = targets(&[("gone.example", Lookup::NxDomain)]);
            },
            &["spf_target_broken"],
            &[],
            &["include:gone.example has no SPF record (nxdomain)"],
        ),
        // RFC 7208 §4.5: look-alikes discarded, not an invalid record.
        row(
            "SPF look-alike",
            |e| e.apex_txt = Some(txt(&[" v=spf1 -all", "google-site-verification=x"])),
            &["spf_lookalike"],
            &["spf_absent", "spf_syntax"],
            &["\" v=spf1 -all\""],
        ),
        row(
            "no SPF",
            |e| e.apex_txt = Some(Lookup::NoData),
            &["spf_absent"],
            &["spf_unresolved"],
            &[],
        ),
        // RFC 7208 §4.4: a failure is temperror, not "no record".
        row(
            "SPF lookup failed",
            |e| e.apex_txt = Some(Lookup::Failed(Failure::Timeout)),
            &["spf_unresolved"],
            &["spf_absent"],
            &["could not be obtained (timeout)"],
        ),
        row(
            "include target failed",
            |e| {
                e.apex_txt = Some(txt(&["v=spf1 include:slow.example -all"]));
                e.spf_targets = targets(&[("slow.example", Lookup::Failed(Failure::ServFail))]);
            },
            &["spf_unresolved"],
            &["spf_target_broken", "spf_absent"],
            &["slow.example"],
        ),
        // RFC 7489 §6.3: p=none with rua is monitoring; say the next step.
        row(
            "DMARC phased rollout",
            |e| e.dmarc = Some(txt(&["v=DMARC1; p=none; rua=mailto:d@example.com"])),
            &["dmarc_monitoring"],
            &["dmarc_none_without_rua"],
            &["monitoring", "mailto:d@example.com"],
        ),
        row(
            "DMARC p=none without rua",
            |e| e.dmarc = Some(txt(&["v=DMARC1; p=none"])),
            &["dmarc_none_without_rua"],
            &["dmarc_monitoring"],
            &[],
        ),
        // RFC 7489 §6.6.4.
        row(
            "pct below 100",
            |e| e.dmarc = Some(txt(&["v=DMARC1; p=quarantine; pct=25"])),
            &["dmarc_pct_partial", "dmarc_removed_tag"],
            &[],
            &["pct=25", "p=quarantine"],
        ),
        // RFC 7489 §7.1: an external destination that did not authorise.
        row(
            "rua not authorised",
            |e| {
                e.dmarc = Some(txt(&[
                    "v=DMARC1; p=reject; rua=mailto:d@reports.example.net",
                ]));
                e.dmarc_authorizations = [(
                    "example.com._report._dmarc.reports.example.net".to_owned(),
                    Lookup::NxDomain,
                )]
                .into();
            },
            &["dmarc_rua_unauthorized"],
            &["dmarc_rua_unverified"],
            &[
                "reports.example.net",
                "example.com._report._dmarc.reports.example.net",
            ],
        ),
        row(
            "rua authorisation failed",
            |e| {
                e.dmarc = Some(txt(&[
                    "v=DMARC1; p=reject; rua=mailto:d@reports.example.net",
                ]));
                e.dmarc_authorizations = [(
                    "example.com._report._dmarc.reports.example.net".to_owned(),
                    Lookup::Failed(Failure::Timeout),
                )]
                .into();
            },
            &["dmarc_rua_unverified"],
            &["dmarc_rua_unauthorized"],
            &["timeout"],
        ),
        // RFC 7489 §6.3: a malformed tag is dropped alone; p still applies.
        row(
            "malformed tag",
            |e| e.dmarc = Some(txt(&["v=DMARC1; p=quarantine; adkim=relaxed"])),
            &["dmarc_malformed_tag"],
            &["dmarc_no_policy"],
            &["adkim", "relaxed", "apply p=quarantine"],
        ),
        row(
            "bare rua",
            |e| e.dmarc = Some(txt(&["v=DMARC1; p=reject; rua=dmarc@example.com"])),
            &["dmarc_malformed_tag"],
            &[],
            &["apply p=reject"],
        ),
        // RFC 7489 §6.6.3 step 6: no valid p and no valid rua.
        row(
            "no policy",
            |e| e.dmarc = Some(txt(&["v=DMARC1; p=rejected"])),
            &["dmarc_malformed_tag", "dmarc_no_policy"],
            &[],
            &["no policy at all"],
        ),
        // RFC 7489 §6.6.3: look-alikes are discarded.
        row(
            "DMARC look-alikes",
            |e| e.dmarc = Some(txt(&["v=spf1 -all", "p=reject; v=DMARC1"])),
            &["dmarc_lookalike"],
            &["dmarc_absent", "dmarc_malformed_tag"],
            &["2 TXT records", "\"p=reject; v=DMARC1\""],
        ),
        // RFC 7489 §6.6.3 step 5.
        row(
            "two DMARC records",
            |e| e.dmarc = Some(txt(&["v=DMARC1; p=none", "v=DMARC1; p=reject"])),
            &["dmarc_multiple"],
            &["dmarc_monitoring"],
            &["2 v=DMARC1 records"],
        ),
        row(
            "DMARC lookup failed",
            |e| e.dmarc = Some(Lookup::Failed(Failure::ServFail)),
            &["dmarc_unresolved"],
            &["dmarc_absent"],
            &["servfail"],
        ),
        row(
            "weaker sp, test mode",
            |e| e.dmarc = Some(txt(&["v=DMARC1; p=reject; sp=none; t=y"])),
            &["dmarc_sp_weaker", "dmarc_test_mode"],
            &[],
            &["sp=none"],
        ),
        // RFC 7505 §4 and M3AAWG: a null MX alone is not a parked domain.
        row(
            "null MX not parked",
            |e| {
                e.mx = Some(mx(&[(0, ".")]));
                e.dmarc = Some(txt(&["v=DMARC1; p=none"]));
            },
            &["nomail_not_parked"],
            &["dkim_absent"],
            &["null MX", "p=none, not p=reject"],
        ),
        row(
            "parked",
            |e| {
                e.mx = Some(mx(&[(0, ".")]));
                e.apex_txt = Some(txt(&["v=spf1 -all"]));
            },
            &[],
            &["nomail_not_parked", "dmarc_absent"],
            &[],
        ),
        // RFC 7505 §3.
        row(
            "null MX beside others",
            |e| e.mx = Some(mx(&[(0, "."), (10, "mail.example.com.")])),
            &["mx_null_mixed"],
            &["nomail_not_parked"],
            &[],
        ),
        row(
            "no MX",
            |e| e.mx = Some(Lookup::NoData),
            &["mx_absent"],
            &["mx_unresolved"],
            &[],
        ),
        row(
            "MX failed",
            |e| e.mx = Some(Lookup::Failed(Failure::Refused)),
            &["mx_unresolved"],
            &["mx_absent"],
            &["refused"],
        ),
        // RFC 4035 §5.5, reason from RFC 8914 (7 = Signature Expired).
        row(
            "bogus",
            |e| {
                e.dnssec = Some(DnssecEvidence {
                    ds: Lookup::Records(vec![13]),
                    ds_authenticated: true,
                    dnskey: Lookup::Failed(Failure::ServFail),
                    dnskey_authenticated: false,
                    servfail_confirmation: Some(Outcome::Failed(Failure::ServFail)),
                    checking_disabled_retry: Some(Outcome::Answer),
                    ds_checking_disabled: None,
                    extended_error: Some(7),
                });
            },
            &["dnssec_bogus"],
            &["dnssec_insecure", "dnssec_unresolved"],
            &["signature_expired"],
        ),
        // RFC 7672 §2.2: TLSA without DNSSEC is as good as none.
        row(
            "TLSA without DNSSEC",
            |e| {
                e.tlsa.insert(
                    "mail.example.com".to_owned(),
                    Arc::new(Validated::unvalidated(Lookup::Records(vec![TlsaRecord {
                        usage: 3,
                        selector: 1,
                        matching_type: 1,
                        data: vec![0xab; 32],
                    }]))),
                );
            },
            &["dane_tlsa_unsigned", "dane_mx_insecure"],
            &[],
            &["mail.example.com", "without DNSSEC"],
        ),
        // RFC 7672 §3.1: PKIX usages are unusable for SMTP.
        row(
            "PKIX TLSA",
            |e| {
                e.mx_authenticated = true;
                e.tlsa.insert(
                    "mail.example.com".to_owned(),
                    Arc::new(Validated::authenticated(Lookup::Records(vec![
                        TlsaRecord {
                            usage: 1,
                            selector: 1,
                            matching_type: 1,
                            data: vec![0xab; 32],
                        },
                    ]))),
                );
            },
            &["dane_tlsa_unusable"],
            &["dane_tlsa_unsigned", "dane_mx_insecure"],
            &[],
        ),
        row(
            "legacy Outlook MX",
            |e| {
                let host = "example-com.mail.protection.outlook.com";
                e.mx = Some(mx(&[(0, host)]));
                e.tlsa = [(
                    host.to_owned(),
                    Arc::new(Validated::unvalidated(Lookup::NxDomain)),
                )]
                .into();
            },
            &["dane_legacy_outlook_mx"],
            &[],
            &["example-com.mail.protection.outlook.com"],
        ),
        row(
            "TLSA lookup failed",
            |e| {
                e.tlsa.insert(
                    "mail.example.com".to_owned(),
                    Arc::new(Validated::unvalidated(Lookup::Failed(Failure::Timeout))),
                );
            },
            &["dane_unresolved"],
            &[],
            &[],
        ),
        // RFC 8020 §2 with RFC 9824: the hint says nothing.
        row(
            "DKIM wildcard",
            |e| {
                e.dkim = Some(DkimEvidence {
                    domainkey: Outcome::NoData,
                    nonexistent: Some(Lookup::NoData),
                });
            },
            &["dkim_unknown"],
            &["dkim_absent"],
            &["wildcard"],
        ),
        row(
            "no DKIM",
            |e| {
                e.dkim = Some(DkimEvidence {
                    domainkey: Outcome::NxDomain,
                    nonexistent: None,
                });
            },
            &["dkim_absent"],
            &[],
            &[],
        ),
        row(
            "MTA-STS without TLS-RPT, broken BIMI",
            |e| {
                e.mta_sts = Some(txt(&["v=STSv1; id=2024"]));
                e.bimi = Some(txt(&["v=BIMI1; l=http://example.com/logo.svg"]));
            },
            &["tlsrpt_missing", "bimi_invalid"],
            &[],
            &["MTA-STS"],
        ),
        row(
            "broken MTA-STS and TLS-RPT",
            |e| {
                e.mta_sts = Some(txt(&["v=STSv1; id=bad-id!"]));
                e.tlsrpt = Some(txt(&["v=TLSRPTv1; rua=ftp://x"]));
            },
            &["mta_sts_invalid", "tlsrpt_invalid"],
            &["tlsrpt_missing"],
            &[],
        ),
    ];
    let mut failures = Vec::new();
    for row in rows {
        let mut evidence = base();
        (row.change)(&mut evidence);
        let found = run(&evidence);
        let got = labels(&found);
        for code in row.expect {
            if !got.contains(code) {
                failures.push(format!("{}: {code} missing from {got:?}", row.what));
            }
        }
        for code in row.forbid {
            if got.contains(code) {
                failures.push(format!("{}: {code} unexpected in {got:?}", row.what));
            }
        }
        if let Some(first) = row.expect.first()
            && let Some(finding) = found.iter().find(|f| f.code.label() == *first)
        {
            let text = finding.text();
            for word in row.words {
                if !text.contains(word) {
                    failures.push(format!("{}: {word:?} not in {text:?}", row.what));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn include_tree() -> DomainEvidence {
    let mut e = base();
    e.apex_txt = Some(txt(&["v=spf1 mx include:a.example include:b.example -all"]));
    let five =
        "v=spf1 include:x1.example include:x2.example include:x3.example include:x4.example ~all";
    let mut list = vec![("a.example", txt(&[five])), ("b.example", txt(&[five]))];
    let leaves: Vec<String> = (1..=4).map(|i| format!("x{i}.example")).collect();
    for leaf in &leaves {
        list.push((leaf.as_str(), txt(&["v=spf1 ip4:192.0.2.9 -all"])));
    }
    e.spf_targets = targets(&list);
    e.spf_mx = [(D.to_owned(), Arc::new(mx(&[(10, "mail.example.com.")])))].into();
    e
}

/// RFC 7208 §4.6.4: over the limit, the finding names each branch's count.
#[test]
fn lookup_limit_names_the_lookups_of_each_branch() {
    let evidence = include_tree();
    let posture = crate::classify_domain(&evidence);
    assert_eq!(posture.spf.as_ref().and_then(|s| s.lookups), Some(11));
    let found = findings(&evidence, &posture);
    let limit = found
        .iter()
        .find(|f| f.code == Code::SpfLookupLimit)
        .unwrap_or_else(|| panic!("{:?}", labels(&found)));
    // mx 1 + include:a (1 + 4) + include:b (1 + 4) = 11.
    assert_eq!(
        limit.message,
        "Evaluating the record takes 11 lookups, more than the 10 allowed: mx 1 lookup; \
         include:a.example 5 lookups; include:b.example 5 lookups."
    );
    let (root, voids) = spf_tree(&evidence).unwrap();
    assert!(voids.is_empty());
    assert_eq!((root.lookups, root.partial), (11, false));
    assert_eq!(root.children[1].children.len(), 4);
}

/// A branch the engine did not fetch (past the limit) is a lower bound.
#[test]
fn a_branch_not_looked_up_is_counted_as_at_least() {
    let mut evidence = include_tree();
    evidence.spf_targets.remove("x4.example");
    let (root, _) = spf_tree(&evidence).unwrap();
    assert!(root.partial);
    assert_eq!(root.children[1].state, BranchState::Record("v=spf1 include:x1.example include:x2.example include:x3.example include:x4.example ~all".into()));
    assert_eq!(root.children[1].children[3].state, BranchState::NotLookedUp);
    let found = run(&evidence);
    let limit = found
        .iter()
        .find(|f| f.code == Code::SpfLookupLimit)
        .unwrap();
    assert!(
        limit
            .message
            .contains("include:a.example at least 5 lookups"),
        "{}",
        limit.message
    );
}

#[test]
fn a_domain_that_does_not_exist_has_one_finding() {
    let mut evidence = base();
    evidence.mx = Some(Lookup::NxDomain);
    assert_eq!(labels(&run(&evidence)), ["domain_nxdomain"]);
}

/// DESIGN.md: a lame domain is `error` everywhere; the findings say the
/// answers could not be obtained, never that records are missing.
#[test]
fn a_lame_domain_is_unresolved_never_absent() {
    let evidence = DomainEvidence {
        domain: D.to_owned(),
        mx: Some(Lookup::Failed(Failure::ServFail)),
        apex_txt: Some(Lookup::Failed(Failure::ServFail)),
        dmarc: Some(Lookup::Failed(Failure::ServFail)),
        dnssec: Some(DnssecEvidence {
            dnskey: Lookup::Failed(Failure::ServFail),
            ..insecure()
        }),
        bimi: Some(Lookup::Failed(Failure::ServFail)),
        mta_sts: Some(Lookup::Failed(Failure::ServFail)),
        tlsrpt: Some(Lookup::Failed(Failure::ServFail)),
        dkim: Some(DkimEvidence {
            domainkey: Outcome::Failed(Failure::ServFail),
            nonexistent: None,
        }),
        ..DomainEvidence::default()
    };
    let found = run(&evidence);
    let got = labels(&found);
    assert_eq!(got[0], "domain_unresolved");
    for f in &found {
        assert!(
            f.severity() == Severity::Unknown,
            "{}: {:?}",
            f.code.label(),
            f.severity()
        );
        assert!(!f.text().contains("publishes no"), "{}", f.text());
    }
    for code in [
        "mx_unresolved",
        "spf_unresolved",
        "dmarc_unresolved",
        "dnssec_unresolved",
    ] {
        assert!(got.contains(&code), "{code} missing from {got:?}");
    }
}

#[test]
fn findings_come_in_section_order() {
    let mut evidence = base();
    evidence.apex_txt = Some(txt(&["v=spf1 +all"]));
    evidence.dmarc = Some(txt(&["v=DMARC1; p=none"]));
    evidence.mx = Some(mx(&[(0, ".")]));
    let found = run(&evidence);
    let protocols: Vec<Protocol> = found.iter().map(Finding::protocol).collect();
    let mut sorted = protocols.clone();
    sorted.sort();
    assert_eq!(protocols, sorted);
}

#[test]
fn codes_are_unique_snake_case_and_cite_a_section() {
    let mut seen = std::collections::HashSet::new();
    for code in Code::ALL {
        let label = code.label();
        assert!(seen.insert(label), "{label} twice");
        assert!(
            label.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{label}"
        );
        assert!(
            label.starts_with(code.protocol().label()) || code.protocol() == Protocol::Mx,
            "{label}"
        );
        assert!(code.rfc().contains('§'), "{label}: {}", code.rfc());
    }
}

/// A message quotes at most 100 characters of a published record: a 4 kB
/// look-alike leaves a sentence, not the record (the row keeps it whole).
#[test]
fn messages_quote_records_cut_short() {
    let mut evidence = base();
    let long = format!("v=DMARC2; {}", "x".repeat(4000));
    evidence.dmarc = Some(txt(&[&long]));
    let found = run(&evidence);
    let lookalike = found
        .iter()
        .find(|f| f.code == Code::DmarcLookalike)
        .unwrap();
    assert!(
        lookalike.message.contains("\"v=DMARC2; xxx"),
        "{}",
        lookalike.message
    );
    assert!(lookalike.message.contains("x…\""), "{}", lookalike.message);
    assert!(lookalike.message.len() < 300, "{}", lookalike.message.len());
}
