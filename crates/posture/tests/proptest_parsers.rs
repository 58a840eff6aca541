//! Property tests: no input panics a parser or classifier, and
//! parse → display → parse is stable wherever a record type has `Display`.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

use std::collections::HashMap;
use std::sync::Arc;

use mailcensus_posture::dkim::{DkimEvidence, DkimStatus};
use mailcensus_posture::dnssec::{self, DnssecEvidence, DnssecStatus};
use mailcensus_posture::mx::{self, MxPosture, MxStatus};
use mailcensus_posture::tags::{self, Syntax};
use mailcensus_posture::{
    Failure, Lookup, MxRecord, Outcome, Status, TlsaRecord, TxtRecord, Validated, bimi, dane, dkim,
    dmarc, mta_sts, tlsrpt,
};
use proptest::prelude::*;

/// Fragments that steer random text towards the grammars' interesting corners.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("v=DMARC1".to_owned()),
        Just("v=BIMI1".to_owned()),
        Just("v=STSv1".to_owned()),
        Just("v=TLSRPTv1".to_owned()),
        Just(";".to_owned()),
        Just(" ".to_owned()),
        Just("=".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("!".to_owned()),
        Just("p=reject".to_owned()),
        Just("pct=".to_owned()),
        Just("rua=mailto:a@b.example".to_owned()),
        Just("l=https://x.example/l.svg".to_owned()),
        Just("id=".to_owned()),
        Just("fo=0:1".to_owned()),
        Just("sp=".to_owned()),
        Just("np=reject".to_owned()),
        Just("rua=a@b.example".to_owned()),
        "[a-z0-9]{0,6}",
        "\\PC{0,4}",
    ]
}

fn tagish() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..16).prop_map(|parts| parts.concat())
}

fn lookup<T: std::fmt::Debug + Clone + 'static>(
    item: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Lookup<T>> {
    prop_oneof![
        prop::collection::vec(item, 0..4).prop_map(Lookup::from_records),
        Just(Lookup::NoData),
        Just(Lookup::NxDomain),
        Just(Lookup::Failed(Failure::Timeout)),
        Just(Lookup::Failed(Failure::ServFail)),
    ]
}

fn txt_record() -> impl Strategy<Value = TxtRecord> {
    prop_oneof![
        tagish().prop_map(TxtRecord::single),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..3)
            .prop_map(|strings| TxtRecord { strings }),
    ]
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Answer),
        Just(Outcome::NoData),
        Just(Outcome::NxDomain),
        Just(Outcome::Failed(Failure::ServFail)),
        Just(Outcome::Failed(Failure::Timeout)),
    ]
}

/// `v=DMARC1` and a few tags, well-formed or not, often repeated: the
/// corners of the receiver's reading (RFC 7489 §6.3, §6.6.3 step 6).
fn dmarc_tag_list() -> impl Strategy<Value = String> {
    let tag = prop_oneof![
        Just("p=reject"),
        Just("P=REJECT"),
        Just("p=none"),
        Just("p=bogus"),
        Just("sp=quarantine"),
        Just("sp=x"),
        Just("np=reject"),
        Just("np="),
        Just("rua=mailto:a@b.example"),
        Just("rua=a@b.example"),
        Just("rua=mailto:a@b.example,x"),
        Just("ruf=mailto:f@b.example"),
        Just("adkim=s"),
        Just("adkim=relaxed"),
        Just("pct=50"),
        Just("pct=150"),
        Just("v=DMARC1"),
        Just("garbage"),
        Just(""),
        Just("x=y"),
    ];
    prop::collection::vec(tag, 0..6).prop_map(|tags| format!("v=DMARC1; {}", tags.join("; ")))
}

