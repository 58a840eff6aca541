//! Failures: silent and restarted upstreams, hostile answers, the breaker.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a failed unwrap is a failed test

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use mailcensus_dns::{Engine, Probe};
use mailcensus_posture::{Failure, Lookup, Outcome, Resolution};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use common::{config, knot};

fn assert_no_negative(domain: &str, ev: &mailcensus_posture::DomainEvidence) {
    let outcomes = [
        ev.mx.as_ref().map(Lookup::outcome),
        ev.apex_txt.as_ref().map(Lookup::outcome),
        ev.dmarc.as_ref().map(Lookup::outcome),
        ev.bimi.as_ref().map(Lookup::outcome),
        ev.mta_sts.as_ref().map(Lookup::outcome),
        ev.tlsrpt.as_ref().map(Lookup::outcome),
        ev.dkim.as_ref().map(|d| d.domainkey),
        ev.dnssec.as_ref().map(|d| d.dnskey.outcome()),
    ];
    for outcome in outcomes.into_iter().flatten() {
        assert!(
            !matches!(outcome, Outcome::NoData | Outcome::NxDomain),
            "{domain}: a failure became absence: {ev:?}"
        );
    }
}

/// A bound socket that never answers: every probe times out, the domain is
/// `error`, and nothing is recorded as absent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_upstream_times_out_into_error_never_absent() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut cfg = config(vec![silent.local_addr().unwrap()]);
    cfg.timeout = Duration::from_millis(150);
    cfg.retries = 1;
    cfg.outage_patience = Duration::from_millis(300);
    let engine = Engine::new(cfg).unwrap();
    let result = engine.probe_domain("good.mcdns").await;
    assert_eq!(result.evidence.mx, Some(Lookup::Failed(Failure::Timeout)));
    assert_eq!(
        result.evidence.dmarc,
        Some(Lookup::Failed(Failure::Timeout))
    );
    assert_eq!(
        result.evidence.dkim.as_ref().map(|d| d.domainkey),
        Some(Outcome::Failed(Failure::Timeout))
    );
    assert_no_negative("good.mcdns", &result.evidence);
    assert_eq!(result.posture.resolution, Resolution::Error);
    assert!(
        result.queries >= 2 * 8,
        "every probe retried: {}",
        result.queries
    );

    // Enough domains to bench the only upstream: the breaker opens, and
    // with its patience spent the domains still end (as `error`).
    let (tx, rx) = mpsc::channel(16);
    let (out_tx, mut out_rx) = mpsc::channel(16);
    let runner = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run(rx, out_tx).await })
    };
    tokio::spawn(async move {
        for i in 0..40u32 {
            tx.send((format!("d{i}.mcdns"), i)).await.unwrap();
        }
    });
    let mut tags = Vec::new();
    while let Some((result, tag)) = out_rx.recv().await {
        assert_no_negative(&result.domain, &result.evidence);
        assert_eq!(result.posture.resolution, Resolution::Error);
        tags.push(tag);
    }
    runner.await.unwrap();
    tags.sort_unstable();
    assert_eq!(tags, (0..40).collect::<Vec<_>>());
    assert!(engine.stats().breaker_openings >= 1, "{:?}", engine.stats());
}

