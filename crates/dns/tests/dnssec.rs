//! The DNSSEC probe against a validating Unbound (`ede: yes`) in front of
//! Knot: secure, insecure and bogus children of the signed test TLD, the
//! confirmation of a SERVFAIL, CD=1, and the resolver's Extended DNS Error.
//! DESIGN.md: `bogus` needs a DS RRset at the parent, a SERVFAIL that a
//! second plain attempt confirms, and data under CD=1; a lone SERVFAIL is
//! `error`.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a failed unwrap is a failed test

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;
use mailcensus_dns::{Engine, Probe};
use mailcensus_posture::dnssec::{DnssecEvidence, DnssecStatus};
use mailcensus_posture::{Failure, Lookup, Outcome};
use tokio::net::UdpSocket;

use common::{config, knot_and_unbound, knot_and_unbound_with};

/// RFC 8914 §4.8: INFO-CODE 7, Signature Expired.
const EDE_SIGNATURE_EXPIRED: u16 = 7;
/// RFC 8914 §4.10: INFO-CODE 9, DNSKEY Missing (no DNSKEY matches the DS).
const EDE_DNSKEY_MISSING: u16 = 9;

async fn dnssec_of(engine: &Engine, domain: &str) -> DnssecEvidence {
    engine.probe_domain(domain).await.evidence.dnssec.unwrap()
}

fn dnssec_engine(resolver: SocketAddr) -> Engine {
    let mut cfg = config(vec![resolver]);
    cfg.probes = vec![Probe::Dnssec];
    Engine::new(cfg).unwrap()
}

/// The two kinds of bogus child (RFC 4035 §5.5): a DS matching no DNSKEY,
/// and signatures past their expiration. The DS answers (validated), DNSKEY
/// SERVFAILs twice, comes back under CD=1, and Unbound 1.17 names the
/// reason: observed here, DNSKEY Missing (9) for the first and Signature
/// Expired (7) for the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bogus_children_confirm_their_servfail_and_name_the_reason() {
    let bed = knot_and_unbound();
    let engine = dnssec_engine(bed.resolver());
    for (domain, reason) in [
        ("bogus.mcdns", EDE_DNSKEY_MISSING),
        ("expired.mcdns", EDE_SIGNATURE_EXPIRED),
    ] {
        let result = engine.probe_domain(domain).await;
        let ev = result.evidence.dnssec.as_ref().unwrap();
        assert_eq!(ev.ds, Lookup::Records(vec![13]), "{domain}: {ev:?}");
        assert!(ev.ds_authenticated, "{domain}: {ev:?}");
        assert_eq!(ev.dnskey, Lookup::Failed(Failure::ServFail), "{domain}");
        assert_eq!(
            ev.servfail_confirmation,
            Some(Outcome::Failed(Failure::ServFail)),
            "{domain}: {ev:?}"
        );
        assert_eq!(
            ev.checking_disabled_retry,
            Some(Outcome::Answer),
            "{domain}"
        );
        assert_eq!(ev.ds_checking_disabled, None, "DS answered: {ev:?}");
        assert_eq!(ev.extended_error, Some(reason), "{domain}: {ev:?}");
        // DS, DNSKEY, the confirmation and the CD=1 retry.
        assert_eq!(result.queries, 4, "{domain}");
    }
}

