//! Unit tests of the pipelined TCP connection, against loopback peers.

use super::*;
use crate::wire::{Question, WireName};
use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{Name, RecordType};
use hickory_proto::rr::{RData, Record};
use tokio::net::TcpListener;
use tokio::sync::Mutex as AsyncMutex;

fn spec(name: &str) -> QuerySpec {
    QuerySpec {
        question: Question::new(&WireName::from_text(name).unwrap(), RecordType::TXT),
        dnssec_ok: false,
        checking_disabled: false,
    }
}

/// An answer to `query` whose TXT names the question it answers.
fn answer(query: &Message) -> Vec<u8> {
    let mut response = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    let question = query.queries[0].clone();
    let text = question.name.to_ascii();
    response.add_answer(Record::from_rdata(
        question.name.clone(),
        60,
        RData::TXT(TXT::new(vec![text])),
    ));
    response.add_query(question);
    let body = response.to_vec().unwrap();
    let mut bytes = u16::try_from(body.len()).unwrap().to_be_bytes().to_vec();
    bytes.extend_from_slice(&body);
    bytes
}

async fn read_query(stream: &mut TcpStream) -> Option<Message> {
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix).await.ok()?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut body).await.ok()?;
    Message::from_vec(&body).ok()
}

fn question_of(message: &Message) -> String {
    message.queries[0].name.to_ascii()
}

fn text_of(reply: &Reply) -> String {
    let message = reply.as_ref().unwrap();
    match &message.answers[0] {
        RData::TXT(txt) => txt.to_string(),
        other => panic!("not TXT: {other:?}"),
    }
}

/// What the test server saw.
#[derive(Default)]
struct Seen {
    connections: usize,
    /// The most queries one connection had sent and not yet had answered.
    max_outstanding: usize,
    queries: usize,
}

