//! Truncated answers over pooled, pipelined TCP (RFC 7766): against Knot and
//! Unbound, across a server restart, and against hostile test peers on
//! loopback that close connections or answer out of order and wrongly.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a failed unwrap is a failed test

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use mailcensus_dns::{Engine, TCP_CONNECTIONS_PER_UPSTREAM};
use mailcensus_posture::{Failure, Lookup, TxtRecord};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

use common::{config, knot, knot_and_unbound};

/// `big.mcdns` holds one TXT record of 8 × 60 × 3 characters: larger than
/// our 1,232-byte EDNS buffer, so every UDP answer is truncated.
fn is_big(lookup: &Lookup<TxtRecord>) -> bool {
    lookup
        .records()
        .first()
        .is_some_and(|r| r.joined().len() == 8 * 180 && r.joined().starts_with("x00"))
}

async fn lookups(engine: &Engine, names: Vec<String>) -> Vec<(String, Lookup<TxtRecord>)> {
    let tasks: Vec<_> = names
        .into_iter()
        .map(|name| {
            let engine = engine.clone();
            tokio::spawn(async move {
                let lookup = engine.lookup_txt(&name).await;
                (name, lookup)
            })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

/// Hundreds of truncated answers share at most the cap of TCP connections
/// (pipelined, not one connection per query), each query gets the full
/// answer, and each truncated answer is asked over TCP exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_truncated_answers_share_a_few_pipelined_connections() {
    for through_unbound in [false, true] {
        let bed = if through_unbound {
            knot_and_unbound()
        } else {
            knot()
        };
        let mut cfg = config(vec![bed.resolver()]);
        cfg.timeout = Duration::from_secs(3);
        let engine = Engine::new(cfg).unwrap();
        let total = 200;
        for batch in [total, total / 4] {
            let answers = lookups(&engine, vec!["big.mcdns".to_string(); batch]).await;
            for (name, lookup) in &answers {
                assert!(
                    is_big(lookup),
                    "unbound={through_unbound} {name}: {lookup:?}"
                );
            }
        }
        let stats = engine.stats();
        let label = format!("unbound={through_unbound}: {stats:?}");
        let asked = (total + total / 4) as u64;
        assert!(stats.truncated >= asked, "{label}");
        assert_eq!(stats.sent_tcp, stats.truncated, "{label}");
        assert!(stats.tcp_connections >= 1, "{label}");
        // The second batch reused the first batch's connections.
        assert!(
            stats.tcp_connections <= TCP_CONNECTIONS_PER_UPSTREAM as u64,
            "{label}"
        );
        assert_eq!(stats.transport_errors, 0, "{label}");
    }
}

/// Knot killed and restarted between two batches: its connections die with
/// it, the pool notices at once, and the second batch is answered over new
/// ones, nothing lost and nothing failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_of_a_restarted_server_are_replaced() {
    let mut bed = knot();
    let mut cfg = config(vec![bed.resolver()]);
    cfg.timeout = Duration::from_secs(2);
    cfg.retries = 3;
    let engine = Engine::new(cfg).unwrap();
    for (name, lookup) in lookups(&engine, vec!["big.mcdns".to_string(); 40]).await {
        assert!(is_big(&lookup), "{name}: {lookup:?}");
    }
    let before = engine.stats();
    let mut server = bed.knot;
    server = tokio::task::spawn_blocking(move || {
        server.restart().unwrap();
        server
    })
    .await
    .unwrap();
    bed.knot = server;
    for (name, lookup) in lookups(&engine, vec!["big.mcdns".to_string(); 40]).await {
        assert!(is_big(&lookup), "{name}: {lookup:?}");
    }
    let after = engine.stats();
    // The dead connections were dropped when the server closed them, not
    // discovered by the second batch's queries failing on them.
    assert_eq!(after.transport_errors, before.transport_errors, "{after:?}");
    assert_eq!(after.timeouts, 0, "{after:?}");
    assert!(
        after.tcp_connections > before.tcp_connections,
        "no new connection after the restart: {before:?} → {after:?}"
    );
    assert!(
        after.tcp_connections <= before.tcp_connections + 2 * TCP_CONNECTIONS_PER_UPSTREAM as u64,
        "{after:?}"
    );
}

/// A test peer on one loopback port: UDP answers every query with TC=1 (no
/// records), so the engine repeats it over TCP, where `tcp` handles each
/// accepted connection (with its sequence number).
struct TcPeer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for TcPeer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl TcPeer {
    async fn start<F, Fut>(tcp: F) -> TcPeer
    where
        F: Fn(TcpStream, usize) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        TcPeer::start_with_udp(truncated_answer, tcp).await
    }

    /// As [`TcPeer::start`], with `udp` making each UDP answer.
    async fn start_with_udp<F, Fut>(udp_answer: fn(&Message) -> Vec<u8>, tcp: F) -> TcPeer
    where
        F: Fn(TcpStream, usize) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        // The UDP port is free; its TCP twin almost always is too.
        let mut bound = None;
        for _ in 0..20 {
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            if let Ok(listener) = TcpListener::bind(udp.local_addr().unwrap()).await {
                bound = Some((udp, listener));
                break;
            }
        }
        let (udp, listener) = bound.expect("no port free for both UDP and TCP");
        let addr = udp.local_addr().unwrap();
        let truncating = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok((len, client)) = udp.recv_from(&mut buf).await {
                let Ok(query) = Message::from_vec(&buf[..len]) else {
                    continue;
                };
                let _ = udp.send_to(&udp_answer(&query), client).await;
            }
        });
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let acceptor = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seq = counter.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(tcp(stream, seq));
            }
        });
        TcPeer {
            addr,
            accepted,
            tasks: vec![truncating, acceptor],
        }
    }
}

