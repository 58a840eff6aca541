//! A generated universe served by Knot and Unbound answers as planted.

#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use std::collections::HashMap;

use common::{Dig, kdig, require_ldns, require_servers, trust_anchors_of, txt_text, zones_of};
use mailcensus_testbed::spfwalk::{self, Answer, Resolve};
use mailcensus_testbed::universe::{Layout, Truth, UniverseOptions, generate, read_truth};
use mailcensus_testbed::{KnotServer, UnboundOptions, UnboundServer};

/// The label posture asks below `_domainkey.<d>` (`posture::dkim::NONEXISTENT_LABEL`).
const NONEXISTENT_LABEL: &str = "mc-q7vx3k9z2w-none";

/// Unbound, asked with kdig, as the SPF walk's resolver.
struct Kdig(std::net::SocketAddr);

impl Resolve for Kdig {
    fn answer(&self, name: &str, rtype: &str) -> Answer {
        let r = kdig(self.0, name, rtype, &[]);
        match r.status.as_str() {
            "NXDOMAIN" => Answer::NxDomain,
            "NOERROR" => {
                let data = r.rdata(rtype);
                if data.is_empty() {
                    Answer::NoData
                } else if rtype == "TXT" {
                    Answer::Records(data.iter().map(|x| txt_text(x)).collect())
                } else {
                    Answer::Records(data)
                }
            }
            _ => Answer::Failed,
        }
    }
}

/// The DKIM hint as DESIGN.md's probe plan reads it, asked through Unbound.
fn dkim_hint(ub: std::net::SocketAddr, domain: &str) -> &'static str {
    let base = format!("_domainkey.{domain}");
    match kdig(ub, &base, "TXT", &[]).status.as_str() {
        "NXDOMAIN" => return "absent",
        "NOERROR" => {}
        _ => return "error",
    }
    let probe = kdig(ub, &format!("{NONEXISTENT_LABEL}.{base}"), "TXT", &[]);
    let dkim1 = probe
        .rdata("TXT")
        .iter()
        .any(|r| txt_text(r).starts_with("v=DKIM1"));
    match probe.status.as_str() {
        "NXDOMAIN" => "likely",
        "NOERROR" if dkim1 => "likely",
        "NOERROR" => "unknown",
        _ => "error",
    }
}