/// A server that holds each connection's queries until it has
/// [`IN_FLIGHT_PER_CONNECTION`] of them or the client pauses, then answers
/// them in reverse order (RFC 7766 §7 allows any order).
async fn reverse_server(listener: TcpListener, seen: Arc<AsyncMutex<Seen>>) {
    while let Ok((mut stream, _)) = listener.accept().await {
        seen.lock().await.connections += 1;
        let seen = Arc::clone(&seen);
        tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let wait = Duration::from_millis(50);
                match tokio::time::timeout(wait, read_query(&mut stream)).await {
                    Ok(Some(query)) => {
                        held.push(query);
                        let mut seen = seen.lock().await;
                        seen.queries += 1;
                        seen.max_outstanding = seen.max_outstanding.max(held.len());
                        if held.len() < IN_FLIGHT_PER_CONNECTION {
                            continue;
                        }
                    }
                    Ok(None) => return,
                    Err(_) => {}
                }
                let mut out = Vec::new();
                for query in held.drain(..).rev() {
                    out.extend_from_slice(&answer(&query));
                }
                if stream.write_all(&out).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Far more concurrent queries than one connection carries: they share at
/// most the cap of connections, never exceed the per-connection pipeline
/// depth, wait for slots instead of failing, and each gets its own answer
/// though the server answers in reverse order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_beyond_the_pipeline_wait_for_a_slot_and_get_their_own_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let seen = Arc::new(AsyncMutex::new(Seen::default()));
    let server = tokio::spawn(reverse_server(listener, Arc::clone(&seen)));
    let counters = Arc::new(Counters::default());
    let pool = Arc::new(TcpPool::new(&[upstream], &counters));
    let total = 3 * TCP_CONNECTIONS_PER_UPSTREAM * IN_FLIGHT_PER_CONNECTION;
    let mut tasks = Vec::new();
    for i in 0..total {
        let pool = Arc::clone(&pool);
        tasks.push(tokio::spawn(async move {
            let name = format!("q{i}.mcdns.");
            let reply = pool
                .exchange(upstream, &spec(&name), Duration::from_secs(10))
                .await;
            (name, reply)
        }));
    }
    for task in tasks {
        let (name, reply) = task.await.unwrap();
        assert_eq!(text_of(&reply), name);
    }
    let seen = seen.lock().await;
    assert_eq!(seen.queries, total);
    assert!(
        seen.connections <= TCP_CONNECTIONS_PER_UPSTREAM,
        "{} connections",
        seen.connections
    );
    assert!(
        seen.max_outstanding <= IN_FLIGHT_PER_CONNECTION,
        "{} outstanding on one connection",
        seen.max_outstanding
    );
    assert!(seen.max_outstanding > 1, "queries were not pipelined");
    let stats = counters.snapshot(0);
    assert_eq!(stats.sent_tcp, total as u64, "{stats:?}");
    assert_eq!(stats.accepted, total as u64, "{stats:?}");
    assert_eq!(stats.tcp_connections, seen.connections as u64, "{stats:?}");
    assert_eq!(stats.timeouts + stats.transport_errors, 0, "{stats:?}");
    server.abort();
}

/// A connection with nothing outstanding is closed by us after the idle
/// timeout (RFC 7766 §6.2.3), not before; the next query opens another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_and_the_next_query_opens_another() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let (closed_tx, mut closed_rx) = mpsc::channel(4);
    let server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let closed_tx = closed_tx.clone();
            tokio::spawn(async move {
                while let Some(query) = read_query(&mut stream).await {
                    if stream.write_all(&answer(&query)).await.is_err() {
                        return;
                    }
                }
                // End of stream: the client closed the connection.
                let _ = closed_tx.send(Instant::now()).await;
            });
        }
    });
    let counters = Arc::new(Counters::default());
    let idle = Duration::from_millis(300);
    let pool = TcpPool::with_idle_timeout(&[upstream], &counters, idle);
    let timeout = Duration::from_secs(5);
    let reply = pool.exchange(upstream, &spec("a.mcdns."), timeout).await;
    let answered = Instant::now();
    assert_eq!(text_of(&reply), "a.mcdns.");
    // Used again before the idle timeout: the same connection.
    tokio::time::sleep(idle / 3).await;
    let reply = pool.exchange(upstream, &spec("b.mcdns."), timeout).await;
    let answered_again = Instant::now();
    assert_eq!(text_of(&reply), "b.mcdns.");
    assert_eq!(counters.snapshot(0).tcp_connections, 1);
    let closed = tokio::time::timeout(Duration::from_secs(5), closed_rx.recv())
        .await
        .expect("the idle connection was never closed")
        .unwrap();
    assert!(
        closed.duration_since(answered_again) >= idle - Duration::from_millis(20),
        "closed {:?} after its last answer",
        closed.duration_since(answered_again)
    );
    assert!(closed.duration_since(answered) < Duration::from_secs(3));
    let reply = pool.exchange(upstream, &spec("c.mcdns."), timeout).await;
    assert_eq!(text_of(&reply), "c.mcdns.");
    assert_eq!(counters.snapshot(0).tcp_connections, 2);
    server.abort();
}

/// A server that reads queries and closes without answering fails them
/// as transport failures at once (for the engine to retry), not after
/// the timeout; a refused connection does the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_closed_with_queries_outstanding_fails_them_as_transport() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        for _ in 0..3 {
            read_query(&mut stream).await.unwrap();
        }
        drop(stream);
        // Later connections: answered.
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                while let Some(query) = read_query(&mut stream).await {
                    let _ = stream.write_all(&answer(&query)).await;
                }
            });
        }
    });
    let counters = Arc::new(Counters::default());
    let pool = Arc::new(TcpPool::new(&[upstream], &counters));
    let timeout = Duration::from_secs(10);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..3 {
        let pool = Arc::clone(&pool);
        tasks.push(tokio::spawn(async move {
            pool.exchange(upstream, &spec(&format!("q{i}.mcdns.")), timeout)
                .await
        }));
    }
    for task in tasks {
        assert!(matches!(task.await.unwrap(), Err(TransportError::Closed)));
    }
    assert!(start.elapsed() < timeout / 2, "{:?}", start.elapsed());
    let stats = counters.snapshot(0);
    assert_eq!(stats.transport_errors, 3, "{stats:?}");
    assert_eq!(stats.timeouts, 0, "{stats:?}");
    let reply = pool
        .exchange(upstream, &spec("again.mcdns."), timeout)
        .await;
    assert_eq!(text_of(&reply), "again.mcdns.");
    assert_eq!(counters.snapshot(0).tcp_connections, 2);
    server.abort();

    // Nothing listens on a port we just held: connection refused.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let pool = TcpPool::new(&[closed], &counters);
    let start = Instant::now();
    let reply = pool.exchange(closed, &spec("a.mcdns."), timeout).await;
    assert!(matches!(reply, Err(TransportError::Closed)));
    assert!(start.elapsed() < timeout / 2, "{:?}", start.elapsed());
}

