//! Regression tests for the reader's fast paths: whatever shortcut a name
//! takes (plain lowercase LDH, uppercase, U-label, `xn--`, escapes, relative
//! to a changed `$ORIGIN`, cached NS host), the result must be what the
//! general parser and UTS-46 normalisation produce, and the read-ahead must
//! not reorder domains or lose those parsed before an input error.

#![allow(clippy::unwrap_used)] // test helpers, not only #[test] fns

use std::io::{Cursor, Read};

use mailcensus_input::{DomainReader, InputError, IssueKind, ReaderOptions, normalize};

use mailcensus_testbed::zonedump;

fn read(text: &[u8], threaded: bool) -> (Vec<String>, DomainReader) {
    let mut r = DomainReader::from_reader(
        "test.zone",
        Cursor::new(text.to_vec()),
        ReaderOptions::default().threaded(threaded),
    )
    .unwrap();
    let mut out = Vec::new();
    for d in r.by_ref() {
        let d = d.unwrap();
        out.push(format!("{}\t{}", d.name, d.ns_hosts.join(",")));
    }
    (out, r)
}

#[test]
fn every_name_shape_normalises_as_the_general_path() {
    let l63 = "a".repeat(63);
    let host253 = format!("{l63}.{l63}.{l63}.{}.", "b".repeat(61));
    let host254 = format!("{l63}.{l63}.{l63}.{}.", "b".repeat(62));
    let zone = format!(
        "$ORIGIN be.\n\
         @ 3600 IN SOA ns.be. h.be. 1 2 3 4 5\n\
         EXAMPLE 3600 IN NS NS1.Example.NET.\n\
         bücher NS ns1.bücher.de.\n\
         ex\\097mple2 NS ns.x.net.\n\
         XN--MNCHEN-3YA.be. NS ns.x.net.\n\
         under_score NS ns.x.net.\n\
         {long} NS ns.x.net.\n\
         a-b NS ns.x.net.\n\
         dig1t NS rel\n\
         long253 NS {host253}\n\
         long254 NS {host254}\n\
         $ORIGIN net.\n\
         c.be. NS rel\n\
         d.be. NS NS1.Example.NET\n\
         e.be. NS ns\\.x.net.\n\
         e.be. NS ok.net.\n\
         UPPER.BE. NS Ns1.Example.Net.\n\
         f.be. NS xn--bcher-kva.de.\n\
         g.be. NS Ns1.Bücher.De.\n",
        long = "x".repeat(64),
    );
    let want = vec![
        "example.be\tns1.example.net".to_owned(),
        "xn--bcher-kva.be\tns1.xn--bcher-kva.de".to_owned(),
        "example2.be\tns.x.net".to_owned(),
        "xn--mnchen-3ya.be\tns.x.net".to_owned(),
        "a-b.be\tns.x.net".to_owned(),
        "dig1t.be\trel.be".to_owned(),
        format!("long253.be\t{}", host253.trim_end_matches('.')),
        // The same relative token after `$ORIGIN net.`: another host.
        "c.be\trel.net".to_owned(),
        "d.be\tns1.example.net.net".to_owned(),
        "e.be\tok.net".to_owned(),
        "upper.be\tns1.example.net".to_owned(),
        "f.be\txn--bcher-kva.de".to_owned(),
        "g.be\tns1.xn--bcher-kva.de".to_owned(),
    ];
    for threaded in [false, true] {
        let (got, r) = read(zone.as_bytes(), threaded);
        assert_eq!(got, want, "threaded={threaded}");
        let s = r.stats();
        // Rejected owners: under_score, the 64-octet label. Malformed: the
        // 254-octet host (long254 then has no NS and is no domain) and the
        // escaped dot in e.be's first host.
        assert_eq!((s.rejected, s.malformed), (2, 2), "{:?}", r.issues());
        assert_eq!(
            r.issues()
                .iter()
                .filter(|i| i.kind == IssueKind::Rejected)
                .count(),
            2
        );
    }
    // The expectations agree with the public normaliser.
    for (input, want) in [
        ("EXAMPLE.be", "example.be"),
        ("bücher.be", "xn--bcher-kva.be"),
        ("XN--MNCHEN-3YA.be", "xn--mnchen-3ya.be"),
        ("Ns1.Bücher.De", "ns1.xn--bcher-kva.de"),
    ] {
        assert_eq!(normalize(input).unwrap(), want);
    }
}

#[test]
fn many_distinct_hosts_survive_cache_eviction() {
    // Far more hosts than the NS cache has slots, revisited in another order:
    // every domain must still get exactly its own hosts.
    let n = 20_000u32;
    let mut zone = String::from("$ORIGIN t.\n@ 60 IN SOA a.t. b.t. 1 2 3 4 5\n");
    for i in 0..n {
        let j = (i * 7919) % n;
        zone.push_str(&format!(
            "d{i} NS NS{i}.Op.net.\nd{i} NS ns{j}.op.NET.\nd{i} NS ns{i}.op.net.\n"
        ));
    }
    let (got, r) = read(zone.as_bytes(), false);
    assert_eq!(got.len(), n as usize);
    for (i, line) in got.iter().enumerate() {
        let j = (i as u32 * 7919) % n;
        let want = if j as usize == i {
            format!("d{i}.t\tns{i}.op.net")
        } else {
            format!("d{i}.t\tns{i}.op.net,ns{j}.op.net")
        };
        assert_eq!(*line, want);
    }
    assert_eq!(r.stats().malformed, 0);
}

/// Yields `data` and then an I/O error, like a disk failing mid-file.
struct FailAfter {
    data: Cursor<Vec<u8>>,
}

impl Read for FailAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.data.read(buf)? {
            0 => Err(std::io::Error::other("device gone")),
            n => Ok(n),
        }
    }
}

#[test]
fn read_ahead_yields_every_domain_before_the_error_in_order() {
    let mut dump = Vec::new();
    zonedump::write_zone_dump(
        &mut dump,
        "t",
        3000,
        7,
        &zonedump::ZoneDumpOptions::default(),
    )
    .unwrap();
    let (all, _) = read(&dump, false);
    // Cut mid-file, at a line start so the last complete run is well-defined.
    let cut = dump[..dump.len() / 2]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    for threaded in [false, true] {
        let r = DomainReader::from_reader(
            "failing.zone",
            FailAfter {
                data: Cursor::new(dump[..cut].to_vec()),
            },
            ReaderOptions::default()
                .threaded(threaded)
                .format(Some(mailcensus_input::Format::Zone)),
        )
        .unwrap();
        let items: Vec<Result<String, InputError>> = r.map(|d| d.map(|d| d.name)).collect();
        let (last, ok) = items.split_last().unwrap();
        assert!(last.is_err(), "threaded={threaded}: the error comes last");
        let ok: Vec<String> = ok.iter().map(|d| d.as_ref().unwrap().clone()).collect();
        // Every domain whose run ended before the cut, in input order (the
        // run cut off by the error is never completed).
        assert!(ok.len() > 100, "{}", ok.len());
        let names_only: Vec<&str> = all.iter().map(|l| l.split('\t').next().unwrap()).collect();
        assert_eq!(ok, names_only[..ok.len()], "threaded={threaded}");
    }
}
