//! Real Knot and Unbound on loopback, serving the pre-signed `tiny` fixture
//! (see testdata/tiny/make.sh for what each delegation is).

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::{kdig, require_servers, testdata, trust_anchors_of, zones_of};
use mailcensus_testbed::{KnotServer, UnboundOptions, UnboundServer};

fn tiny_knot(dir: &tempfile::TempDir) -> KnotServer {
    require_servers();
    KnotServer::start(&zones_of(&testdata("tiny")), &dir.path().join("knot")).unwrap()
}

fn tiny_unbound(knot: &KnotServer, dir: &tempfile::TempDir, anchors: bool) -> UnboundServer {
    let mut opts = UnboundOptions::new(knot.addr);
    opts.stub_zones = vec!["mctest".into()];
    if anchors {
        opts.trust_anchors = trust_anchors_of(&testdata("tiny"));
    }
    UnboundServer::start(&opts, &dir.path().join("unbound")).unwrap()
}

#[test]
fn knot_serves_the_fixture_authoritatively() {
    let dir = tempfile::tempdir().unwrap();
    let knot = tiny_knot(&dir);
    assert!(knot.addr.ip().is_loopback() && knot.addr.port() >= 1024);

    let mx = kdig(knot.addr, "secure.mctest", "MX", &[]);
    assert_eq!(mx.status, "NOERROR", "{}", mx.raw);
    assert!(mx.has_flag("aa"), "{}", mx.raw);
    assert_eq!(mx.rdata("MX"), ["10 mail.secure.mctest."], "{}", mx.raw);

    let nx = kdig(knot.addr, "nothere.mctest", "MX", &[]);
    assert_eq!(nx.status, "NXDOMAIN", "{}", nx.raw);

    let nodata = kdig(knot.addr, "secure.mctest", "AAAA", &[]);
    assert_eq!(nodata.status, "NOERROR", "{}", nodata.raw);
    assert!(nodata.answer.is_empty(), "{}", nodata.raw);
}

#[test]
fn knot_answers_tcp_when_udp_truncates() {
    let dir = tempfile::tempdir().unwrap();
    let knot = tiny_knot(&dir);
    let udp = kdig(
        knot.addr,
        "big.insecure.mctest",
        "TXT",
        &["+notcp", "+ignore", "+bufsize=1232"],
    );
    assert!(udp.has_flag("tc"), "{}", udp.raw);
    let tcp = kdig(knot.addr, "big.insecure.mctest", "TXT", &["+tcp"]);
    assert_eq!(tcp.status, "NOERROR", "{}", tcp.raw);
    assert_eq!(tcp.rdata("TXT").len(), 1, "{}", tcp.raw);
}

#[test]
fn unbound_validates_through_knot() {
    let dir = tempfile::tempdir().unwrap();
    let knot = tiny_knot(&dir);
    let unbound = tiny_unbound(&knot, &dir, true);
    let ctx = || format!("unbound stderr:\n{}", unbound.stderr_tail());

    // Signed child with DS in the signed TLD: secure.
    let secure = kdig(unbound.addr, "secure.mctest", "MX", &["+dnssec"]);
    assert_eq!(secure.status, "NOERROR", "{}{}", secure.raw, ctx());
    assert!(secure.has_flag("ad"), "{}{}", secure.raw, ctx());
    assert_eq!(secure.rdata("MX"), ["10 mail.secure.mctest."]);

    // Unsigned child, NSEC proves no DS: insecure, answered, no AD.
    let insecure = kdig(unbound.addr, "insecure.mctest", "TXT", &["+dnssec"]);
    assert_eq!(insecure.status, "NOERROR", "{}{}", insecure.raw, ctx());
    assert!(!insecure.has_flag("ad"), "{}", insecure.raw);
    assert_eq!(insecure.rdata("TXT"), ["\"v=spf1 mx -all\""]);

    // DS of a key the child does not use, and expired signatures: bogus.
    for bogus in ["bogus.mctest", "expired.mctest"] {
        let r = kdig(unbound.addr, bogus, "MX", &["+dnssec"]);
        assert_eq!(r.status, "SERVFAIL", "{bogus}: {}{}", r.raw, ctx());
        let cd = kdig(unbound.addr, bogus, "MX", &["+dnssec", "+cd"]);
        assert_eq!(cd.status, "NOERROR", "{bogus} +cd: {}{}", cd.raw, ctx());
        assert_eq!(cd.rdata("MX"), [format!("10 mail.{bogus}.")]);
    }

    // NS host in a domain that does not exist: no address to ask, SERVFAIL.
    let noaddr = kdig(unbound.addr, "noaddr.mctest", "MX", &[]);
    assert_eq!(noaddr.status, "SERVFAIL", "{}{}", noaddr.raw, ctx());

    // Delegated to 127.0.0.2:53 where nothing listens: Unbound keeps retrying with
    // back-off, the client sees no answer (and never a NOERROR).
    let lame = kdig(
        unbound.addr,
        "lame.mctest",
        "MX",
        &["+timeout=2", "+retry=0"],
    );
    assert!(
        lame.status.is_empty() || lame.status == "SERVFAIL",
        "{}{}",
        lame.raw,
        ctx()
    );

    // Not delegated: a validated NXDOMAIN.
    let nx = kdig(unbound.addr, "nothere.mctest", "MX", &["+dnssec"]);
    assert_eq!(nx.status, "NXDOMAIN", "{}{}", nx.raw, ctx());
    assert!(nx.has_flag("ad"), "{}", nx.raw);
}