/// Answers on one connection are matched to that connection's queries
/// only: a frame too short for a header, an id nobody waits for, the
/// right id with another question or QR=0 are counted and dropped, the
/// query they aimed at times out (while a bystander on the same
/// connection gets its answer, so the connection is not stuck), and an
/// answer that comes after its query timed out counts as late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_frames_are_counted_and_never_complete_a_query() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let (queries_tx, mut queries_rx) = mpsc::channel::<Message>(4);
    let (frames_tx, mut frames_rx) = mpsc::channel::<Vec<u8>>(16);
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        tokio::spawn(async move {
            while let Some(bytes) = frames_rx.recv().await {
                writer.write_all(&bytes).await.unwrap();
            }
        });
        loop {
            let mut prefix = [0u8; 2];
            if reader.read_exact(&mut prefix).await.is_err() {
                return;
            }
            let mut body = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
            reader.read_exact(&mut body).await.unwrap();
            queries_tx
                .send(Message::from_vec(&body).unwrap())
                .await
                .unwrap();
        }
    });
    let counters = Arc::new(Counters::default());
    let pool = Arc::new(TcpPool::new(&[upstream], &counters));
    let ask = |name: &'static str, timeout: Duration| {
        let pool = Arc::clone(&pool);
        tokio::spawn(async move { pool.exchange(upstream, &spec(name), timeout).await })
    };
    let victim = ask("victim.mcdns.", Duration::from_millis(600));
    let first = queries_rx.recv().await.unwrap();
    let bystander = ask("bystander.mcdns.", Duration::from_secs(5));
    let second = queries_rx.recv().await.unwrap();
    let (query, other) = if question_of(&first) == "victim.mcdns." {
        (first, second)
    } else {
        (second, first)
    };
    let id = query.metadata.id;
    let mut other_id = Message::from_vec(&query.to_vec().unwrap()).unwrap();
    other_id.metadata.id = (0..=u16::MAX)
        .find(|candidate| *candidate != id && *candidate != other.metadata.id)
        .unwrap();
    let mut other_question = Message::new(id, MessageType::Query, OpCode::Query);
    other_question.add_query(Query::query(
        Name::from_ascii("other.mcdns.").unwrap(),
        RecordType::TXT,
    ));
    let mut echoed = query.to_vec().unwrap();
    let echoed_len = u16::try_from(echoed.len()).unwrap().to_be_bytes();
    echoed.splice(0..0, echoed_len);
    for frame in [
        vec![0, 3, 1, 2, 3],
        answer(&other_id),
        answer(&other_question),
        echoed,
        answer(&other),
    ] {
        frames_tx.send(frame).await.unwrap();
    }
    assert_eq!(text_of(&bystander.await.unwrap()), "bystander.mcdns.");
    assert!(matches!(
        victim.await.unwrap(),
        Err(TransportError::Timeout)
    ));
    // Its real answer, after the timeout.
    frames_tx.send(answer(&query)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while counters.snapshot(0).late == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = counters.snapshot(0);
    assert_eq!(stats.unsolicited, 2, "{stats:?}");
    assert_eq!(stats.mismatched, 2, "{stats:?}");
    assert_eq!(stats.late, 1, "{stats:?}");
    assert_eq!(stats.accepted, 1, "{stats:?}");
    assert_eq!(stats.timeouts, 1, "{stats:?}");
    assert_eq!(stats.transport_errors, 0, "{stats:?}");
    assert_eq!(stats.tcp_connections, 1, "{stats:?}");
    server.abort();
}

