//! Property tests: random zone fragments and random bytes never panic, and
//! whatever comes out is normalised, unique and consistent with the counters.

#![allow(clippy::unwrap_used)] // test helpers, not only #[test] fns

use mailcensus_input::{DomainReader, Format, ReaderOptions, Shard, normalize};
use proptest::prelude::*;

/// Reads `bytes` fully; checks the invariants every output must satisfy.
fn check(
    bytes: Vec<u8>,
    format: Option<Format>,
    shard: Option<Shard>,
) -> Result<(), TestCaseError> {
    let opts = ReaderOptions::default()
        .format(format)
        .shard(shard)
        .threaded(false);
    let mut r = DomainReader::from_reader("prop", std::io::Cursor::new(bytes), opts).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut n = 0u64;
    for item in r.by_ref() {
        let Ok(d) = item else { continue };
        n += 1;
        let again = normalize(&d.name);
        prop_assert_eq!(again.as_deref(), Ok(d.name.as_str()), "not normalised");
        prop_assert!(seen.insert(d.name.clone()), "duplicate {}", d.name);
        if let Some(s) = shard {
            prop_assert!(s.contains(&d.name));
        }
        for h in &d.ns_hosts {
            let again = normalize(h);
            prop_assert_eq!(again.as_deref(), Ok(h.as_str()));
        }
        let mut hosts = d.ns_hosts.clone();
        hosts.sort();
        hosts.dedup();
        prop_assert_eq!(hosts.len(), d.ns_hosts.len(), "NS hosts not deduplicated");
    }
    prop_assert_eq!(r.stats().domains, n);
    Ok(())
}

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "@",
        "a",
        "B",
        "c.example.",
        "d.Example.",
        "\\065x",
        "e\\.f",
        "ü",
        "xn--",
        "x..y",
        "-",
        "_srv",
        "$ORIGIN",
        "$TTL",
        "$INCLUDE",
        "$GENERATE",
        "example.",
        ".",
        "3600",
        "1h",
        "IN",
        "ch",
        "NS",
        "ns",
        "SOA",
        "DS",
        "A",
        "AAAA",
        "TXT",
        "RRSIG",
        "NSEC3",
        "TYPE99",
        "FOO",
        "(",
        ")",
        "\"",
        "\"a;b\"",
        ";",
        "; c",
        "\\",
        "ns1.op.net.",
        "NS1.Op.Net.",
        "ns1.xn--bcher-kva.example.",
        "ab--cd.net.",
        "-.net.",
        ".a.net.",
        "a..net.",
        "x-y.z9.",
        "ns.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.net.",
        "ns.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.net.",
        "\u{1}",
        "ns2",
        "192.0.2.1",
        "1",
        "2",
        ",",
        "#",
        "\t",
        " ",
        "\r",
    ])
}

/// Hands out at most `step` bytes per `read`, so that the reader's buffer
/// ends inside lines and records everywhere.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl std::io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.data[self.pos..];
        let n = rest.len().min(buf.len()).min(self.step);
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// Everything a read produces, errors as text.
fn read_everything(
    stream: impl std::io::Read + Send + 'static,
) -> (Vec<Result<mailcensus_input::Domain, String>>, String) {
    let opts = ReaderOptions::default()
        .format(Some(Format::Zone))
        .threaded(false);
    let mut r = DomainReader::from_reader("prop", stream, opts).unwrap();
    let items = r.by_ref().map(|d| d.map_err(|e| e.to_string())).collect();
    (items, format!("{:?} {:?}", r.stats(), r.issues()))
}

fn zone_line() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(piece(), 0..7)).prop_map(|(indent, parts)| {
        let mut line = if indent {
            "\t".to_owned()
        } else {
            String::new()
        };
        line.push_str(&parts.join(" "));
        line
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_zone_fragments_never_panic(lines in prop::collection::vec(zone_line(), 0..40), n in 1u32..5) {
        let text = lines.join("\n").into_bytes();
        check(text.clone(), Some(Format::Zone), None)?;
        check(text.clone(), None, None)?;
        check(text, Some(Format::Zone), Some(Shard::new(0, n).unwrap()))?;
    }

    /// Lines whole in the reader's buffer take the in-place tokenizer; a
    /// buffer that ends mid-line sends that line to the full one. Reading
    /// the same text whole and in small pieces must give the same domains,
    /// NS hosts, line numbers, counters and issues.
    #[test]
    fn in_buffer_and_full_tokenizers_agree(
        lines in prop::collection::vec(zone_line(), 0..40),
        step in 1usize..80,
        final_newline in any::<bool>(),
    ) {
        let mut text = lines.join("\n");
        if final_newline {
            text.push('\n');
        }
        let text = text.into_bytes();
        let whole = read_everything(std::io::Cursor::new(text.clone()));
        let pieces = read_everything(Trickle { data: text, pos: 0, step });
        prop_assert_eq!(whole, pieces);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for format in [Some(Format::Zone), Some(Format::List), Some(Format::Csv), None] {
            check(bytes.clone(), format, None)?;
        }
    }

    #[test]
    fn delegations_are_found_whatever_the_spelling(
        labels in prop::collection::vec("[a-z][a-z0-9]{0,10}", 1..30),
        upper in any::<bool>(), relative in any::<bool>(), class_first in any::<bool>(),
    ) {
        let mut text = String::from("$ORIGIN zz.\n@ IN SOA a. b. 1 2 3 4 5\n");
        for l in &labels {
            let owner = if relative { l.clone() } else { format!("{l}.zz.") };
            let owner = if upper { owner.to_ascii_uppercase() } else { owner };
            let tc = if class_first { "IN 300" } else { "300 IN" };
            text.push_str(&format!("{owner} {tc} NS ns1.op.net.\n\tNS ns2.op.net.\n"));
        }
        let r = DomainReader::from_reader("p", std::io::Cursor::new(text.into_bytes()), ReaderOptions::default()).unwrap();
        let got: Vec<String> = r.map(|d| d.unwrap().name).collect();
        let mut want: Vec<String> = Vec::new();
        for l in &labels {
            let n = format!("{l}.zz");
            if !want.contains(&n) {
                want.push(n);
            }
        }
        prop_assert_eq!(got, want);
    }
}
