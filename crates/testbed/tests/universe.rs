//! A generated universe served by Knot and Unbound answers as planted.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::collections::HashMap;

use common::{kdig, require_ldns, require_servers, trust_anchors_of, txt_text, zones_of};
use mailcensus_testbed::universe::{Layout, Truth, UniverseOptions, generate, read_truth};
use mailcensus_testbed::{KnotServer, UnboundOptions, UnboundServer};

fn first<'a>(truth: &'a [Truth], what: &str, f: impl Fn(&Truth) -> bool) -> &'a Truth {
    truth
        .iter()
        .find(|t| f(t))
        .unwrap_or_else(|| panic!("no planted domain: {what}"))
}

/// MX hosts as the contract lists them: preference order, then name.
fn mx_hosts(answer: &[String]) -> Vec<String> {
    let mut mx: Vec<(u16, String)> = answer
        .iter()
        .map(|r| {
            let (pref, host) = r.split_once(' ').unwrap();
            (
                pref.parse().unwrap(),
                host.trim_end_matches('.').to_ascii_lowercase(),
            )
        })
        .filter(|(_, h)| !h.is_empty())
        .collect();
    mx.sort();
    mx.into_iter().map(|(_, h)| h).collect()
}

#[test]
fn planted_universe_answers_as_planted_through_unbound() {
    require_servers();
    require_ldns();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("universe");
    let g = generate(&UniverseOptions::new(500, 11), &out).unwrap();
    assert_eq!((g.domains, g.layout), (500, Layout::Zones));
    assert!(g.signed_children >= 6);
    let truth = read_truth(&out.join("truth.jsonl")).unwrap();
    assert_eq!(truth.len(), 500);

    let knot = KnotServer::start(&zones_of(&out), &dir.path().join("knot")).unwrap();
    let mut opts = UnboundOptions::new(knot.addr);
    opts.stub_zones = vec!["mctest".into()];
    opts.trust_anchors = trust_anchors_of(&out);
    let unbound = UnboundServer::start(&opts, &dir.path().join("unbound")).unwrap();
    let ub = unbound.addr;
    let ctx = || format!("\nunbound stderr:\n{}", unbound.stderr_tail());

    // Secure: AD on the keys, of the planted algorithm.
    let secure = first(&truth, "secure", |t| t.dnssec_status == "secure");
    let keys = kdig(ub, &secure.domain, "DNSKEY", &["+dnssec"]);
    assert!(keys.has_flag("ad"), "{}{}", keys.raw, ctx());
    let algs: Vec<u8> = keys
        .rdata("DNSKEY")
        .iter()
        .map(|r| r.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(algs, secure.dnssec_algorithms, "{}", keys.raw);

    // Bogus: SERVFAIL, but the data is there with checking disabled.
    let bogus = first(&truth, "bogus", |t| t.dnssec_status == "bogus");
    assert_eq!(bogus.mx_status, "error");
    assert_eq!(
        kdig(ub, &bogus.domain, "SOA", &["+dnssec"]).status,
        "SERVFAIL",
        "{}",
        ctx()
    );
    let cd = kdig(ub, &bogus.domain, "SOA", &["+dnssec", "+cd"]);
    assert_eq!(
        (cd.status.as_str(), cd.rdata("SOA").len()),
        ("NOERROR", 1),
        "{}",
        cd.raw
    );

    // Lame (NS host in a domain that does not exist): SERVFAIL on every probe.
    let lame = first(&truth, "lame", |t| {
        t.resolution == "error" && t.ns_hosts.iter().any(|h| h.contains("gone-dns"))
    });
    assert_eq!(lame.dnssec_status, "error");
    for (name, rtype) in [
        (lame.domain.clone(), "MX"),
        (format!("_dmarc.{}", lame.domain), "TXT"),
    ] {
        assert_eq!(
            kdig(ub, &name, rtype, &[]).status,
            "SERVFAIL",
            "{name}{}",
            ctx()
        );
    }

    // In the dump, gone from the zone.
    let nx = first(&truth, "nxdomain", |t| t.resolution == "nxdomain");
    let r = kdig(ub, &nx.domain, "MX", &["+dnssec"]);
    assert_eq!(r.status, "NXDOMAIN", "{}", r.raw);
    assert!(r.has_flag("ad"), "the signed TLD proves it: {}", r.raw);

    // Every resolvable domain among the first 60: MX, SPF and DMARC as planted.
    let mut checked: HashMap<&str, usize> = HashMap::new();
    for t in truth.iter().filter(|t| t.resolution == "ok").take(60) {
        let mx = kdig(ub, &t.domain, "MX", &[]);
        assert_eq!(mx.status, "NOERROR", "{}: {}{}", t.domain, mx.raw, ctx());
        assert_eq!(mx_hosts(&mx.rdata("MX")), t.mx_hosts, "{}", t.domain);
        if t.mx_status == "null_mx" {
            assert_eq!(mx.rdata("MX"), ["0 ."], "{}", t.domain);
        }
        if t.mx_status == "absent" {
            assert!(mx.answer.is_empty(), "{}", mx.raw);
        }
        let apex = kdig(ub, &t.domain, "TXT", &[]);
        let texts: Vec<String> = apex.rdata("TXT").iter().map(|r| txt_text(r)).collect();
        let spf: Vec<&String> = texts
            .iter()
            .filter(|x| x.to_ascii_lowercase().starts_with("v=spf1"))
            .collect();
        match t.spf_status.as_str() {
            "valid" => assert_eq!(spf, [t.spf_record.as_ref().unwrap()], "{}", t.domain),
            "absent" => assert!(
                spf.iter()
                    .all(|x| !x.starts_with("v=spf1 ") && x.as_str() != "v=spf1"),
                "{}",
                t.domain
            ),
            _ => assert!(!texts.is_empty(), "{}", t.domain),
        }
        let dmarc = kdig(ub, &format!("_dmarc.{}", t.domain), "TXT", &[]);
        let dtexts: Vec<String> = dmarc.rdata("TXT").iter().map(|r| txt_text(r)).collect();
        match t.dmarc_status.as_str() {
            "valid" => assert_eq!(dtexts, [t.dmarc_record.clone().unwrap()], "{}", t.domain),
            "absent" => assert!(dtexts.is_empty(), "{}", t.domain),
            _ => assert!(!dtexts.is_empty(), "{}", t.domain),
        }
        let dkim = kdig(ub, &format!("_domainkey.{}", t.domain), "TXT", &[]);
        let want = if t.dkim_status == "likely" {
            "NOERROR"
        } else {
            "NXDOMAIN"
        };
        assert_eq!(dkim.status, want, "{}: {}", t.domain, dkim.raw);
        *checked.entry(t.spf_status.as_str()).or_default() += 1;
    }
    assert!(
        checked.get("valid").copied().unwrap_or(0) > 10,
        "{checked:?}"
    );

    // External DMARC report destinations: authorised by wildcard, or not at all.
    let auth = first(&truth, "authorised rua", |t| {
        t.dmarc_rua_authorized == Some(true)
    });
    let unauth = first(&truth, "unauthorised rua", |t| {
        t.dmarc_rua_authorized == Some(false)
    });
    for (t, want) in [(auth, "NOERROR"), (unauth, "NXDOMAIN")] {
        let host = t
            .dmarc_rua
            .iter()
            .filter_map(|u| u.split_once('@').map(|(_, h)| h.to_owned()))
            .find(|h| !h.ends_with(&t.domain))
            .unwrap();
        let r = kdig(
            ub,
            &format!("{}._report._dmarc.{host}", t.domain),
            "TXT",
            &[],
        );
        assert_eq!(r.status, want, "{}", r.raw);
    }

    // DANE valid: every MX host has a TLSA RRset.
    let dane = first(&truth, "dane valid", |t| t.dane_status == "valid");
    for host in &dane.mx_hosts {
        let r = kdig(ub, &format!("_25._tcp.{host}"), "TLSA", &[]);
        assert_eq!(r.rdata("TLSA").len(), 1, "{host}: {}", r.raw);
    }

    // Parked: null MX, `v=spf1 -all`, DMARC p=reject.
    let parked = first(&truth, "parked", |t| t.parked);
    assert_eq!(
        (
            parked.mx_status.as_str(),
            parked.spf_record.as_deref(),
            parked.dmarc_p.as_deref()
        ),
        ("null_mx", Some("v=spf1 -all"), Some("reject"))
    );
}

#[test]
fn dump_lists_every_truth_domain_with_its_name_servers() {
    require_ldns();
    let dir = tempfile::tempdir().unwrap();
    generate(
        &UniverseOptions {
            signed: Some(6),
            ..UniverseOptions::new(200, 5)
        },
        dir.path(),
    )
    .unwrap();
    let truth = read_truth(&dir.path().join("truth.jsonl")).unwrap();
    let dump = std::fs::read_to_string(dir.path().join("dump.zone")).unwrap();
    let mut ns: HashMap<String, Vec<String>> = HashMap::new();
    let mut ds = 0;
    for line in dump
        .lines()
        .filter(|l| !l.starts_with(';') && !l.starts_with('$'))
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.get(3) == Some(&"NS") && f[0] != "mctest." {
            ns.entry(f[0].trim_end_matches('.').to_owned())
                .or_default()
                .push(f[4].trim_end_matches('.').to_owned());
        }
        ds += usize::from(f.get(3) == Some(&"DS"));
    }
    assert_eq!(ns.len(), truth.len());
    for t in &truth {
        assert_eq!(ns.get(&t.domain), Some(&t.ns_hosts), "{}", t.domain);
    }
    // Secure and bogus children publish DS; islands do not.
    let with_ds = truth
        .iter()
        .filter(|t| matches!(t.dnssec_status.as_str(), "secure" | "bogus"))
        .count();
    assert_eq!(ds, with_ds);
    // Same seed, same truth (signatures differ, the plan does not).
    let again = tempfile::tempdir().unwrap();
    generate(
        &UniverseOptions {
            signed: Some(6),
            ..UniverseOptions::new(200, 5)
        },
        again.path(),
    )
    .unwrap();
    assert_eq!(
        read_truth(&again.path().join("truth.jsonl")).unwrap(),
        truth
    );
}