#[test]
fn unbound_without_anchor_answers_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let knot = tiny_knot(&dir);
    let unbound = tiny_unbound(&knot, &dir, false);
    let r = kdig(unbound.addr, "secure.mctest", "MX", &["+dnssec"]);
    assert_eq!(r.status, "NOERROR", "{}", r.raw);
    assert!(!r.has_flag("ad"), "{}", r.raw);
}

#[test]
fn parallel_instances_are_independent() {
    require_servers();
    let dir = tempfile::tempdir().unwrap();
    let zones = zones_of(&testdata("tiny"));
    let servers: Vec<KnotServer> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let zones = &zones;
                let work = dir.path().join(format!("knot{i}"));
                s.spawn(move || KnotServer::start(zones, &work).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ports: Vec<u16> = servers.iter().map(|k| k.addr.port()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 4);
    for k in &servers {
        assert_eq!(kdig(k.addr, "secure.mctest", "MX", &[]).status, "NOERROR");
    }
    // Dropping one leaves the others serving.
    let mut servers = servers;
    let gone = servers.remove(0);
    let gone_addr = gone.addr;
    drop(gone);
    assert_ne!(
        kdig(
            gone_addr,
            "secure.mctest",
            "MX",
            &["+retry=0", "+timeout=1"]
        )
        .status,
        "NOERROR"
    );
    for k in &servers {
        assert_eq!(kdig(k.addr, "secure.mctest", "MX", &[]).status, "NOERROR");
    }
}

#[test]
fn knot_restart_comes_back_on_the_same_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut knot = tiny_knot(&dir);
    let addr = knot.addr;
    let before = knot.pid();
    knot.stop();
    assert_eq!(
        kdig(addr, "secure.mctest", "MX", &["+retry=0", "+timeout=1"]).status,
        ""
    );
    knot.restart().unwrap();
    assert_eq!(knot.addr, addr);
    assert_ne!(knot.pid(), before);
    assert_eq!(kdig(addr, "secure.mctest", "MX", &[]).status, "NOERROR");
}

#[test]
fn testbed_script_starts_is_idempotent_and_stops() {
    require_servers();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/testbed.sh");
    let state = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("bash")
            .arg(&script)
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let zones = testdata("tiny");
    let (zones, st) = (zones.to_str().unwrap(), state.path().to_str().unwrap());
    let (ok, text) = run(&["start", zones, st]);
    assert!(ok, "{text}");
    let addr = |f: &str| -> std::net::SocketAddr {
        std::fs::read_to_string(state.path().join(f))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let (knot, unbound) = (addr("knot.addr"), addr("unbound.addr"));
    // Starting again keeps the running pair.
    let (ok, text) = run(&["start", zones, st]);
    assert!(ok && text.contains("already running"), "{text}");
    assert_eq!(addr("unbound.addr"), unbound);

    assert_eq!(kdig(knot, "secure.mctest", "MX", &[]).status, "NOERROR");
    let secure = kdig(unbound, "secure.mctest", "MX", &["+dnssec"]);
    assert!(secure.has_flag("ad"), "{}", secure.raw);
    assert_eq!(kdig(unbound, "bogus.mctest", "MX", &[]).status, "SERVFAIL");
    assert!(run(&["status", st]).0);

    let (ok, text) = run(&["stop", st]);
    assert!(ok, "{text}");
    assert!(!run(&["status", st]).0);
    assert!(run(&["stop", st]).0, "stop is idempotent");
    assert_eq!(
        kdig(knot, "secure.mctest", "MX", &["+retry=0", "+timeout=1"]).status,
        ""
    );
}
