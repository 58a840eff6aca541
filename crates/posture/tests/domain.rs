//! `classify_domain` end to end: whole domains, every probe, the contract's
//! cross-column rules (DESIGN.md "Decisions that follow from it").

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

use std::collections::HashMap;
use std::sync::Arc;

use mailcensus_posture::bimi::BimiStatus;
use mailcensus_posture::dkim::{DkimEvidence, DkimStatus};
use mailcensus_posture::dmarc::Policy;
use mailcensus_posture::dnssec::{DnssecEvidence, DnssecStatus};
use mailcensus_posture::mx::MxStatus;
use mailcensus_posture::spf::AllQualifier;
use mailcensus_posture::{
    DomainEvidence, Failure, Lookup, MxRecord, Outcome, Posture, Resolution, Status, TlsaRecord,
    TxtRecord, Validated, classify_domain,
};

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

fn dnssec_secure() -> DnssecEvidence {
    DnssecEvidence {
        ds: Lookup::Records(vec![13]),
        ds_authenticated: true,
        dnskey: Lookup::Records(vec![13, 13]),
        dnskey_authenticated: true,
        servfail_confirmation: None,
        checking_disabled_retry: None,
        ds_checking_disabled: None,
        extended_error: None,
    }
}

fn dnssec_unsigned() -> DnssecEvidence {
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

/// DKIM evidence as the engine gathers it: the name that cannot exist below
/// `_domainkey.<d>` is asked only after a NOERROR, and here it is NXDOMAIN.
fn dkim(domainkey: Outcome) -> DkimEvidence {
    DkimEvidence {
        domainkey,
        nonexistent: matches!(domainkey, Outcome::Answer | Outcome::NoData)
            .then_some(Lookup::NxDomain),
    }
}

/// Every probe selected, everything published and well-formed.
fn full_domain() -> DomainEvidence {
    let mut tlsa = HashMap::new();
    tlsa.insert(
        "mx1.example.be".to_owned(),
        Arc::new(Validated::authenticated(Lookup::Records(vec![
            TlsaRecord {
                usage: 3,
                selector: 1,
                matching_type: 1,
                data: vec![7; 32],
            },
        ]))),
    );
    let mut spf_targets = HashMap::new();
    spf_targets.insert(
        "_spf.provider.example".to_owned(),
        Arc::new(txt(&["v=spf1 ip4:192.0.2.0/24 -all"])),
    );
    let mut dmarc_authorizations = HashMap::new();
    dmarc_authorizations.insert(
        "example.be._report._dmarc.reports.example.net".to_owned(),
        txt(&["v=DMARC1"]),
    );
    DomainEvidence {
        domain: "example.be".into(),
        mx: Some(mx(&[(10, "MX1.example.be.")])),
        mx_authenticated: true,
        apex_txt: Some(txt(&[
            "google-site-verification=abc",
            "v=spf1 include:_spf.provider.example -all",
        ])),
        spf_targets,
        dmarc: Some(txt(&[
            "v=DMARC1; p=quarantine; rua=mailto:agg@reports.example.net",
        ])),
        dmarc_authorizations,
        dnssec: Some(dnssec_secure()),
        bimi: Some(txt(&["v=BIMI1; l=https://example.be/logo.svg; a=;"])),
        mta_sts: Some(txt(&["v=STSv1; id=2024010101"])),
        tlsrpt: Some(txt(&["v=TLSRPTv1; rua=mailto:tls@example.be"])),
        dkim: Some(dkim(Outcome::NoData)),
        tlsa,
        dane_skipped: false,
        ..DomainEvidence::default()
    }
}

#[test]
fn fully_published_domain() {
    let p = classify_domain(&full_domain());
    assert_eq!(p.resolution, Resolution::Ok);
    let mx = p.mx.unwrap();
    assert_eq!(mx.status, MxStatus::Present);
    assert_eq!(mx.hosts, vec!["mx1.example.be"]);
    let spf = p.spf.unwrap();
    assert_eq!(spf.status, Status::Valid, "{spf:?}");
    assert_eq!(spf.all, Some(AllQualifier::Fail));
    let dmarc = p.dmarc.unwrap();
    assert_eq!(dmarc.status, Status::Valid);
    assert_eq!(dmarc.p, Some(Policy::Quarantine));
    assert_eq!(dmarc.rua_authorized, Some(true));
    let dnssec = p.dnssec.unwrap();
    assert_eq!(dnssec.status, DnssecStatus::Secure);
    assert_eq!(dnssec.algorithms, vec![13]);
    assert_eq!(p.bimi.unwrap().status, BimiStatus::Valid);
    assert_eq!(p.mta_sts, Some(Status::Valid));
    assert_eq!(p.tlsrpt, Some(Status::Valid));
    assert_eq!(p.dkim, Some(DkimStatus::Likely));
    assert_eq!(p.dane, Some(Status::Valid));
    assert!(!p.parked);
}

/// RFC 8020 §2: NXDOMAIN at the apex means nothing below exists either.
#[test]
fn nxdomain_apex_makes_every_probe_absent() {
    let evidence = DomainEvidence {
        domain: "gone.be".into(),
        mx: Some(Lookup::NxDomain),
        apex_txt: Some(Lookup::NxDomain),
        dmarc: Some(Lookup::NxDomain),
        dnssec: Some(DnssecEvidence {
            ds: Lookup::NxDomain,
            ds_authenticated: true,
            dnskey: Lookup::NxDomain,
            dnskey_authenticated: false,
            servfail_confirmation: None,
            checking_disabled_retry: None,
            ds_checking_disabled: None,
            extended_error: None,
        }),
        bimi: Some(Lookup::NxDomain),
        mta_sts: Some(Lookup::NxDomain),
        tlsrpt: Some(Lookup::NxDomain),
        dkim: Some(dkim(Outcome::NxDomain)),
        ..DomainEvidence::default()
    };
    let p = classify_domain(&evidence);
    assert_eq!(p.resolution, Resolution::NxDomain);
    assert_eq!(p.mx.unwrap().status, MxStatus::Absent);
    assert_eq!(p.spf.unwrap().status, Status::Absent);
    assert_eq!(p.dmarc.unwrap().status, Status::Absent);
    assert_eq!(p.dnssec.unwrap().status, DnssecStatus::Insecure);
    assert_eq!(p.bimi.unwrap().status, BimiStatus::Absent);
    assert_eq!(p.mta_sts, Some(Status::Absent));
    assert_eq!(p.tlsrpt, Some(Status::Absent));
    assert_eq!(p.dkim, Some(DkimStatus::Absent));
    assert_eq!(p.dane, Some(Status::Absent));
    assert!(!p.parked);
}

fn lame(failure: Failure) -> DomainEvidence {
    fn failed<T>(failure: Failure) -> Option<Lookup<T>> {
        Some(Lookup::Failed(failure))
    }
    DomainEvidence {
        domain: "lame.be".into(),
        mx: failed(failure),
        apex_txt: failed(failure),
        dmarc: failed(failure),
        // The parent answers DS (NODATA); the child's servers answer nothing.
        dnssec: Some(DnssecEvidence {
            ds: Lookup::NoData,
            ds_authenticated: true,
            dnskey: Lookup::Failed(failure),
            dnskey_authenticated: false,
            servfail_confirmation: Some(Outcome::Failed(failure)),
            checking_disabled_retry: Some(Outcome::Failed(failure)),
            ds_checking_disabled: None,
            extended_error: None,
        }),
        bimi: failed(failure),
        mta_sts: failed(failure),
        tlsrpt: failed(failure),
        dkim: Some(dkim(Outcome::Failed(failure))),
        ..DomainEvidence::default()
    }
}

fn assert_every_column_error(p: &Posture) {
    assert_eq!(p.resolution, Resolution::Error);
    assert_eq!(p.mx.as_ref().unwrap().status, MxStatus::Error);
    assert_eq!(p.spf.as_ref().unwrap().status, Status::Error);
    assert_eq!(p.dmarc.as_ref().unwrap().status, Status::Error);
    assert_eq!(p.bimi.as_ref().unwrap().status, BimiStatus::Error);
    assert_eq!(p.mta_sts, Some(Status::Error));
    assert_eq!(p.tlsrpt, Some(Status::Error));
    assert_eq!(p.dkim, Some(DkimStatus::Error));
    assert_eq!(p.dane, Some(Status::Error));
    assert!(!p.parked);
}

/// DESIGN.md: a lame delegation is `error` in every status column, DNSSEC
/// included, though the parent answered DS. Regression: the lead's first
/// `classify_domain` set `resolution = error` but left `dnssec_status =
/// insecure` from the parent's NODATA.
#[test]
fn lame_delegation_is_error_in_every_column_dnssec_included() {
    for failure in [Failure::Timeout, Failure::ServFail, Failure::Refused] {
        let p = classify_domain(&lame(failure));
        assert_every_column_error(&p);
        let dnssec = p.dnssec.as_ref().unwrap();
        assert_eq!(dnssec.status, DnssecStatus::Error, "{failure:?}");
        // DESIGN.md: `dnssec_reason` is filled for every `error` row.
        assert_eq!(dnssec.reason.as_deref(), Some("unspecified"), "{failure:?}");
    }
    let mut evidence = lame(Failure::ServFail);
    if let Some(dnssec) = evidence.dnssec.as_mut() {
        dnssec.extended_error = Some(22);
    }
    let p = classify_domain(&evidence);
    assert_eq!(
        p.dnssec.unwrap().reason.as_deref(),
        Some("no_reachable_authority"),
        "RFC 8914 §4.23"
    );
}

/// DESIGN.md: a bogus domain stays `bogus` whatever its other probes got.
#[test]
fn bogus_domain_stays_bogus_when_everything_else_fails() {
    let mut evidence = lame(Failure::ServFail);
    evidence.dnssec = Some(DnssecEvidence {
        ds: Lookup::Records(vec![8]),
        ds_authenticated: true,
        dnskey: Lookup::Failed(Failure::ServFail),
        dnskey_authenticated: false,
        servfail_confirmation: Some(Outcome::Failed(Failure::ServFail)),
        checking_disabled_retry: Some(Outcome::Answer),
        ds_checking_disabled: None,
        extended_error: Some(9),
    });
    let p = classify_domain(&evidence);
    assert_every_column_error(&p);
    let dnssec = p.dnssec.unwrap();
    assert_eq!(dnssec.status, DnssecStatus::Bogus);
    assert_eq!(dnssec.reason.as_deref(), Some("dnskey_missing"));
}

/// One probe answering is enough for `resolution = ok`.
#[test]
fn one_answer_means_resolution_ok() {
    let mut evidence = lame(Failure::Timeout);
    evidence.dkim = Some(dkim(Outcome::NxDomain));
    let p = classify_domain(&evidence);
    assert_eq!(p.resolution, Resolution::Ok);
    assert_eq!(p.dkim, Some(DkimStatus::Absent));
    assert_eq!(p.dnssec.unwrap().status, DnssecStatus::Insecure);
}

fn parked_domain() -> DomainEvidence {
    DomainEvidence {
        domain: "parked.be".into(),
        mx: Some(mx(&[(0, ".")])),
        apex_txt: Some(txt(&["v=spf1 -all"])),
        dmarc: Some(txt(&["v=DMARC1; p=reject;"])),
        dnssec: Some(dnssec_unsigned()),
        bimi: Some(Lookup::NxDomain),
        mta_sts: Some(Lookup::NxDomain),
        tlsrpt: Some(Lookup::NxDomain),
        dkim: Some(dkim(Outcome::NxDomain)),
        ..DomainEvidence::default()
    }
}

/// RFC 7505 §4 + M3AAWG parked-domain advice.
#[test]
fn parked_domain_table() {
    let p = classify_domain(&parked_domain());
    assert!(p.parked);
    assert_eq!(p.mx.unwrap().status, MxStatus::NullMx);
    assert_eq!(p.dane, Some(Status::Absent));

    // DESIGN.md: `parked` reads the policy receivers apply; a malformed tag
    // beside p=reject leaves it (RFC 7489 §6.3).
    let mut malformed = parked_domain();
    malformed.dmarc = Some(txt(&["v=DMARC1; p=reject; rua=dmarc@parked.be"]));
    let p = classify_domain(&malformed);
    assert_eq!(p.dmarc.as_ref().unwrap().status, Status::Invalid);
    assert!(p.parked, "applied p=reject");

    let mut spaced = parked_domain();
    spaced.apex_txt = Some(txt(&["V=SPF1   -ALL"]));
    assert!(
        classify_domain(&spaced).parked,
        "RFC 7208 §4.6.1: terms split by 1*SP"
    );

    type Change = Box<dyn Fn(&mut DomainEvidence)>;
    let variants: Vec<(&str, Change)> = vec![
        (
            "ordinary MX",
            Box::new(|e| e.mx = Some(mx(&[(10, "mx.parked.be")]))),
        ),
        (
            "softfail",
            Box::new(|e| e.apex_txt = Some(txt(&["v=spf1 ~all"]))),
        ),
        (
            "SPF with a mechanism",
            Box::new(|e| e.apex_txt = Some(txt(&["v=spf1 a -all"]))),
        ),
        (
            "quarantine",
            Box::new(|e| e.dmarc = Some(txt(&["v=DMARC1; p=quarantine"]))),
        ),
        (
            "two DMARC records apply no policy (RFC 7489 §6.6.3 step 5)",
            Box::new(|e| e.dmarc = Some(txt(&["v=DMARC1; p=reject", "v=DMARC1; p=reject"]))),
        ),
        (
            "invalid sp without rua applies no policy (RFC 7489 §6.6.3 step 6)",
            Box::new(|e| e.dmarc = Some(txt(&["v=DMARC1; p=reject; sp=bogus"]))),
        ),
        ("no DMARC", Box::new(|e| e.dmarc = Some(Lookup::NxDomain))),
        ("DMARC deselected", Box::new(|e| e.dmarc = None)),
    ];
    for (name, change) in variants {
        let mut evidence = parked_domain();
        change(&mut evidence);
        assert!(!classify_domain(&evidence).parked, "{name}");
    }
}

/// `--probes`: a deselected probe is `None`, never a status.
#[test]
fn deselected_probes_stay_none() {
    let evidence = DomainEvidence {
        domain: "only-dmarc.be".into(),
        dmarc: Some(txt(&["v=DMARC1; p=none"])),
        ..DomainEvidence::default()
    };
    let p = classify_domain(&evidence);
    assert_eq!(p.resolution, Resolution::Ok);
    assert_eq!(p.dmarc.unwrap().status, Status::Valid);
    assert!(p.mx.is_none() && p.spf.is_none() && p.dnssec.is_none());
    assert!(p.bimi.is_none() && p.mta_sts.is_none() && p.tlsrpt.is_none());
    assert!(p.dkim.is_none() && p.dane.is_none());

    // With MX deselected, the apex TXT decides NXDOMAIN.
    let evidence = DomainEvidence {
        domain: "gone.be".into(),
        apex_txt: Some(Lookup::NxDomain),
        dmarc: Some(Lookup::NxDomain),
        ..DomainEvidence::default()
    };
    let p = classify_domain(&evidence);
    assert_eq!(p.resolution, Resolution::NxDomain);
    assert!(p.mx.is_none() && p.dane.is_none());
    assert_eq!(p.spf.unwrap().status, Status::Absent);

    // DANE deselected while MX ran: no TLSA was asked, so no dane_status.
    // Regression: `dane_status` was `error` for every domain with MX.
    let mut evidence = full_domain();
    evidence.tlsa.clear();
    evidence.dane_skipped = true;
    let p = classify_domain(&evidence);
    assert_eq!(p.dane, None);
    assert_eq!(p.mx.unwrap().status, MxStatus::Present);
    let mut evidence = full_domain();
    evidence.tlsa.clear();
    assert_eq!(classify_domain(&evidence).dane, Some(Status::Error));

    // Nothing selected at all: nothing to say, and not an error.
    let p = classify_domain(&DomainEvidence::default());
    assert_eq!(p.resolution, Resolution::Ok);
}

/// DESIGN.md: look-alikes are discarded as receivers discard them: at the
/// apex they are not SPF (RFC 7208 §4.5), at `_dmarc` not DMARC (RFC 7489
/// §6.6.3); with nothing left the status is `absent` and the error names
/// what was discarded.
#[test]
fn look_alike_records() {
    let mut evidence = parked_domain();
    evidence.apex_txt = Some(txt(&["v=spf10 -all", " v=spf1 -all"]));
    evidence.dmarc = Some(txt(&[" v=DMARC1; p=reject"]));
    let p = classify_domain(&evidence);
    assert_eq!(p.spf.unwrap().status, Status::Absent);
    let dmarc = p.dmarc.unwrap();
    assert_eq!(dmarc.status, Status::Absent);
    assert_eq!(dmarc.p, None);
    assert_eq!(dmarc.record, None);
    assert!(
        dmarc
            .error
            .as_deref()
            .is_some_and(|e| e.contains("\" v=DMARC1; p=reject\"")),
        "{:?}",
        dmarc.error
    );
    assert!(!p.parked);

    // A wildcard's SPF record answering at `_dmarc` is not a DMARC record,
    // and a verification token beside the real record does not hide it.
    let mut evidence = parked_domain();
    evidence.dmarc = Some(txt(&["v=spf1 -all"]));
    assert_eq!(
        classify_domain(&evidence).dmarc.unwrap().status,
        Status::Absent
    );
    evidence.dmarc = Some(txt(&["google-site-verification=x", "v=DMARC1; p=reject"]));
    let p = classify_domain(&evidence);
    assert_eq!(p.dmarc.as_ref().unwrap().status, Status::Valid);
    assert!(p.parked);
}

/// DESIGN.md: a failure in the evidence is never `absent`.
#[test]
fn failures_are_never_absent() {
    let mut evidence = full_domain();
    evidence.mx = Some(Lookup::Failed(Failure::Timeout));
    evidence.bimi = Some(Lookup::Failed(Failure::Malformed));
    evidence.dkim = Some(dkim(Outcome::Failed(Failure::OtherRcode(4))));
    let p = classify_domain(&evidence);
    assert_eq!(p.resolution, Resolution::Ok);
    assert_eq!(p.mx.unwrap().status, MxStatus::Error);
    assert_eq!(p.dane, Some(Status::Error));
    assert_eq!(p.bimi.unwrap().status, BimiStatus::Error);
    assert_eq!(p.dkim, Some(DkimStatus::Error));
}

/// RFC 6698 §4.1, RFC 7672 §2.2 and §2.2.1 end to end: TLSA the resolver did
/// not validate, or behind an MX RRset it did not validate, is published but
/// not usable (`invalid`), never `valid`. Regression for issue 12: the
/// sample report showed DANE 15.2% beside DNSSEC secure 2.6%.
#[test]
fn dane_needs_validated_tlsa_and_mx() {
    let unsigned_tlsa = |e: &mut DomainEvidence| {
        for tlsa in e.tlsa.values_mut() {
            *tlsa = Arc::new(Validated::unvalidated(tlsa.lookup.clone()));
        }
    };
    let insecure_mx = |e: &mut DomainEvidence| e.mx_authenticated = false;
    type Change = Box<dyn Fn(&mut DomainEvidence)>;
    let cases: Vec<(&str, Change, Status)> = vec![
        ("all validated", Box::new(|_| {}), Status::Valid),
        ("unsigned TLSA", Box::new(unsigned_tlsa), Status::Invalid),
        ("insecure MX RRset", Box::new(insecure_mx), Status::Invalid),
    ];
    for (name, change, want) in cases {
        let mut evidence = full_domain();
        change(&mut evidence);
        assert_eq!(classify_domain(&evidence).dane, Some(want), "{name}");
    }
}

/// DESIGN.md probe plan "dkim" (RFC 8020 §2, RFC 9824): a zone that answers
/// NOERROR below `_domainkey.<d>` for a name that cannot exist makes the
/// hint `unknown`. Regression for issue 12: every wildcard parked domain
/// read `likely`.
#[test]
fn dkim_hint_checks_a_name_that_cannot_exist() {
    let with = |domainkey, nonexistent| {
        let mut evidence = parked_domain();
        evidence.dkim = Some(DkimEvidence {
            domainkey,
            nonexistent,
        });
        classify_domain(&evidence).dkim
    };
    let wildcard = txt(&["v=spf1 -all"]);
    assert_eq!(
        with(Outcome::Answer, Some(wildcard)),
        Some(DkimStatus::Unknown)
    );
    assert_eq!(
        with(Outcome::NoData, Some(Lookup::NoData)),
        Some(DkimStatus::Unknown)
    );
    assert_eq!(
        with(Outcome::NoData, Some(Lookup::NxDomain)),
        Some(DkimStatus::Likely)
    );
    assert_eq!(with(Outcome::NoData, None), Some(DkimStatus::Error));
    assert_eq!(with(Outcome::NxDomain, None), Some(DkimStatus::Absent));
}

/// A domain whose `_domainkey.<d>` answered is not lame, even when every
/// other probe failed and the check below it failed too: the DKIM probe
/// counts by its first query (`every_probe_failed`).
#[test]
fn dkim_answer_alone_means_resolution_ok() {
    let mut evidence = lame(Failure::Timeout);
    evidence.dkim = Some(DkimEvidence {
        domainkey: Outcome::NoData,
        nonexistent: Some(Lookup::Failed(Failure::Timeout)),
    });
    let p = classify_domain(&evidence);
    assert_eq!(p.resolution, Resolution::Ok);
    assert_eq!(p.dkim, Some(DkimStatus::Error));
}

/// DESIGN.md "SPF" (RFC 7208 §4.6.4, §6.1) through `classify_domain`: the
/// `a`/`mx` evidence (`spf_a`, `spf_mx`) counts void lookups, a bare `a`/`mx`
/// targets the domain, and `spf_all` follows the redirect. Regression for
/// issue 12: records whose targets had no A or MX read `valid`.
#[test]
fn spf_reads_a_and_mx_evidence_and_follows_redirect() {
    let mut evidence = parked_domain();
    evidence.apex_txt = Some(txt(&["v=spf1 a mx redirect=_spf.host.example"]));
    evidence.spf_targets.insert(
        "_spf.host.example".into(),
        Arc::new(txt(&["v=spf1 a:gone.example -all"])),
    );
    evidence.spf_a.insert("parked.be".into(), Outcome::NoData);
    evidence
        .spf_a
        .insert("gone.example".into(), Outcome::NxDomain);
    evidence
        .spf_mx
        .insert("parked.be".into(), Arc::new(mx(&[(0, ".")])));
    let spf = classify_domain(&evidence).spf.unwrap();
    assert_eq!(spf.status, Status::Valid, "{spf:?}");
    assert_eq!(
        spf.all,
        Some(AllQualifier::Fail),
        "§6.1: the redirect's -all"
    );
    assert_eq!((spf.lookups, spf.void_lookups), (Some(4), Some(2)));

    evidence
        .spf_mx
        .insert("parked.be".into(), Arc::new(Lookup::NoData));
    let spf = classify_domain(&evidence).spf.unwrap();
    assert_eq!(spf.status, Status::Invalid, "§4.6.4: three void lookups");
    assert_eq!(spf.void_lookups, Some(3));

    evidence.spf_mx.clear();
    let spf = classify_domain(&evidence).spf.unwrap();
    assert_eq!(spf.status, Status::Error, "an mx target not looked up");
    assert!(
        spf.error
            .unwrap()
            .contains("mx target parked.be was not looked up")
    );
}