/// Regression guard for the killed-resolver scan: Knot dies mid-run and comes
/// back; the breaker holds queries meanwhile and no domain is recorded absent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_killed_and_restarted_mid_run_records_nothing_absent() {
    let common::Testbed {
        knot: server,
        dir: _dir,
        ..
    } = knot();
    let mut cfg = config(vec![server.addr]);
    cfg.probes = vec![Probe::Mx, Probe::Spf];
    cfg.timeout = Duration::from_millis(300);
    cfg.retries = 3;
    cfg.qps = Some(2000);
    cfg.outage_patience = Duration::from_secs(60);
    let engine = Engine::new(cfg).unwrap();
    let total = 3000u32;
    let (tx, rx) = mpsc::channel(64);
    let (out_tx, mut out_rx) = mpsc::channel(64);
    let runner = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run(rx, out_tx).await })
    };
    tokio::spawn(async move {
        for i in 0..total {
            // Both exist with every record asked for.
            let name = if i % 2 == 0 {
                "good.mcdns"
            } else {
                "secure.mcdns"
            };
            tx.send((name.to_string(), i)).await.unwrap();
        }
    });
    let mut seen = 0u32;
    let mut failed = 0u32;
    let mut server = Some(server);
    let mut killer = None;
    while let Some((result, _tag)) = out_rx.recv().await {
        seen += 1;
        let ev = &result.evidence;
        assert_no_negative(&result.domain, ev);
        if ev.mx.as_ref().is_some_and(|l| l.failure().is_some()) {
            failed += 1;
        }
        if seen == 300
            && let Some(mut knot_server) = server.take()
        {
            killer = Some(tokio::task::spawn_blocking(move || {
                knot_server.stop();
                std::thread::sleep(Duration::from_millis(1500));
                knot_server.restart().unwrap();
                knot_server
            }));
        }
    }
    runner.await.unwrap();
    if let Some(killer) = killer {
        drop(killer.await.unwrap());
    }
    assert_eq!(seen, total);
    let stats = engine.stats();
    assert!(stats.timeouts > 0, "the outage was not observed: {stats:?}");
    assert_eq!(failed, 0, "the breaker should have held queries: {stats:?}");
}

fn response_to(query: &Message, name: &str, text: &str) -> Vec<u8> {
    let mut response = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    response.metadata.recursion_desired = true;
    response.metadata.recursion_available = true;
    let name = Name::from_ascii(name).unwrap();
    response.add_query(Query::query(name.clone(), RecordType::TXT));
    response.add_answer(Record::from_rdata(
        name,
        60,
        RData::TXT(TXT::new(vec![text.to_string()])),
    ));
    response.to_vec().unwrap()
}

/// A hostile or confused sender on loopback: garbage, a wrong id, a wrong
/// question, the right id from the wrong address. All are dropped and
/// counted; only the genuine answer completes the query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_answers_are_dropped_and_never_attributed() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let intruder = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut cfg = config(vec![server.local_addr().unwrap()]);
    cfg.retries = 0;
    cfg.timeout = Duration::from_secs(5);
    let engine = Engine::new(cfg).unwrap();
    let lookup = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.lookup_txt("victim.mcdns").await })
    };
    let mut buf = vec![0u8; 4096];
    let (len, client): (usize, SocketAddr) = server.recv_from(&mut buf).await.unwrap();
    let query = Message::from_vec(&buf[..len]).unwrap();
    server.send_to(&[0xde, 0xad, 0xbe], client).await.unwrap();
    let mut wrong_id = query.clone();
    wrong_id.metadata.id = query.metadata.id.wrapping_add(1);
    server
        .send_to(&response_to(&wrong_id, "victim.mcdns.", "wrong id"), client)
        .await
        .unwrap();
    server
        .send_to(
            &response_to(&query, "other.mcdns.", "wrong question"),
            client,
        )
        .await
        .unwrap();
    intruder
        .send_to(&response_to(&query, "victim.mcdns.", "spoofed"), client)
        .await
        .unwrap();
    // A query echoed back (QR=0) is not an answer either.
    server.send_to(&buf[..len], client).await.unwrap();
    server
        .send_to(&response_to(&query, "VICTIM.mcdns.", "right"), client)
        .await
        .unwrap();
    let result = lookup.await.unwrap();
    assert_eq!(
        result,
        Lookup::Records(vec![mailcensus_posture::TxtRecord::single("right")])
    );
    let stats = engine.stats();
    assert_eq!(stats.unsolicited, 2, "{stats:?}");
    assert_eq!(stats.mismatched, 3, "{stats:?}");
    assert_eq!(stats.accepted, 1, "{stats:?}");
}

