//! The probe plan against real servers: Knot behind a validating Unbound.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a failed unwrap is a failed test

mod common;

use mailcensus_dns::{Engine, Probe};
use mailcensus_posture::dnssec::DnssecStatus;
use mailcensus_posture::{Failure, Lookup, Outcome, Resolution, Status, TxtRecord};

use common::{config, knot, knot_and_unbound, knot_and_unbound_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_probe_answers_for_a_fully_published_domain() {
    let bed = knot_and_unbound();
    let engine = Engine::new(config(vec![bed.resolver()])).unwrap();
    let result = engine.probe_domain("Good.MCDNS.").await;
    let ev = &result.evidence;
    assert_eq!(result.domain, "good.mcdns");
    let mx = ev.mx.as_ref().unwrap();
    assert_eq!(mx.records().len(), 1, "{mx:?}");
    assert_eq!(
        mx.records()[0].exchange.trim_end_matches('.'),
        "mx.good.mcdns"
    );
    let apex = ev.apex_txt.as_ref().unwrap();
    assert!(
        apex.records()[0]
            .joined()
            .starts_with("v=spf1 include:_spf.shared.mcdns")
    );
    let target = ev
        .spf_targets
        .get("_spf.shared.mcdns")
        .expect("include target followed");
    assert!(
        target.records()[0].joined().starts_with("v=spf1 ip4:"),
        "{target:?}"
    );
    for lookup in [&ev.dmarc, &ev.bimi, &ev.mta_sts, &ev.tlsrpt] {
        assert_eq!(lookup.as_ref().unwrap().records().len(), 1, "{lookup:?}");
    }
    // `_domainkey.good` is an empty non-terminal: NOERROR without TXT.
    assert_eq!(ev.dkim.as_ref().map(|d| d.domainkey), Some(Outcome::NoData));
    let tlsa = ev
        .tlsa
        .get("mx.good.mcdns")
        .expect("TLSA asked for the MX host");
    let records = tlsa.lookup.records();
    assert_eq!(records.len(), 1, "{tlsa:?}");
    assert_eq!(
        (
            records[0].usage,
            records[0].selector,
            records[0].matching_type
        ),
        (3, 1, 1)
    );
    assert_eq!(records[0].data.len(), 32);
    assert_eq!(result.posture.resolution, Resolution::Ok);
    assert!(result.queries >= 9, "{}", result.queries);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nxdomain_apex_short_circuits_without_sending_the_rest() {
    let bed = knot_and_unbound();
    let engine = Engine::new(config(vec![bed.resolver()])).unwrap();
    let result = engine.probe_domain("missing.mcdns").await;
    let ev = &result.evidence;
    assert_eq!(ev.mx, Some(Lookup::NxDomain));
    assert_eq!(ev.apex_txt, Some(Lookup::NxDomain));
    assert_eq!(ev.dmarc, Some(Lookup::NxDomain));
    assert_eq!(
        ev.dkim.as_ref().map(|d| d.domainkey),
        Some(Outcome::NxDomain)
    );
    assert_eq!(result.queries, 1, "RFC 8020: only the MX query is sent");
    assert_eq!(result.posture.resolution, Resolution::NxDomain);
    assert_eq!(engine.stats().sent_udp, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodata_and_nxdomain_below_an_existing_name() {
    let bed = knot_and_unbound();
    let mut cfg = config(vec![bed.resolver()]);
    cfg.probes = vec![Probe::Mx, Probe::Spf, Probe::Dmarc, Probe::Dkim];
    let engine = Engine::new(cfg).unwrap();
    let result = engine.probe_domain("nodata.mcdns").await;
    let ev = &result.evidence;
    assert_eq!(ev.mx, Some(Lookup::NoData));
    assert_eq!(ev.apex_txt.as_ref().unwrap().records()[0].joined(), "hello");
    assert_eq!(ev.dmarc, Some(Lookup::NxDomain));
    assert_eq!(
        ev.dkim.as_ref().map(|d| d.domainkey),
        Some(Outcome::NxDomain)
    );
    assert!(
        ev.bimi.is_none() && ev.dnssec.is_none(),
        "deselected probes are not run"
    );
    assert_eq!(result.queries, 4);
}

/// Regression guard for "failure turned into absence": a lame delegation
/// SERVFAILs every probe, and the domain is `error`, not `absent`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lame_delegation_is_servfail_everywhere() {
    // The lame server never answers; without a cap on the retransmit timeout
    // Unbound keeps trying for minutes before it says SERVFAIL. (Not below
    // 500 ms: at 200, under the RTT Unbound assumes of a server it has not
    // measured, it failed the TLD's own key and every name SERVFAILed, so
    // this test passed for the wrong reason.)
    let bed = knot_and_unbound_with(&["infra-cache-max-rtt: 500", "outbound-msg-retry: 2"]);
    let mut cfg = config(vec![bed.resolver()]);
    cfg.probes = vec![
        Probe::Mx,
        Probe::Spf,
        Probe::Dmarc,
        Probe::Dkim,
        Probe::Dnssec,
    ];
    // Unbound answers SERVFAIL only after its own retransmits to the dead
    // server: room for them, so the outcome is its SERVFAIL, not our timeout.
    cfg.timeout = std::time::Duration::from_secs(5);
    let engine = Engine::new(cfg).unwrap();
    let result = engine.probe_domain("lame.mcdns").await;
    let ev = &result.evidence;
    assert_eq!(ev.mx, Some(Lookup::Failed(Failure::ServFail)));
    assert_eq!(ev.apex_txt, Some(Lookup::Failed(Failure::ServFail)));
    assert_eq!(ev.dmarc, Some(Lookup::Failed(Failure::ServFail)));
    assert_eq!(
        ev.dkim.as_ref().map(|d| d.domainkey),
        Some(Outcome::Failed(Failure::ServFail))
    );
    assert_eq!(
        ev.dkim.as_ref().and_then(|d| d.nonexistent.as_ref()),
        None,
        "nothing to check below a failure"
    );
    let dnssec = ev.dnssec.as_ref().unwrap();
    assert_eq!(dnssec.dnskey, Lookup::Failed(Failure::ServFail));
    assert!(
        matches!(dnssec.checking_disabled_retry, Some(Outcome::Failed(_))),
        "CD=1 cannot help a lame delegation: {dnssec:?}"
    );
    assert_eq!(result.posture.resolution, Resolution::Error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_answer_is_repeated_over_tcp() {
    for through_unbound in [false, true] {
        let bed = if through_unbound {
            knot_and_unbound()
        } else {
            knot()
        };
        let engine = Engine::new(config(vec![bed.resolver()])).unwrap();
        let lookup = engine.lookup_txt("big.mcdns").await;
        let text = lookup
            .records()
            .first()
            .map(|r| r.joined())
            .unwrap_or_default();
        assert!(text.len() > 1232, "unbound={through_unbound}: {lookup:?}");
        let stats = engine.stats();
        assert_eq!(stats.truncated, 1, "{stats:?}");
        assert_eq!(stats.sent_tcp, 1, "{stats:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnssec_secure_insecure_and_bogus() {
    let bed = knot_and_unbound();
    let mut cfg = config(vec![bed.resolver()]);
    cfg.probes = vec![Probe::Mx, Probe::Dnssec];
    let engine = Engine::new(cfg).unwrap();

    let secure = engine
        .probe_domain("secure.mcdns")
        .await
        .evidence
        .dnssec
        .unwrap();
    assert_eq!(secure.dnskey, Lookup::Records(vec![13]), "{secure:?}");
    assert_eq!(secure.ds, Lookup::Records(vec![13]), "{secure:?}");
    assert!(
        secure.dnskey_authenticated && secure.ds_authenticated,
        "{secure:?}"
    );
    assert_eq!(secure.checking_disabled_retry, None);

    let insecure = engine
        .probe_domain("insecure.mcdns")
        .await
        .evidence
        .dnssec
        .unwrap();
    assert_eq!(insecure.ds, Lookup::NoData, "{insecure:?}");
    assert!(
        insecure.ds_authenticated,
        "NSEC proves the DS absent: {insecure:?}"
    );
    assert_eq!(insecure.dnskey, Lookup::NoData, "{insecure:?}");
    assert!(!insecure.dnskey_authenticated, "{insecure:?}");

    for (domain, expected) in [
        ("secure.mcdns", DnssecStatus::Secure),
        ("insecure.mcdns", DnssecStatus::Insecure),
        ("bogus.mcdns", DnssecStatus::Bogus),
    ] {
        let posture = engine.probe_domain(domain).await.posture;
        assert_eq!(posture.dnssec.map(|d| d.status), Some(expected), "{domain}");
    }

    let bogus = engine.probe_domain("bogus.mcdns").await;
    let dnssec = bogus.evidence.dnssec.as_ref().unwrap();
    assert_eq!(
        dnssec.dnskey,
        Lookup::Failed(Failure::ServFail),
        "{dnssec:?}"
    );
    assert_eq!(
        dnssec.checking_disabled_retry,
        Some(Outcome::Answer),
        "{dnssec:?}"
    );
    // Everything else of a bogus zone fails validation too: error, never absent.
    assert_eq!(bogus.evidence.mx, Some(Lookup::Failed(Failure::ServFail)));
}

/// A million domains including one SPF target and one MX host make one
/// lookup each while cached: here twenty concurrent domains share
/// `_spf.shared.mcdns` and the TLSA of `mx.good.mcdns`, and exactly one of
/// them pays for each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_targets_are_fetched_once_for_many_domains() {
    let bed = knot();
    let mut cfg = config(vec![bed.resolver()]);
    cfg.retries = 0;
    cfg.timeout = std::time::Duration::from_secs(5);
    let engine = Engine::new(cfg).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            engine.probe_domain("good.mcdns").await
        }));
    }
    let mut per_domain = Vec::new();
    for task in tasks {
        let result = task.await.unwrap();
        assert!(
            result
                .evidence
                .spf_targets
                .contains_key("_spf.shared.mcdns")
        );
        assert!(result.evidence.tlsa.contains_key("mx.good.mcdns"));
        per_domain.push(result.queries);
    }
    let expected = 20 * 10 + 2;
    // The sender task counts a burst once its system call returns, which
    // can be after the answers came back and the domains finished: wait
    // for the count to settle (an over-count would still fail below).
    let mut stats = engine.stats();
    for _ in 0..100 {
        if stats.queries_sent() >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        stats = engine.stats();
    }
    // 10 own queries per domain (MX, TXT, DMARC, DS, DNSKEY, BIMI, MTA-STS,
    // TLS-RPT, DKIM and the name below `_domainkey` that cannot exist) plus
    // the two shared ones, once.
    assert_eq!(stats.queries_sent(), expected, "{stats:?}");
    assert_eq!(
        per_domain.iter().map(|&q| u64::from(q)).sum::<u64>(),
        stats.queries_sent()
    );
    assert_eq!(stats.cache_hits, 2 * 19, "{stats:?}");
}

/// RFC 7672 §2.2, RFC 6698 §4.1: MX and TLSA go out with DO=1 and the AD
/// flag is kept. In the signed TLD both are validated; in the unsigned
/// child the TLSA RRset arrives all the same, without AD (unusable for
/// DANE), and so does the MX RRset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tlsa_and_mx_carry_the_resolvers_validation() {
    let bed = knot_and_unbound();
    let mut cfg = config(vec![bed.resolver()]);
    cfg.probes = vec![Probe::Mx, Probe::Dane];
    let engine = Engine::new(cfg).unwrap();

    let signed = engine.probe_domain("good.mcdns").await.evidence;
    assert!(signed.mx_authenticated, "{signed:?}");
    let tlsa = &signed.tlsa["mx.good.mcdns"];
    assert_eq!(tlsa.lookup.records().len(), 1, "{tlsa:?}");
    assert!(tlsa.authenticated, "{tlsa:?}");

    let unsigned = engine.probe_domain("insecure.mcdns").await.evidence;
    assert!(!unsigned.mx_authenticated, "{unsigned:?}");
    let tlsa = &unsigned.tlsa["mx.insecure.mcdns"];
    assert_eq!(tlsa.lookup.records().len(), 1, "published: {tlsa:?}");
    assert!(!tlsa.authenticated, "never validated: {tlsa:?}");

    // A validated denial: no TLSA at the secure child's MX host, proven.
    let secure = engine.probe_domain("secure.mcdns").await.evidence;
    assert!(secure.mx_authenticated, "{secure:?}");
    let tlsa = &secure.tlsa["mx.secure.mcdns"];
    assert_eq!(tlsa.lookup, Lookup::NxDomain, "{tlsa:?}");
    assert!(tlsa.authenticated, "{tlsa:?}");

    // The cache hands the same validated lookup to the next domain.
    let again = engine.probe_domain("good.mcdns").await;
    assert!(again.evidence.tlsa["mx.good.mcdns"].authenticated);
    assert_eq!(again.queries, 1, "TLSA served from the cache");
}

/// The DKIM hint asks a name below `_domainkey.<d>` that cannot exist,
/// only when `_domainkey.<d>` exists. A wildcard answers it (NOERROR, the
/// wildcard's TXT): the hint then says nothing. Without a wildcard it is
/// NXDOMAIN; after an NXDOMAIN at `_domainkey` it is not asked (RFC 8020).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dkim_hint_asks_a_name_that_cannot_exist_below_domainkey() {
    let bed = knot_and_unbound();
    let mut cfg = config(vec![bed.resolver()]);
    cfg.probes = vec![Probe::Dkim];
    let engine = Engine::new(cfg).unwrap();

    let wild = engine.probe_domain("wild.mcdns").await;
    let dkim = wild.evidence.dkim.as_ref().unwrap();
    assert_eq!(
        dkim.domainkey,
        Outcome::Answer,
        "the wildcard answers: {dkim:?}"
    );
    assert_eq!(
        dkim.nonexistent,
        Some(Lookup::Records(vec![TxtRecord::single("v=spf1 -all")])),
        "{dkim:?}"
    );
    assert_eq!(wild.queries, 2);

    let good = engine.probe_domain("good.mcdns").await;
    let dkim = good.evidence.dkim.as_ref().unwrap();
    assert_eq!(
        dkim.domainkey,
        Outcome::NoData,
        "empty non-terminal: {dkim:?}"
    );
    assert_eq!(dkim.nonexistent, Some(Lookup::NxDomain), "{dkim:?}");
    assert_eq!(good.queries, 2);

    let nodata = engine.probe_domain("nodata.mcdns").await;
    let dkim = nodata.evidence.dkim.as_ref().unwrap();
    assert_eq!(dkim.domainkey, Outcome::NxDomain, "{dkim:?}");
    assert_eq!(dkim.nonexistent, None, "{dkim:?}");
    assert_eq!(nodata.queries, 1);
}