/// No DS at the parent, no chain of trust: an unsigned child, a child
/// signed with expired signatures but never delegated securely (an
/// "island"), and a lame unsigned child that SERVFAILs everything are never
/// bogus. The DS denial is validated (AD) in each case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_without_a_ds_never_read_as_bogus() {
    let bed = knot_and_unbound();
    let engine = dnssec_engine(bed.resolver());
    // The lame server never answers; without a cap on the retransmit timeout
    // Unbound keeps trying for minutes before it says SERVFAIL. (A cap of
    // 200 ms, below the RTT Unbound assumes of a server it has not measured
    // yet, made it fail even the TLD's own key: every name SERVFAILed.)
    let lame_bed = knot_and_unbound_with(&["infra-cache-max-rtt: 500", "outbound-msg-retry: 2"]);
    let mut cfg = config(vec![lame_bed.resolver()]);
    cfg.probes = vec![Probe::Dnssec];
    // Room for Unbound's own retransmits to the dead server, so the outcome
    // is its SERVFAIL, not our timeout.
    cfg.timeout = Duration::from_secs(5);
    let lame_engine = Engine::new(cfg).unwrap();
    for domain in ["insecure.mcdns", "island.mcdns", "lame.mcdns"] {
        let engine = if domain == "lame.mcdns" {
            &lame_engine
        } else {
            &engine
        };
        let result = engine.probe_domain(domain).await;
        let ev = result.evidence.dnssec.as_ref().unwrap();
        assert_eq!(ev.ds, Lookup::NoData, "{domain}: {ev:?}");
        assert!(ev.ds_authenticated, "NSEC proves no DS: {domain}: {ev:?}");
        let status = result.posture.dnssec.as_ref().unwrap().status;
        assert_ne!(status, DnssecStatus::Bogus, "{domain}: {ev:?}");
        assert_ne!(status, DnssecStatus::Secure, "{domain}: {ev:?}");
        if domain == "lame.mcdns" {
            assert_eq!(ev.dnskey, Lookup::Failed(Failure::ServFail), "{ev:?}");
            assert_eq!(
                ev.servfail_confirmation,
                Some(Outcome::Failed(Failure::ServFail)),
                "{ev:?}"
            );
            assert!(
                matches!(ev.checking_disabled_retry, Some(Outcome::Failed(_))),
                "CD=1 cannot help a lame delegation: {ev:?}"
            );
            assert_eq!(ev.ds_checking_disabled, None, "DS answered: {ev:?}");
            // Observed: Unbound 1.17.1 attaches no Extended DNS Error to the
            // SERVFAIL of an unreachable authority (later versions may say
            // No Reachable Authority, RFC 8914 §4.23).
            assert_eq!(ev.extended_error, None, "{ev:?}");
        } else {
            assert_eq!(ev.servfail_confirmation, None, "{domain}: {ev:?}");
            assert_eq!(ev.checking_disabled_retry, None, "{domain}: {ev:?}");
            assert_eq!(ev.extended_error, None, "{domain}: {ev:?}");
            assert_eq!(result.queries, 2, "{domain}");
        }
    }
    // The island's DNSKEY comes back, unvalidated: signed, not secure.
    let island = dnssec_of(&engine, "island.mcdns").await;
    assert_eq!(island.dnskey, Lookup::Records(vec![13]), "{island:?}");
    assert!(!island.dnskey_authenticated, "{island:?}");
}

/// Which answers a [`relay`] turns into SERVFAIL: those to queries of this
/// type with CD as given, from the `from`-th such query (0-based) to
/// `until` (excluded).
#[derive(Clone, Copy)]
struct Fault {
    qtype: RecordType,
    checking_disabled: bool,
    from: u32,
    until: u32,
}

/// A UDP relay in front of `upstream` that rewrites the RCODE of the
/// answers `fault` selects to SERVFAIL (the data stays, as a broken
/// middlebox might leave it): a transient or lasting failure on demand, in
/// front of a real resolver. Returns its address; it runs until the test's
/// runtime ends.
async fn relay(upstream: SocketAddr, fault: Fault) -> SocketAddr {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = front.local_addr().unwrap();
    let seen = Arc::new(AtomicU32::new(0));
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_535];
        loop {
            let Ok((len, client)) = front.recv_from(&mut buf).await else {
                break;
            };
            let query = buf[..len].to_vec();
            let (front, seen) = (Arc::clone(&front), Arc::clone(&seen));
            tokio::spawn(async move {
                let message = Message::from_vec(&query).unwrap();
                let selected = message.queries[0].query_type() == fault.qtype
                    && message.metadata.checking_disabled == fault.checking_disabled;
                let nth = if selected {
                    Some(seen.fetch_add(1, Ordering::SeqCst))
                } else {
                    None
                };
                let back = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                back.send_to(&query, upstream).await.unwrap();
                let mut answer = vec![0u8; 65_535];
                let Ok(Ok((len, _))) =
                    tokio::time::timeout(Duration::from_secs(5), back.recv_from(&mut answer)).await
                else {
                    return;
                };
                answer.truncate(len);
                if nth.is_some_and(|n| (fault.from..fault.until).contains(&n)) {
                    // RCODE: the low four bits of the header's fourth octet.
                    answer[3] = (answer[3] & 0xf0) | 2;
                }
                let _ = front.send_to(&answer, client).await;
            });
        }
    });
    addr
}

