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

/// Runs `mailcensus scan <input> …` through bash, so that process
/// substitution and redirections are the shell's.
fn scan_in_shell(script_args: &str, resolver: SocketAddr, out: &Path) -> Output {
    let script = format!(
        "exec {} scan {script_args} --resolver {resolver} --out {} --scan-date {SCAN_DATE} --timeout-ms 800",
        env!("CARGO_BIN_EXE_mailcensus"),
        out.display()
    );
    let child = Command::new("bash")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish_within(child, Duration::from_secs(60), script_args)
}

/// Issue 18 item 2: `scan -` failed with "cannot open input -";
/// `scan /dev/stdin < file` and `scan <(cat list)` scanned 0 domains and
/// exited 0 with a complete manifest, because fingerprinting the input
/// consumed the pipe first. A stream is now fingerprinted while it is read,
/// and its hash and size are recorded at the end.
#[test]
fn stdin_pipes_and_process_substitution_scan_every_domain() {
    let bed = common::bed::Bed::start(50);
    let list = bed.list();
    let size = std::fs::metadata(&list).unwrap().len();
    for (i, args) in [
        format!("- < {}", list.display()),
        format!("/dev/stdin < {}", list.display()),
        format!("<(cat {})", list.display()),
        format!("/dev/stdin <<< \"$(cat {})\"", list.display()),
    ]
    .iter()
    .enumerate()
    {
        let out = bed.dir.path().join(format!("out{i}"));
        let output = scan_in_shell(args, bed.resolver(), &out);
        let text = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args}: {text}");
        let m = common::bed::manifest(&out);
        assert_eq!(m["rows"], 50, "{args}: {text}");
        assert_eq!(m["complete"], true, "{args}");
        let input = &m["inputs"][0];
        let fingerprint = input["fingerprint"].as_str().unwrap();
        if args.starts_with("- <") || args.starts_with("<(") {
            // A pipe or stdin: hashed while read, recorded at the end.
            assert!(fingerprint.starts_with("xxh3-stream:"), "{args}: {input}");
            assert_eq!(input["size"], size, "{args}");
        }
    }
}

/// Issue 18 item 2: `--resume` of a run read from stdin says plainly that
/// it cannot verify the input (and continues after what was written).
#[test]
fn resuming_a_stdin_run_says_it_cannot_verify_the_input() {
    use std::io::Write;
    let bed = common::bed::Bed::start(50);
    // Half a gzip of the list: the first run stops on it, incomplete.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(std::fs::read(bed.list()).unwrap().as_slice())
        .unwrap();
    let bytes = gz.finish().unwrap();
    let cut = bed.dir.path().join("cut.list.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let out = bed.dir.path().join("out");
    let args = format!("- --format list < {}", cut.display());
    let first = scan_in_shell(&args, bed.resolver(), &out);
    assert!(!first.status.success());
    assert_eq!(common::bed::manifest(&out)["complete"], false);
    let second = scan_in_shell(&format!("{args} --resume"), bed.resolver(), &out);
    let text = String::from_utf8_lossy(&second.stderr);
    assert!(text.contains("cannot verify"), "{text}");
    assert!(text.contains("resuming after"), "{text}");
    assert_eq!(common::bed::manifest(&out)["complete"], false);
}

/// Issue 18 item 2: a FIFO with no writer hung and ignored the first
/// SIGTERM. Now the stop ends the scan at once (nothing is in flight), the
/// run is left incomplete, and the exit status is 130.
#[test]
fn a_fifo_with_no_writer_stops_on_the_first_sigterm() {
    let bed = common::bed::Bed::start(50);
    let fifo = bed.dir.path().join("input.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success(),
        "mkfifo"
    );
    let out = bed.dir.path().join("out");
    let child = scan(&fifo, bed.resolver(), &out).spawn().unwrap();
    // Past the probe and into the scan, waiting on the FIFO.
    let manifest = out.join(format!("scan_date={SCAN_DATE}/_manifest-00000.json"));
    let started = Instant::now();
    while !manifest.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let output = finish_within(
        child,
        Duration::from_secs(10),
        "scan of a FIFO after SIGTERM",
    );
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{text}");
    assert_eq!(common::bed::manifest(&out)["complete"], false);
}

/// Issue 18: an unwritable `--summary-json` path was found only after the
/// whole scan. Every output path is checked before the first query (here the
/// resolver is dead: reaching the probe would say so instead).
#[test]
fn an_unwritable_summary_json_path_is_found_before_the_first_query() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let summary = dir.path().join("no-such-dir/summary.json");
    let child = scan(&list(dir.path(), 5), dead_resolver(), &out)
        .arg("--summary-json")
        .arg(&summary)
        .spawn()
        .unwrap();
    let output = finish_within(
        child,
        Duration::from_secs(20),
        "scan with a bad summary path",
    );
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("no-such-dir/summary.json"), "{text}");
    assert!(
        !text.contains("no resolver answered"),
        "probed first: {text}"
    );
    assert!(!out.join(format!("scan_date={SCAN_DATE}")).exists());
}
