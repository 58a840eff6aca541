//! The probe plan against real servers: Knot behind a validating Unbound.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a failed unwrap is a failed test

mod common;

use mailcensus_dns::{Engine, Probe};
use mailcensus_posture::dnssec::DnssecStatus;
use mailcensus_posture::{Failure, Lookup, Outcome, Resolution};

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
    // Unbound keeps trying for minutes before it says SERVFAIL.
    let bed = knot_and_unbound_with(&["infra-cache-max-rtt: 200", "outbound-msg-retry: 2"]);
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
    let stats = engine.stats();
    // 9 own queries per domain (MX, TXT, DMARC, DS, DNSKEY, BIMI, MTA-STS,
    // TLS-RPT, DKIM) plus the two shared ones, once.
    assert_eq!(stats.queries_sent(), 20 * 9 + 2, "{stats:?}");
    assert_eq!(
        per_domain.iter().map(|&q| u64::from(q)).sum::<u64>(),
        stats.queries_sent()
    );
    assert_eq!(stats.cache_hits, 2 * 19, "{stats:?}");
}