/// Regression guard for "a transient SERVFAIL read as a failure": the first
/// DNSKEY answer of a secure child SERVFAILs, the plain confirmation
/// answers, and the confirmed answer (validated) is the evidence; nothing is
/// asked with CD=1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_servfail_the_confirmation_answers_is_transient() {
    let bed = knot_and_unbound();
    let fault = Fault {
        qtype: RecordType::DNSKEY,
        checking_disabled: false,
        from: 0,
        until: 1,
    };
    let engine = dnssec_engine(relay(bed.resolver(), fault).await);
    let result = engine.probe_domain("secure.mcdns").await;
    let ev = result.evidence.dnssec.as_ref().unwrap();
    assert_eq!(ev.servfail_confirmation, Some(Outcome::Answer), "{ev:?}");
    assert_eq!(ev.dnskey, Lookup::Records(vec![13]), "{ev:?}");
    assert!(ev.dnskey_authenticated && ev.ds_authenticated, "{ev:?}");
    assert_eq!(ev.checking_disabled_retry, None, "{ev:?}");
    assert_eq!(ev.ds_checking_disabled, None, "{ev:?}");
    assert_eq!(result.queries, 3);
    assert_eq!(
        result.posture.dnssec.map(|d| d.status),
        Some(DnssecStatus::Secure)
    );
}

/// When DS itself keeps failing, the CD=1 retry is of DS, and it also says
/// whether the parent publishes a DS RRset: here it does (the data of a
/// secure child, behind a relay failing every plain DS answer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lasting_ds_servfail_is_asked_with_cd_for_the_ds_rrset() {
    let bed = knot_and_unbound();
    let fault = Fault {
        qtype: RecordType::DS,
        checking_disabled: false,
        from: 0,
        until: u32::MAX,
    };
    let engine = dnssec_engine(relay(bed.resolver(), fault).await);
    let result = engine.probe_domain("secure.mcdns").await;
    let ev = result.evidence.dnssec.as_ref().unwrap();
    assert_eq!(ev.ds, Lookup::Failed(Failure::ServFail), "{ev:?}");
    assert_eq!(ev.dnskey, Lookup::Records(vec![13]), "{ev:?}");
    assert_eq!(
        ev.servfail_confirmation,
        Some(Outcome::Failed(Failure::ServFail)),
        "{ev:?}"
    );
    assert_eq!(ev.checking_disabled_retry, Some(Outcome::Answer), "{ev:?}");
    assert_eq!(
        ev.ds_checking_disabled,
        Some(Lookup::Records(vec![13])),
        "{ev:?}"
    );
    // Unbound's answers were fine: no reason came with the relay's SERVFAIL.
    assert_eq!(ev.extended_error, None, "{ev:?}");
    // DS, DNSKEY, the confirmation and one CD=1 query serving both fields.
    assert_eq!(result.queries, 4);
}

/// Both DS and DNSKEY failing lastingly: the DNSKEY is confirmed and
/// retried with CD=1, and DS is asked with CD=1 beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_failing_ask_dnskey_and_ds_with_cd() {
    let bed = knot_and_unbound();
    // The parent mcdns is fine; bogus.mcdns's DNSKEY fails by itself, and
    // the relay fails every plain DS answer as well.
    let fault = Fault {
        qtype: RecordType::DS,
        checking_disabled: false,
        from: 0,
        until: u32::MAX,
    };
    let engine = dnssec_engine(relay(bed.resolver(), fault).await);
    let result = engine.probe_domain("bogus.mcdns").await;
    let ev = result.evidence.dnssec.as_ref().unwrap();
    assert_eq!(ev.ds, Lookup::Failed(Failure::ServFail), "{ev:?}");
    assert_eq!(ev.dnskey, Lookup::Failed(Failure::ServFail), "{ev:?}");
    assert_eq!(
        ev.servfail_confirmation,
        Some(Outcome::Failed(Failure::ServFail)),
        "{ev:?}"
    );
    assert_eq!(ev.checking_disabled_retry, Some(Outcome::Answer), "{ev:?}");
    assert_eq!(
        ev.ds_checking_disabled,
        Some(Lookup::Records(vec![13])),
        "{ev:?}"
    );
    // The DNSKEY answer's reason is preferred.
    assert_eq!(ev.extended_error, Some(EDE_DNSKEY_MISSING), "{ev:?}");
    assert_eq!(result.queries, 5);
}
