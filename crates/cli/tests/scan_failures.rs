//! `mailcensus scan` when something around it is broken: a dead resolver, a
//! pipe, a FIFO nobody writes, an unwritable output. Each must end promptly,
//! say what is wrong, and never record lost data as complete.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::bed::SCAN_DATE;

/// A loopback UDP port where nothing listens.
fn dead_resolver() -> SocketAddr {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap()
}

fn list(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("domains.list");
    let text: String = (0..n).map(|i| format!("d{i}.example\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn scan(input: &Path, resolver: SocketAddr, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailcensus"));
    cmd.arg("scan")
        .arg(input)
        .args(["--resolver", &resolver.to_string()])
        .arg("--out")
        .arg(out)
        .args(["--scan-date", SCAN_DATE])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits for `child` at most `limit`; kills it and fails the test after that.
fn finish_within(mut child: Child, limit: Duration, what: &str) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{what}: still running after {limit:?}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Issue 18 item 6: with nothing listening on the resolver's port, 20
/// domains took 376 s and the run exited 0 with every row `error`. A probe
/// before the scan finds that no resolver answers: exit 2, no output.
#[test]
fn a_dead_resolver_is_found_before_scanning_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let dead = dead_resolver();
    let child = scan(&list(dir.path(), 20), dead, &out).spawn().unwrap();
    let output = finish_within(child, Duration::from_secs(20), "scan with a dead resolver");
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&dead.to_string()),
        "names the resolver: {text}"
    );
    assert!(text.contains("no resolver answered"), "{text}");
    assert!(
        !out.join(format!("scan_date={SCAN_DATE}")).exists(),
        "a run was created"
    );
}