/// TC=1 and no records: "ask me over TCP".
fn truncated_answer(query: &Message) -> Vec<u8> {
    let mut response = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    response.metadata.truncation = true;
    response.add_query(query.queries[0].clone());
    response.to_vec().unwrap()
}

async fn read_query(stream: &mut TcpStream) -> Option<Message> {
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix).await.ok()?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut body).await.ok()?;
    Message::from_vec(&body).ok()
}

/// A length-prefixed answer to `query` (id and type) about `name`, whose TXT
/// says `text`.
fn framed_answer(id: u16, name: &str, text: &str) -> Vec<u8> {
    let mut response = Message::new(id, MessageType::Response, OpCode::Query);
    response.metadata.recursion_available = true;
    let name = Name::from_ascii(name).unwrap();
    response.add_query(Query::query(name.clone(), RecordType::TXT));
    response.add_answer(Record::from_rdata(
        name,
        60,
        RData::TXT(TXT::new(vec![text.to_string()])),
    ));
    let body = response.to_vec().unwrap();
    let mut bytes = u16::try_from(body.len()).unwrap().to_be_bytes().to_vec();
    bytes.extend_from_slice(&body);
    bytes
}

fn question(query: &Message) -> String {
    query.queries[0].name.to_ascii()
}

fn single(text: &str) -> Lookup<TxtRecord> {
    Lookup::Records(vec![TxtRecord::single(text)])
}

/// A server that ignores our EDNS0 buffer size and sends a 6,000-byte UDP
/// answer without TC: more than the engine's receive buffer holds, so the
/// datagram arrives cut. The cut answer is never read (its records would be
/// missing); it is taken as truncated and the query is asked over TCP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_udp_answer_is_asked_again_over_tcp() {
    fn oversized(query: &Message) -> Vec<u8> {
        let mut response = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
        let name = query.queries[0].name.clone();
        response.add_query(query.queries[0].clone());
        let strings = (0..30).map(|k| format!("{k:0>200}")).collect();
        response.add_answer(Record::from_rdata(name, 60, RData::TXT(TXT::new(strings))));
        let bytes = response.to_vec().unwrap();
        assert!(bytes.len() > 6000);
        bytes
    }
    let peer = TcPeer::start_with_udp(oversized, |mut stream, _| async move {
        while let Some(query) = read_query(&mut stream).await {
            let name = question(&query);
            let answer = framed_answer(query.metadata.id, &name, "over tcp");
            if stream.write_all(&answer).await.is_err() {
                return;
            }
        }
    })
    .await;
    let mut cfg = config(vec![peer.addr]);
    cfg.timeout = Duration::from_secs(5);
    let engine = Engine::new(cfg).unwrap();
    assert_eq!(engine.lookup_txt("big.mcdns").await, single("over tcp"));
    let stats = engine.stats();
    assert_eq!(stats.truncated, 1, "{stats:?}");
    assert_eq!(stats.sent_tcp, 1, "{stats:?}");
    assert_eq!(stats.malformed, 0, "{stats:?}");
}

/// A server that answers one query per connection and closes it (as a
/// server does after its per-connection query limit): every query is still
/// answered, over as many connections as it takes; a query caught on a
/// connection the server closed fails as a transport failure and its retry
/// opens a fresh one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_closing_after_each_answer_loses_no_query() {
    let peer = TcPeer::start(|mut stream, _| async move {
        if let Some(query) = read_query(&mut stream).await {
            let name = question(&query);
            let _ = stream
                .write_all(&framed_answer(query.metadata.id, &name, &name))
                .await;
        }
        // Dropped: closed after one answer.
    })
    .await;
    let mut cfg = config(vec![peer.addr]);
    cfg.timeout = Duration::from_secs(3);
    cfg.retries = 2;
    let engine = Engine::new(cfg).unwrap();
    let start = Instant::now();
    let total = 12;
    for i in 0..total {
        let name = format!("seq{i}.mcdns");
        let lookup = engine.lookup_txt(&name).await;
        assert_eq!(lookup, single(&format!("{name}.")));
    }
    let stats = engine.stats();
    assert!(stats.tcp_connections >= total, "{stats:?}");
    assert_eq!(
        stats.tcp_connections,
        peer.accepted.load(Ordering::Relaxed) as u64
    );
    // Each transport failure was retried; none waited for a timeout.
    assert_eq!(stats.timeouts, 0, "{stats:?}");
    assert_eq!(stats.retries, stats.transport_errors, "{stats:?}");
    assert!(start.elapsed() < Duration::from_secs(3), "{stats:?}");
}