/// Records built to parse, so the round trip is exercised, not skipped.
fn valid_dmarc() -> impl Strategy<Value = String> {
    let policy = prop_oneof![
        Just("none"),
        Just("quarantine"),
        Just("reject"),
        Just("REJECT")
    ];
    (
        policy.clone(),
        prop::option::of(policy),
        prop::option::of(0u8..=100),
        prop::option::of(prop_oneof![Just("y"), Just("n")]),
        prop::collection::vec("[a-z]{1,8}@[a-z]{1,8}\\.example(![0-9]{1,3}[kmgt]?)?", 0..3),
        prop::option::of(prop::collection::vec(
            prop_oneof![Just("0"), Just("1"), Just("d"), Just("s")],
            1..4,
        )),
    )
        .prop_map(|(p, sp, pct, t, rua, fo)| {
            let mut text = format!("v=DMARC1; p={p}");
            if let Some(sp) = sp {
                text.push_str(&format!(" ;sp = {sp}"));
            }
            if let Some(pct) = pct {
                text.push_str(&format!("; pct={pct}"));
            }
            if let Some(t) = t {
                text.push_str(&format!(";t={t}"));
            }
            if !rua.is_empty() {
                let uris: Vec<String> = rua.iter().map(|a| format!("mailto:{a}")).collect();
                text.push_str(&format!("; rua={}", uris.join(" , ")));
            }
            if let Some(fo) = fo {
                text.push_str(&format!("; fo={}", fo.join(":")));
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn tag_list_parser_never_panics(text in tagish(), any_text in "\\PC*") {
        for syntax in [Syntax::Dkim, Syntax::Strict] {
            let _ = tags::parse(&text, syntax);
            let _ = tags::parse(&any_text, syntax);
        }
    }

    #[test]
    fn record_parsers_never_panic(text in tagish()) {
        let _ = dmarc::parse(&text);
        let _ = bimi::parse(&text);
        let _ = mta_sts::parse(&text);
        let _ = tlsrpt::parse(&text);
    }

    #[test]
    fn txt_classifiers_never_panic(
        rrset in lookup(txt_record()),
        auth in lookup(txt_record()),
        domain in "[a-z]{1,10}\\.(example|co\\.uk|be)",
    ) {
        let names = dmarc::authorization_names(&domain, &rrset);
        let auths: HashMap<String, Lookup<TxtRecord>> =
            names.into_iter().map(|n| (n, auth.clone())).collect();
        let posture = dmarc::classify(&domain, &rrset, &auths);
        // A failure is never "absent" (DESIGN.md).
        if rrset.outcome().is_failure() {
            prop_assert_eq!(posture.status.label(), "error");
        }
        // RFC 7489 §6.6.3 step 5: several v=DMARC1 records apply no policy.
        let candidates = rrset
            .records()
            .iter()
            .filter(|r| dmarc::is_candidate(&r.joined()))
            .count();
        if candidates > 1 {
            prop_assert_eq!(posture.status, Status::Invalid);
            prop_assert_eq!((posture.p, posture.sp, posture.np), (None, None, None));
        }
        if candidates == 0 {
            prop_assert_ne!(posture.status, Status::Valid);
            prop_assert_ne!(posture.status, Status::Invalid);
        }
        let _ = bimi::classify(&rrset);
        let _ = mta_sts::classify(&rrset);
        let _ = tlsrpt::classify(&rrset);
    }

    #[test]
    fn mx_dane_dnssec_dkim_never_panic(
        mx_lookup in lookup((any::<u16>(), prop_oneof![Just(".".to_owned()), "[A-Za-z.]{0,12}"])
            .prop_map(|(preference, exchange)| MxRecord { preference, exchange })),
        tlsa in lookup((0u8..6, 0u8..3, 0u8..4, prop::collection::vec(any::<u8>(), 0..70))
            .prop_map(|(usage, selector, matching_type, data)| TlsaRecord { usage, selector, matching_type, data })),
        ds in lookup(any::<u8>()),
        dnskey in lookup(any::<u8>()),
        flags in any::<(bool, bool)>(),
        retry in prop::option::of(outcome()),
        confirmation in prop::option::of(outcome()),
        ds_cd in prop::option::of(lookup(any::<u8>())),
        dkim_outcome in outcome(),
        nonexistent in prop::option::of(lookup(txt_record())),
        extended_error in prop::option::of(any::<u16>()),
    ) {
        let mx_posture: MxPosture = mx::classify(&mx_lookup);
        if mx_lookup.outcome().is_failure() {
            prop_assert_eq!(mx_posture.status, MxStatus::Error);
        }
        let tlsa = Arc::new(Validated { lookup: tlsa, authenticated: flags.0 });
        let map: HashMap<String, Arc<Validated<TlsaRecord>>> =
            mx_posture.hosts.iter().map(|h| (h.clone(), Arc::clone(&tlsa))).collect();
        let dane_status = dane::classify(&mx_posture, flags.1, &map);
        // RFC 6698 §4.1, RFC 7672 §2.2.1: `valid` only with validated TLSA
        // behind a validated MX RRset.
        if dane_status == Status::Valid {
            prop_assert!(flags.0 && flags.1, "{:?}", dane_status);
        }
        let evidence = DnssecEvidence {
            ds,
            ds_authenticated: flags.0,
            dnskey,
            dnskey_authenticated: flags.1,
            servfail_confirmation: confirmation,
            checking_disabled_retry: retry,
            ds_checking_disabled: ds_cd,
            extended_error,
        };
        let posture = dnssec::classify(&evidence);
        prop_assert!(posture.algorithms.windows(2).all(|w| w[0] < w[1]));
        // `dnssec_reason` exactly for bogus and error rows (RFC 8914).
        let failed = matches!(posture.status, DnssecStatus::Bogus | DnssecStatus::Error);
        prop_assert_eq!(posture.reason.is_some(), failed);
        // DESIGN.md: bogus needs a DS RRset, a confirmed SERVFAIL and data
        // under CD=1.
        if posture.status == DnssecStatus::Bogus {
            let ds_published = matches!(evidence.ds, Lookup::Records(_))
                || matches!(evidence.ds_checking_disabled, Some(Lookup::Records(_)));
            prop_assert!(ds_published, "{:?}", evidence);
            prop_assert_eq!(
                evidence.servfail_confirmation,
                Some(Outcome::Failed(Failure::ServFail))
            );
            prop_assert!(evidence.checking_disabled_retry.is_some_and(|o| !o.is_failure()));
        }
        let dkim_status = dkim::classify(&DkimEvidence {
            domainkey: dkim_outcome,
            nonexistent: nonexistent.clone(),
        });
        // A failure is never absent; the hint is `likely` only after a
        // NOERROR at `_domainkey` and a check that could tell (RFC 8020 §2).
        match dkim_outcome {
            Outcome::Failed(_) => prop_assert_eq!(dkim_status, DkimStatus::Error),
            Outcome::NxDomain => prop_assert_eq!(dkim_status, DkimStatus::Absent),
            _ => {
                prop_assert_ne!(dkim_status, DkimStatus::Absent);
                if nonexistent.as_ref().is_none_or(|n| n.outcome().is_failure()) {
                    prop_assert_eq!(dkim_status, DkimStatus::Error);
                }
                if dkim_status == DkimStatus::Likely {
                    prop_assert_ne!(nonexistent.map(|n| n.outcome()), Some(Outcome::NoData));
                }
            }
        }
    }

    /// The two readings of a DMARC record agree: it parses per its RFC
    /// exactly when the receiver's reading drops nothing, and then both see
    /// the same record and the published policy applies (RFC 7489 §6.3,
    /// §6.6.3 step 6).
    #[test]
    fn dmarc_read_agrees_with_parse(
        text in prop_oneof![
            tagish(),
            tagish().prop_map(|tail| format!("v=DMARC1; {tail}")),
            dmarc_tag_list(),
        ],
    ) {
        let reading = dmarc::read(&text);
        match dmarc::parse(&text) {
            Ok(record) => {
                prop_assert!(reading.errors.is_empty(), "{:?}: {:?}", text, reading.errors);
                prop_assert_eq!(&reading.record, &record);
                if record.p.is_some() {
                    prop_assert_eq!(
                        (reading.p, reading.sp, reading.np),
                        (record.p, record.sp, record.np)
                    );
                }
            }
            Err(_) => prop_assert!(!reading.errors.is_empty(), "{:?}", text),
        }
        // Step 6: a policy applies only from a valid p, or as none with a
        // valid rua; sp and np only beside the p that was published.
        if reading.p.is_some() && reading.p != reading.record.p {
            prop_assert_eq!(reading.p, Some(dmarc::Policy::None));
            prop_assert!(!reading.record.rua.is_empty());
        }
        if reading.sp.is_some() || reading.np.is_some() {
            prop_assert_eq!(reading.p, reading.record.p);
        }
        let posture = dmarc::classify("example.com", &Lookup::Records(vec![TxtRecord::single(text.as_str())]), &HashMap::new());
        prop_assert_eq!(posture.status == Status::Valid, posture.error.is_none());
    }

    #[test]
    fn dmarc_display_round_trips(text in valid_dmarc()) {
        let record = dmarc::parse(&text);
        prop_assert!(record.is_ok(), "{:?}: {:?}", text, record);
        let record = record.unwrap();
        let shown = record.to_string();
        prop_assert_eq!(dmarc::parse(&shown), Ok(record), "{}", shown);
    }

    #[test]
    fn round_trips_hold_for_any_record_that_parses(text in tagish()) {
        if let Ok(record) = dmarc::parse(&text) {
            prop_assert_eq!(dmarc::parse(&record.to_string()), Ok(record));
        }
        if let Ok(record) = bimi::parse(&text) {
            prop_assert_eq!(bimi::parse(&record.to_string()), Ok(record));
        }
        if let Ok(record) = mta_sts::parse(&text) {
            prop_assert_eq!(mta_sts::parse(&record.to_string()), Ok(record));
        }
        if let Ok(record) = tlsrpt::parse(&text) {
            prop_assert_eq!(tlsrpt::parse(&record.to_string()), Ok(record));
        }
    }

    #[test]
    fn mta_sts_and_tlsrpt_round_trip(
        id in "[A-Za-z0-9]{1,32}",
        ext in prop::option::of(("[a-z0-9][a-z0-9_.-]{0,8}", "[!-:<>-~]{1,10}")),
        rua in prop::collection::vec("(mailto:[a-z]{1,5}@[a-z]{1,5}\\.example|https://[a-z]{1,5}\\.example/[a-z]{0,5})", 1..3),
    ) {
        let mut sts = format!("v=STSv1; id={id}");
        let mut rpt = format!("v=TLSRPTv1; rua={}", rua.join(","));
        if let Some((name, value)) = &ext
            && !["v", "id", "rua"].iter().any(|t| name.eq_ignore_ascii_case(t))
        {
            sts.push_str(&format!(";{name}={value}"));
            rpt.push_str(&format!(";{name}={value}"));
        }
        let record = mta_sts::parse(&sts);
        prop_assert!(record.is_ok(), "{:?}: {:?}", sts, record);
        let record = record.unwrap();
        prop_assert_eq!(mta_sts::parse(&record.to_string()), Ok(record));
        let record = tlsrpt::parse(&rpt);
        prop_assert!(record.is_ok(), "{:?}: {:?}", rpt, record);
        let record = record.unwrap();
        prop_assert_eq!(tlsrpt::parse(&record.to_string()), Ok(record));
    }
}