#[test]
fn flat_layout_serves_every_domain_from_one_zone() {
    require_servers();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flat");
    let opts = UniverseOptions {
        layout: Some(Layout::Flat),
        dead_lame: Some(1),
        ..UniverseOptions::new(300, 2)
    };
    let g = generate(&opts, &out).unwrap();
    assert_eq!((g.zones, g.signed_children), (1, 0));
    assert!(!out.join("trust-anchors").exists());
    let truth = read_truth(&out.join("truth.jsonl")).unwrap();
    assert!(
        truth
            .iter()
            .all(|t| t.dnssec_status != "secure" && t.dnssec_status != "bogus")
    );
    let knot = KnotServer::start(&zones_of(&out), &dir.path().join("knot")).unwrap();
    for t in truth.iter().filter(|t| t.resolution == "ok").take(25) {
        let mx = kdig(knot.addr, &t.domain, "MX", &[]);
        assert!(mx.has_flag("aa"), "{}", mx.raw);
        assert_eq!(mx_hosts(&mx.rdata("MX")), t.mx_hosts, "{}", t.domain);
    }
    let nx = first(&truth, "nxdomain", |t| t.resolution == "nxdomain");
    assert_eq!(kdig(knot.addr, &nx.domain, "MX", &[]).status, "NXDOMAIN");
    // A lame domain is a referral, not an answer.
    let lame = first(&truth, "lame", |t| t.resolution == "error");
    let r = kdig(knot.addr, &lame.domain, "MX", &[]);
    assert!(!r.has_flag("aa") && r.answer.is_empty(), "{}", r.raw);
}