/// A server that reads the first connection's three pipelined queries and
/// closes it unanswered: the three fail at once as transport failures (not
/// after the timeout), are retried, and answered on a second connection.
/// Without retries, the failure is reported as such, never as absence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_outstanding_on_a_closed_connection_are_retried() {
    for retries in [1, 0] {
        let peer = TcPeer::start(|mut stream, seq| async move {
            if seq == 0 {
                let deadline = Duration::from_secs(5);
                for _ in 0..3 {
                    if tokio::time::timeout(deadline, read_query(&mut stream))
                        .await
                        .ok()
                        .flatten()
                        .is_none()
                    {
                        break;
                    }
                }
                return;
            }
            while let Some(query) = read_query(&mut stream).await {
                let name = question(&query);
                let _ = stream
                    .write_all(&framed_answer(query.metadata.id, &name, "second"))
                    .await;
            }
        })
        .await;
        let mut cfg = config(vec![peer.addr]);
        cfg.timeout = Duration::from_secs(4);
        cfg.retries = retries;
        let engine = Engine::new(cfg).unwrap();
        let start = Instant::now();
        let names = (0..3).map(|i| format!("p{i}.mcdns")).collect();
        let results = lookups(&engine, names).await;
        let elapsed = start.elapsed();
        let expected = if retries == 0 {
            Lookup::Failed(Failure::Transport)
        } else {
            single("second")
        };
        for (name, lookup) in &results {
            assert_eq!(lookup, &expected, "retries={retries} {name}");
        }
        let stats = engine.stats();
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?} {stats:?}");
        assert_eq!(stats.transport_errors, 3, "{stats:?}");
        assert_eq!(stats.timeouts, 0, "{stats:?}");
        let connections = if retries == 0 { 1 } else { 2 };
        assert_eq!(stats.tcp_connections, connections, "{stats:?}");
        assert_eq!(peer.accepted.load(Ordering::Relaxed), connections as usize);
    }
}

/// A hostile server with five pipelined queries on one connection: it
/// answers in reverse order (RFC 7766 §7), in upper case (RFC 4343), and
/// slips in an answer with an id nobody asked, one with `q1`'s id but `q2`'s
/// question and text, and bytes too short to be DNS. Each query gets its own
/// answer; `q1`, never answered truthfully, times out and never gets `q2`'s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_answers_out_of_order_and_hostile_ones_reach_only_their_query() {
    let peer = TcPeer::start(|mut stream, _| async move {
        let mut held = Vec::new();
        let deadline = Duration::from_secs(5);
        while held.len() < 5 {
            match tokio::time::timeout(deadline, read_query(&mut stream)).await {
                Ok(Some(query)) => held.push(query),
                _ => return,
            }
        }
        held.sort_by_key(question);
        let ids: Vec<u16> = held.iter().map(|q| q.metadata.id).collect();
        let unused = (0..=u16::MAX).find(|id| !ids.contains(id)).unwrap();
        let mut out = framed_answer(unused, "q0.mcdns.", "nobody asked");
        out.extend(framed_answer(ids[1], "q2.mcdns.", "answer for q2.mcdns."));
        out.extend([0, 3, 0xde, 0xad, 0xbe]);
        for query in held.iter().rev().filter(|q| q.metadata.id != ids[1]) {
            let name = question(query);
            let text = format!("answer for {name}");
            out.extend(framed_answer(
                query.metadata.id,
                &name.to_ascii_uppercase(),
                &text,
            ));
        }
        stream.write_all(&out).await.unwrap();
        // Held open: q1 must time out, not fail with the connection.
        tokio::time::sleep(Duration::from_secs(10)).await;
    })
    .await;
    let mut cfg = config(vec![peer.addr]);
    cfg.timeout = Duration::from_millis(1500);
    cfg.retries = 0;
    let engine = Engine::new(cfg).unwrap();
    let names = (0..5).map(|i| format!("q{i}.mcdns")).collect();
    for (name, lookup) in lookups(&engine, names).await {
        if name == "q1.mcdns" {
            assert_eq!(lookup, Lookup::Failed(Failure::Timeout), "{name}");
        } else {
            assert_eq!(lookup, single(&format!("answer for {name}.")), "{name}");
        }
    }
    let stats = engine.stats();
    assert_eq!(stats.tcp_connections, 1, "{stats:?}");
    assert_eq!(stats.sent_tcp, 5, "{stats:?}");
    assert_eq!(stats.mismatched, 1, "{stats:?}");
    assert_eq!(stats.unsolicited, 2, "{stats:?}");
    // Five truncated UDP answers and four TCP answers.
    assert_eq!(stats.accepted, 5 + 4, "{stats:?}");
    assert_eq!(stats.timeouts, 1, "{stats:?}");
}