/// A matching answer whose records cannot be decoded is that query's
/// `malformed` outcome, never a panic, and never touches the query beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_answer_fails_only_its_own_query() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut cfg = config(vec![server.local_addr().unwrap()]);
    cfg.retries = 0;
    cfg.timeout = Duration::from_secs(5);
    let engine = Engine::new(cfg).unwrap();
    let (a, b) = {
        let (e1, e2) = (engine.clone(), engine.clone());
        (
            tokio::spawn(async move { e1.lookup_txt("a.mcdns").await }),
            tokio::spawn(async move { e2.lookup_txt("b.mcdns").await }),
        )
    };
    let mut buf = vec![0u8; 4096];
    for _ in 0..2 {
        let (len, client) = server.recv_from(&mut buf).await.unwrap();
        let query = Message::from_vec(&buf[..len]).unwrap();
        let name = query.queries[0].name.to_ascii();
        let mut bytes = response_to(&query, &name, "fine");
        if name.starts_with("a.") {
            // Cut inside the TXT record: header and question stay intact.
            bytes.truncate(bytes.len() - 3);
        }
        server.send_to(&bytes, client).await.unwrap();
    }
    assert_eq!(a.await.unwrap(), Lookup::Failed(Failure::Malformed));
    assert_eq!(
        b.await.unwrap(),
        Lookup::Records(vec![mailcensus_posture::TxtRecord::single("fine")])
    );
    assert_eq!(engine.stats().malformed, 1);
}

/// A loopback upstream that answers every query SERVFAIL with an Extended
/// DNS Error (RFC 8914 §2) of `info_code`, echoing the question.
async fn servfail_upstream(info_code: u16) -> SocketAddr {
    use hickory_proto::op::{Edns, ResponseCode};
    use hickory_proto::rr::rdata::opt::EdnsOption;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((len, client)) = socket.recv_from(&mut buf).await {
            let query = Message::from_vec(&buf[..len]).unwrap();
            let mut response =
                Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
            response.metadata.recursion_desired = true;
            response.metadata.recursion_available = true;
            response.metadata.response_code = ResponseCode::ServFail;
            response.add_query(query.queries[0].clone());
            let mut edns = Edns::new();
            edns.set_max_payload(1232);
            let mut data = info_code.to_be_bytes().to_vec();
            data.extend_from_slice(b"validation failure");
            edns.options_mut().insert(EdnsOption::Unknown(15, data));
            response.set_edns(edns);
            let _ = socket.send_to(&response.to_vec().unwrap(), client).await;
        }
    });
    addr
}

/// Regression guard for "the reason lost to a timeout": a SERVFAIL is
/// retried on the other upstream, which is silent. The SERVFAIL (with its
/// Extended DNS Error) is the outcome, never the later timeout, whichever
/// upstream each query tried first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_servfail_retried_into_a_timeout_keeps_its_reason() {
    let failing = servfail_upstream(6).await;
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut cfg = config(vec![failing, silent.local_addr().unwrap()]);
    cfg.probes = vec![Probe::Dnssec];
    cfg.retries = 1;
    cfg.timeout = Duration::from_millis(200);
    let engine = Engine::new(cfg).unwrap();
    for _ in 0..3 {
        let result = engine.probe_domain("bogus.mcdns").await;
        let ev = result.evidence.dnssec.as_ref().unwrap();
        assert_eq!(ev.ds, Lookup::Failed(Failure::ServFail), "{ev:?}");
        assert_eq!(ev.dnskey, Lookup::Failed(Failure::ServFail), "{ev:?}");
        assert_eq!(
            ev.servfail_confirmation,
            Some(Outcome::Failed(Failure::ServFail)),
            "{ev:?}"
        );
        assert_eq!(ev.extended_error, Some(6), "{ev:?}");
    }
}