/// A server that answers once, then keeps reading but never answers
/// again: the next query's timeout, with nothing answered since it was
/// sent, closes the connection; the query pipelined behind it fails as a transport failure
/// then (not at its own, later timeout), and the next query is answered
/// on a fresh connection instead of waiting on the stuck one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_silent_for_a_whole_timeout_is_replaced() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let (closed_tx, mut closed_rx) = mpsc::channel(4);
    let server = tokio::spawn(async move {
        let mut seq = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            let silent = seq == 0;
            seq += 1;
            let closed_tx = closed_tx.clone();
            tokio::spawn(async move {
                let mut answered = 0;
                while let Some(query) = read_query(&mut stream).await {
                    if !silent || answered == 0 {
                        let _ = stream.write_all(&answer(&query)).await;
                        answered += 1;
                    }
                }
                let _ = closed_tx.send(silent).await;
            });
        }
    });
    let counters = Arc::new(Counters::default());
    let pool = Arc::new(TcpPool::new(&[upstream], &counters));
    let reply = pool
        .exchange(upstream, &spec("w.mcdns."), Duration::from_secs(5))
        .await;
    assert_eq!(text_of(&reply), "w.mcdns.");
    let first = {
        let pool = Arc::clone(&pool);
        tokio::spawn(async move {
            pool.exchange(upstream, &spec("a.mcdns."), Duration::from_millis(400))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    let behind = pool
        .exchange(upstream, &spec("b.mcdns."), Duration::from_secs(10))
        .await;
    assert!(matches!(behind, Err(TransportError::Closed)));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(first.await.unwrap(), Err(TransportError::Timeout)));
    let closed = tokio::time::timeout(Duration::from_secs(5), closed_rx.recv())
        .await
        .expect("the stuck connection was not closed");
    assert_eq!(closed, Some(true));
    let reply = pool
        .exchange(upstream, &spec("c.mcdns."), Duration::from_secs(5))
        .await;
    assert_eq!(text_of(&reply), "c.mcdns.");
    let stats = counters.snapshot(0);
    assert_eq!(stats.tcp_connections, 2, "{stats:?}");
    assert_eq!(stats.timeouts, 1, "{stats:?}");
    assert_eq!(stats.transport_errors, 1, "{stats:?}");
    server.abort();
}

/// An answered query's id is free on its connection at once; the
/// answered query's future, dropped later, must not forget a newer query
/// that drew the same id meanwhile (seen as spurious transport failures
/// and retries under load before registrations carried a token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_query_does_not_forget_a_newer_one_with_its_id() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let counters = Arc::new(Counters::default());
    let pool = TcpPool::new(&[upstream], &counters);
    let conns = &pool.upstreams[0];
    let q = spec("a.mcdns.");
    let registered = conns.register(&q, Duration::from_secs(5)).unwrap();
    let guard = PendingGuard {
        upstream: conns,
        serial: registered.serial,
        id: registered.id,
        token: registered.token,
    };
    let mut query = Message::new(registered.id, MessageType::Query, OpCode::Query);
    query.add_query(Query::query(
        Name::from_ascii("a.mcdns.").unwrap(),
        RecordType::TXT,
    ));
    let answer = answer(&query);
    let body = &answer[2..];
    conns.dispatch(registered.serial, body);
    assert_eq!(text_of(&registered.reply.await.unwrap()), "a.mcdns.");
    // A newer registration that drew the same id (forced: a random draw
    // hits it one time in 65,536).
    let newer = {
        let mut all = conns.conns();
        let conn = all.live.iter_mut().find(|c| c.serial == registered.serial);
        conn.unwrap()
            .pending
            .force(registered.id, (), q.question.clone())
            .1
    };
    drop(guard);
    conns.dispatch(registered.serial, body);
    assert_eq!(text_of(&newer.await.unwrap()), "a.mcdns.");
    assert_eq!(counters.snapshot(0).accepted, 2);
    drop(listener);
}
