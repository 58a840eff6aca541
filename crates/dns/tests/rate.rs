//! Rate caps, observed by a loopback relay in front of Knot that timestamps
//! every query it forwards. Only the server-observed rate is asserted (it must
//! not exceed the cap plus the burst, with a small tolerance); nothing is
//! asserted about how fast the engine is.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a failed unwrap is a failed test

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailcensus_dns::Engine;
use tokio::net::UdpSocket;

use common::{config, knot};

/// Forwards datagrams between clients and `upstream`, recording when each
/// query passed. Stops when the returned handle is aborted.
async fn relay(
    upstream: SocketAddr,
) -> (
    SocketAddr,
    Arc<Mutex<Vec<Instant>>>,
    tokio::task::JoinHandle<()>,
) {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let back = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = front.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let clients: Arc<Mutex<HashMap<u16, SocketAddr>>> = Arc::default();
    let (f, b, s, c) = (front.clone(), back.clone(), seen.clone(), clients.clone());
    let forward = tokio::spawn(async move {
        let mut buf = vec![0u8; 65_535];
        loop {
            let Ok((len, client)) = f.recv_from(&mut buf).await else {
                break;
            };
            s.lock().unwrap().push(Instant::now());
            if len >= 2 {
                c.lock()
                    .unwrap()
                    .insert(u16::from_be_bytes([buf[0], buf[1]]), client);
            }
            let _ = b.send_to(&buf[..len], upstream).await;
        }
    });
    let back_task = tokio::spawn(async move {
        let mut buf = vec![0u8; 65_535];
        loop {
            let Ok((len, _)) = back.recv_from(&mut buf).await else {
                break;
            };
            let client = if len >= 2 {
                clients
                    .lock()
                    .unwrap()
                    .get(&u16::from_be_bytes([buf[0], buf[1]]))
                    .copied()
            } else {
                None
            };
            if let Some(client) = client {
                let _ = front.send_to(&buf[..len], client).await;
            }
        }
    });
    let handle = tokio::spawn(async move {
        let _ = tokio::join!(forward, back_task);
    });
    (addr, seen, handle)
}

/// The largest number of timestamps in any one-second window.
fn max_per_second(times: &[Instant]) -> usize {
    let mut times = times.to_vec();
    times.sort_unstable();
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end].duration_since(times[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

async fn burst_of_lookups(engine: &Engine, count: usize) {
    let mut tasks = Vec::new();
    for i in 0..count {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            engine.lookup_mx(&format!("n{i}.mcdns")).await
        }));
    }
    for task in tasks {
        let lookup = task.await.unwrap();
        assert!(lookup.failure().is_none(), "{lookup:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_cap_holds_at_the_server() {
    let bed = knot();
    let (addr, seen, relay_task) = relay(bed.knot.addr).await;
    let mut cfg = config(vec![addr]);
    cfg.qps = Some(100);
    cfg.rate_burst = Some(5);
    cfg.timeout = Duration::from_secs(2);
    let engine = Engine::new(cfg).unwrap();
    burst_of_lookups(&engine, 160).await;
    let times = seen.lock().unwrap().clone();
    relay_task.abort();
    assert_eq!(
        times.len(),
        160,
        "one query per lookup: {:?}",
        engine.stats()
    );
    let peak = max_per_second(&times);
    // cap + burst, and 5% for timer granularity at the window's edges.
    assert!(peak <= 105 + 5, "server saw {peak} queries in one second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_upstream_cap_holds_at_each_server() {
    let bed = knot();
    let (a, seen_a, task_a) = relay(bed.knot.addr).await;
    let (b, seen_b, task_b) = relay(bed.knot.addr).await;
    let mut cfg = config(vec![a, b]);
    cfg.qps_per_upstream = Some(50);
    cfg.rate_burst = Some(5);
    cfg.timeout = Duration::from_secs(2);
    let engine = Engine::new(cfg).unwrap();
    burst_of_lookups(&engine, 160).await;
    task_a.abort();
    task_b.abort();
    for (name, seen) in [("a", seen_a), ("b", seen_b)] {
        let times = seen.lock().unwrap().clone();
        assert!(!times.is_empty(), "{name} got no traffic");
        let peak = max_per_second(&times);
        assert!(
            peak <= 55 + 3,
            "server {name} saw {peak} queries in one second"
        );
    }
}