/// The RFC 8914 INFO-CODE kdig printed, if any.
fn ede(d: &Dig) -> Option<u16> {
    let line = d.raw.lines().find(|l| l.starts_with(";; EDE: "))?;
    line[8..].split_whitespace().next()?.parse().ok()
}

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
        // RFC 7489 §6.6.3 step 3: only records beginning with `v=DMARC1` count.
        let dmarc = kdig(ub, &format!("_dmarc.{}", t.domain), "TXT", &[]);
        let dtexts: Vec<String> = dmarc
            .rdata("TXT")
            .iter()
            .map(|r| txt_text(r))
            .filter(|x| x.starts_with("v=DMARC1"))
            .collect();
        match t.dmarc_status.as_str() {
            "valid" => assert_eq!(dtexts, [t.dmarc_record.clone().unwrap()], "{}", t.domain),
            "absent" => assert!(dtexts.is_empty(), "{}", t.domain),
            _ => assert!(!dtexts.is_empty(), "{}", t.domain),
        }
        assert_eq!(dkim_hint(ub, &t.domain), t.dkim_status, "{}", t.domain);
        // The walk over the served records (through Unbound) is the planted one.
        if let Some(record) = t.spf_record.as_ref().filter(|_| t.spf_lookups.is_some()) {
            let w = spfwalk::walk(record, &t.domain, &Kdig(ub));
            assert_eq!(
                (w.lookups, w.voids, w.all.as_deref()),
                (
                    t.spf_lookups.unwrap(),
                    t.spf_void_lookups.unwrap(),
                    t.spf_all.as_deref()
                ),
                "{}: {record}",
                t.domain
            );
        }
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

    // DANE valid: a validated MX RRset, and every host a validated TLSA RRset
    // (RFC 7672 §2.2, §2.2.1).
    let dane = first(&truth, "dane valid", |t| t.dane_status == "valid");
    assert!(kdig(ub, &dane.domain, "MX", &["+dnssec"]).has_flag("ad"));
    for host in &dane.mx_hosts {
        let r = kdig(ub, &format!("_25._tcp.{host}"), "TLSA", &["+dnssec"]);
        assert_eq!(r.rdata("TLSA").len(), 1, "{host}: {}", r.raw);
        assert!(r.has_flag("ad"), "{host}: {}", r.raw);
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

/// Issue 12's planted cases, as a validating resolver serves them.
#[test]
fn issue12_cases_answer_as_planted_through_unbound() {
    require_servers();
    require_ldns();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("universe");
    // Enough signed children that DANE-valid domains exist.
    let opts = UniverseOptions {
        signed: Some(60),
        ..UniverseOptions::new(1000, 12)
    };
    generate(&opts, &out).unwrap();
    let truth = read_truth(&out.join("truth.jsonl")).unwrap();
    let knot = KnotServer::start(&zones_of(&out), &dir.path().join("knot")).unwrap();
    let mut uo = UnboundOptions::new(knot.addr);
    uo.stub_zones = vec!["mctest".into()];
    uo.trust_anchors = trust_anchors_of(&out);
    let unbound = UnboundServer::start(&uo, &dir.path().join("unbound")).unwrap();
    let ub = unbound.addr;
    // The planted zone file, to pick candidates without asking every domain.
    let zone = |t: &Truth| -> String {
        let label = t.domain.split('.').next().unwrap();
        std::fs::read_to_string(out.join(format!("zones/children/{label}.zone")))
            .unwrap_or_default()
    };
    let txt = |name: &str| -> Vec<String> {
        kdig(ub, name, "TXT", &[])
            .rdata("TXT")
            .iter()
            .map(|r| txt_text(r))
            .collect()
    };

    // Bogus: the DNSKEY answer's Extended DNS Error (RFC 8914) is the planted
    // reason; a lame delegation's SERVFAIL carries none (`unspecified`).
    for (reason, code) in [
        ("dnskey_missing", Some(9)),
        ("signature_expired", Some(7)),
        ("unspecified", None),
    ] {
        let t = first(&truth, reason, |t| {
            t.dnssec_reason.as_deref() == Some(reason)
                && t.ns_hosts.iter().all(|h| !h.ends_with(&t.domain))
        });
        let r = kdig(ub, &t.domain, "DNSKEY", &["+dnssec"]);
        assert_eq!(
            (r.status.as_str(), ede(&r)),
            ("SERVFAIL", code),
            "{}",
            r.raw
        );
        // bogus needs a DS RRset at the parent; the lame domain has none.
        let ds = kdig(ub, &t.domain, "DS", &["+dnssec"]);
        assert_eq!(ds.rdata("DS").is_empty(), code.is_none(), "{}", ds.raw);
    }
    assert!(truth.iter().all(
        |t| t.dnssec_reason.is_some() == matches!(t.dnssec_status.as_str(), "bogus" | "error")
    ));

    // Wildcards: NOERROR for a name that cannot exist, so the hint is unknown;
    // the wildcard's SPF record at `_dmarc`, `_mta-sts`, `_smtp._tls` is no
    // DMARC, MTA-STS or TLS-RPT record.
    let wild = first(&truth, "wildcard with TXT", |t| {
        t.dkim_status == "unknown"
            && zone(t).contains("TXT \"v=spf1 -all\"")
            && txt(&format!("_dmarc.{}", t.domain)) == ["v=spf1 -all"]
    });
    assert_eq!(dkim_hint(ub, &wild.domain), "unknown");
    assert_eq!(
        (
            wild.dmarc_status.as_str(),
            wild.mta_sts_status.as_str(),
            wild.tlsrpt_status.as_str()
        ),
        ("absent", "absent", "absent")
    );
    for name in ["_mta-sts", "_smtp._tls", "anything.at.all"] {
        assert_eq!(txt(&format!("{name}.{}", wild.domain)), ["v=spf1 -all"]);
    }
    let wild_a = first(&truth, "wildcard A only", |t| {
        t.dkim_status == "unknown" && txt(&format!("_dmarc.{}", t.domain)).is_empty()
    });
    let r = kdig(ub, &format!("x.{}", wild_a.domain), "A", &[]);
    assert_eq!(r.rdata("A"), ["127.0.0.3"], "{}", r.raw);

    // DMARC: a valid record beside a stray TXT; a look-alike alone.
    let stray = first(&truth, "stray TXT at _dmarc", |t| {
        t.dmarc_status == "valid"
            && zone(t).contains("google-site-verification")
            && txt(&format!("_dmarc.{}", t.domain)).len() == 2
    });
    assert!(
        txt(&format!("_dmarc.{}", stray.domain))
            .iter()
            .any(|x| x.starts_with("google-site-verification="))
    );
    let look_alike = first(&truth, "DMARC look-alike", |t| {
        t.dmarc_status == "absent" && t.resolution == "ok" && zone(t).contains("_dmarc") && {
            let x = txt(&format!("_dmarc.{}", t.domain));
            x.len() == 1 && x[0] != "v=spf1 -all"
        }
    });
    assert!(!txt(&format!("_dmarc.{}", look_alike.domain))[0].starts_with("v=DMARC1"));
    // A malformed tag does not void the policy (RFC 7489 §6.3).
    let bare_rua = first(&truth, "bare rua", |t| {
        t.dmarc_record
            .as_deref()
            .is_some_and(|r| r.contains("rua=dmarc@"))
    });
    assert_eq!(
        (bare_rua.dmarc_status.as_str(), bare_rua.dmarc_p.as_deref()),
        ("invalid", Some("reject"))
    );

    // SPF: redirect-only takes the target's `all`; void a: targets; 11 MX hosts.
    let redirect = first(&truth, "redirect", |t| {
        t.spf_record
            .as_deref()
            .is_some_and(|r| r.starts_with("v=spf1 redirect="))
    });
    assert!(redirect.spf_all.is_some());
    let void_a = first(&truth, "void a:", |t| {
        t.spf_record
            .as_deref()
            .is_some_and(|r| r.contains("a:oldmail."))
    });
    assert_eq!(
        kdig(ub, &format!("oldmail.{}", void_a.domain), "A", &[]).status,
        "NXDOMAIN"
    );
    assert_eq!(
        (
            void_a.spf_status.as_str(),
            void_a.spf_void_lookups.map(|v| v > 2)
        ),
        ("invalid", Some(true))
    );
    let pool = first(&truth, "mx: with 11 hosts", |t| {
        t.spf_record
            .as_deref()
            .is_some_and(|r| r.contains("mx:pool."))
    });
    let r = kdig(ub, &format!("pool.{}", pool.domain), "MX", &[]);
    assert_eq!(r.rdata("MX").len(), 11, "{}", r.raw);
    assert_eq!(pool.spf_status, "invalid");
    for t in truth.iter().filter(|t| t.spf_lookups.is_some()).take(40) {
        let w = spfwalk::walk(t.spf_record.as_ref().unwrap(), &t.domain, &Kdig(ub));
        assert_eq!(
            (w.lookups, w.voids, w.all.as_deref()),
            (
                t.spf_lookups.unwrap(),
                t.spf_void_lookups.unwrap(),
                t.spf_all.as_deref()
            ),
            "{}",
            t.domain
        );
    }

    // DANE: TLSA validated but the customer's MX RRset is not (RFC 7672
    // §2.2.1), and TLSA in an unsigned zone (§2.2).
    let unsigned_mx = first(&truth, "DANE provider, unsigned customer", |t| {
        t.dane_status == "invalid" && t.mx_hosts.iter().all(|h| h.contains("mailhost-a"))
    });
    assert!(!kdig(ub, &unsigned_mx.domain, "MX", &["+dnssec"]).has_flag("ad"));
    let r = kdig(
        ub,
        &format!("_25._tcp.{}", unsigned_mx.mx_hosts[0]),
        "TLSA",
        &["+dnssec"],
    );
    assert!(r.has_flag("ad") && r.rdata("TLSA").len() == 1, "{}", r.raw);
    let unsigned_tlsa = first(&truth, "TLSA in an unsigned zone", |t| {
        t.dane_status == "invalid"
            && t.dnssec_status == "insecure"
            && t.mx_hosts.iter().any(|h| h.ends_with(&t.domain))
            && zone(t).contains("TLSA 3 1 1")
            && !kdig(ub, &format!("_25._tcp.{}", t.mx_hosts[0]), "TLSA", &[])
                .rdata("TLSA")
                .is_empty()
    });
    let r = kdig(
        ub,
        &format!("_25._tcp.{}", unsigned_tlsa.mx_hosts[0]),
        "TLSA",
        &["+dnssec"],
    );
    assert!(!r.has_flag("ad"), "{}", r.raw);
    let dane_valid = truth.iter().filter(|t| t.dane_status == "valid").count();
    let secure = truth.iter().filter(|t| t.dnssec_status == "secure").count();
    assert!(
        dane_valid > 0 && dane_valid <= secure,
        "{dane_valid} {secure}"
    );

    // MTA-STS / TLS-RPT: the version without `;` is a look-alike (absent).
    let sts = first(&truth, "bare v=STSv1", |t| {
        t.mta_sts_status == "absent"
            && zone(t).contains("\"v=STSv1\"")
            && txt(&format!("_mta-sts.{}", t.domain)) == ["v=STSv1"]
    });
    assert_eq!(sts.resolution, "ok");
    first(&truth, "bare v=TLSRPTv1", |t| {
        t.tlsrpt_status == "absent"
            && zone(t).contains("\"v=TLSRPTv1\"")
            && txt(&format!("_smtp._tls.{}", t.domain)) == ["v=TLSRPTv1"]
    });
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

#[test]
fn universe_larger_than_a_block_is_planned_block_by_block() {
    require_servers();
    let dir = tempfile::tempdir().unwrap();
    let opts = |domains| UniverseOptions {
        layout: Some(Layout::Flat),
        dead_lame: Some(0),
        block_domains: Some(200),
        ..UniverseOptions::new(domains, 3)
    };
    let out = dir.path().join("u600");
    let g = generate(&opts(600), &out).unwrap();
    assert_eq!(g.domains, 600);
    let truth = read_truth(&out.join("truth.jsonl")).unwrap();
    assert_eq!(truth.len(), 600);
    let names: std::collections::HashSet<&str> = truth.iter().map(|t| t.domain.as_str()).collect();
    assert_eq!(names.len(), 600, "a label was drawn twice across blocks");
    // The infrastructure domains exist once, in the first block.
    let providers: Vec<usize> = (0..truth.len())
        .filter(|&i| truth[i].domain == "mailhost-a.mctest")
        .collect();
    assert_eq!(providers.len(), 1);
    assert!(providers[0] < 200);
    // The summary counts every block; planned_truth plans the same blocks.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["domains"], 600);
    let valid_spf = truth.iter().filter(|t| t.spf_status == "valid").count();
    assert_eq!(summary["counts"]["spf_status"]["valid"], valid_spf);
    let mut sorted = truth.clone();
    sorted.sort_by(|a, b| a.domain.cmp(&b.domain));
    assert_eq!(
        mailcensus_testbed::universe::planned_truth(&opts(600)).unwrap(),
        sorted
    );
    // Blocks are independent of what follows them: a smaller universe of the
    // same seed and block size is the first blocks of a larger one (the memory
    // benchmark serves 1 M and scans a 10 M dump that starts with it).
    let small = dir.path().join("u400");
    generate(&opts(400), &small).unwrap();
    assert_eq!(
        read_truth(&small.join("truth.jsonl")).unwrap(),
        truth[..400]
    );

    // A dump-only universe (a benchmark's input) is the same dump, alone.
    let dump_only = dir.path().join("dump-only");
    generate(
        &UniverseOptions {
            dump_only: true,
            ..opts(600)
        },
        &dump_only,
    )
    .unwrap();
    assert_eq!(
        std::fs::read(dump_only.join("dump.zone")).unwrap(),
        std::fs::read(out.join("dump.zone")).unwrap()
    );
    let mut files: Vec<String> = std::fs::read_dir(&dump_only)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["dump.zone", "summary.json"]);

    // A customer of the first block's mail provider, planned in the last block,
    // has the provider's SPF record in its walk (valid, one include lookup)
    // and Knot serves its records from the one flat zone.
    let customer = truth[400..]
        .iter()
        .find(|t| {
            t.spf_record
                .as_deref()
                .is_some_and(|r| r.contains("include:_spf.mailhost-a.mctest"))
        })
        .expect("a customer of mailhost-a in the last block");
    assert_eq!(customer.spf_status, "valid", "{customer:?}");
    assert!(customer.spf_lookups.unwrap() >= 1);
    let knot = KnotServer::start(&zones_of(&out), &dir.path().join("knot")).unwrap();
    for t in truth[400..]
        .iter()
        .filter(|t| t.resolution == "ok")
        .take(25)
    {
        let mx = kdig(knot.addr, &t.domain, "MX", &[]);
        assert!(mx.has_flag("aa"), "{}", mx.raw);
        assert_eq!(mx_hosts(&mx.rdata("MX")), t.mx_hosts, "{}", t.domain);
    }
    let include = kdig(knot.addr, "_spf.mailhost-a.mctest", "TXT", &[]);
    assert!(!include.rdata("TXT").is_empty(), "{}", include.raw);
}