/// RFC 7208 §4.6.4, through Unbound and the classifier's own reading of the
/// records (`spf::host_queries_of`): the include target `v=spf1 a mx -all`
/// has no A and no MX behind it, and `a:gone.spfvoid.mcdns` does not exist:
/// three void lookups reach the evidence, beside the answered ones, and the
/// classifier counts them: more than two make the record `invalid`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spf_void_a_and_mx_targets_reach_the_evidence() {
    let bed = knot_and_unbound();
    let mut cfg = config(vec![bed.resolver()]);
    cfg.probes = vec![Probe::Mx, Probe::Spf];
    let engine = Engine::new(cfg).unwrap();
    let result = engine.probe_domain("spfvoid.mcdns").await;
    let ev = &result.evidence;
    assert_eq!(
        ev.spf_a.get("_spf.nohost.mcdns"),
        Some(&Outcome::NoData),
        "{ev:?}"
    );
    assert_eq!(
        ev.spf_a.get("gone.spfvoid.mcdns"),
        Some(&Outcome::NxDomain),
        "{ev:?}"
    );
    assert_eq!(
        ev.spf_a.get("mx.good.mcdns"),
        Some(&Outcome::Answer),
        "{ev:?}"
    );
    assert_eq!(
        ev.spf_mx.get("_spf.nohost.mcdns").map(|l| l.outcome()),
        Some(Outcome::NoData),
        "{ev:?}"
    );
    assert_eq!(
        ev.spf_mx.get("spfvoid.mcdns").map(|l| l.outcome()),
        Some(Outcome::Answer),
        "{ev:?}"
    );
    // MX, TXT, TXT of the include target, and four A/MX queries (the bare
    // `mx` at the apex is the MX probe's answer).
    assert_eq!(result.queries, 7);
    let spf = result.posture.spf.as_ref().unwrap();
    assert_eq!(spf.void_lookups, Some(3), "{spf:?}");
    assert_eq!(spf.status, Status::Invalid, "{spf:?}");
}
