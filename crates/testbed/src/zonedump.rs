//! Synthetic zone dumps of N delegations, shaped like ICANN CZDS / ccTLD dumps.
//!
//! The output is an RFC 1035 §5.1 master file: `$ORIGIN`/`$TTL`, an SOA and
//! apex NS, then per delegation 2–4 NS records drawn from a shared pool of DNS
//! operators (a few big operators host most domains, as in real zones), DS
//! records for a share of signed delegations, in-bailiwick name servers with
//! A/AAAA glue, and a mix of spellings a parser must accept: absolute and
//! relative owners, blank owners, TTL/class in either order, omitted TTL,
//! occasional upper case. Every delegation name is unique, so the expected
//! domain count is exactly `n_delegations`.
//!
//! The output is a pure function of the arguments (seeded `StdRng`, ChaCha12),
//! so the same seed gives the same bytes on every machine.

use std::io::{self, Write};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Shape of the generated dump.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ZoneDumpOptions {
    /// Percentage of delegations with DS records (signed).
    pub ds_percent: u32,
    /// Percentage of delegations whose name servers are in bailiwick, with glue.
    pub glue_percent: u32,
    /// Percentage of delegations written with relative owners and blank
    /// continuation owners.
    pub relative_percent: u32,
    /// Number of DNS operators in the shared name-server pool.
    pub operators: u32,
}

impl Default for ZoneDumpOptions {
    fn default() -> Self {
        Self {
            ds_percent: 8,
            glue_percent: 4,
            relative_percent: 10,
            operators: 5000,
        }
    }
}

/// What was written, for assertions and benchmark figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZoneDumpSummary {
    /// Delegations (= unique domains a reader must find).
    pub delegations: u64,
    /// Resource records written (apex included).
    pub records: u64,
    /// Lines written.
    pub lines: u64,
}

/// 26⁶ distinct six-letter tails.
const TAIL_SPACE: u64 = 308_915_776;

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "ra", "to", "shi", "an", "el", "or", "us", "be", "co", "de", "fa",
    "gu", "in", "jo", "ma", "pe", "qui", "sa", "ve", "zo",
];

/// Writes a dump of `n_delegations` delegations under `origin` (e.g. `"be"`).
pub fn write_zone_dump<W: Write>(
    w: &mut W,
    origin: &str,
    n_delegations: u64,
    seed: u64,
    options: &ZoneDumpOptions,
) -> io::Result<ZoneDumpSummary> {
    let origin = origin.trim_end_matches('.').to_ascii_lowercase();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut s = ZoneDumpSummary {
        delegations: n_delegations,
        ..Default::default()
    };
    writeln!(w, "$ORIGIN {origin}.")?;
    writeln!(w, "$TTL 86400")?;
    writeln!(
        w,
        "{origin}.\t3600\tin\tsoa\ta.nic.{origin}. hostmaster.nic.{origin}. {} 3600 900 1209600 3600",
        2_026_112_300_u64 + (seed % 100)
    )?;
    for ns in ["a", "b", "c"] {
        writeln!(w, "{origin}.\t86400\tin\tns\t{ns}.nic.{origin}.")?;
    }
    s.records += 4;
    s.lines += 6;
    let operators = options.operators.max(1);
    let mut name = String::with_capacity(64);
    for i in 0..n_delegations {
        name.clear();
        for _ in 0..rng.random_range(0..3) {
            name.push_str(SYLLABLES[rng.random_range(0..SYLLABLES.len())]);
        }
        // A fixed-length base-26 tail of a scrambled index: unique per i (the
        // last 6 letters determine it; i ↦ i·a mod 26⁶ is a bijection because a
        // is coprime to 2⁶·13⁶) while looking random.
        let mut code = (i % TAIL_SPACE) * 0x9E37_79B9 % TAIL_SPACE;
        let start = name.len();
        for _ in 0..6 {
            name.push(char::from(b'a' + (code % 26) as u8));
            code /= 26;
        }
        if i >= TAIL_SPACE {
            // Beyond 26^6 the tail would repeat: disambiguate with digits.
            name.insert_str(start, &(i / TAIL_SPACE).to_string());
        }
        let relative = rng.random_range(0..100) < options.relative_percent;
        let upper = rng.random_range(0..100) == 0;
        let owner = match (relative, upper) {
            (true, _) => name.clone(),
            (false, false) => format!("{name}.{origin}."),
            (false, true) => format!("{name}.{origin}.").to_ascii_uppercase(),
        };
        let n_ns = rng.random_range(2..=4u32);
        let glue = rng.random_range(0..100) < options.glue_percent;
        // Skewed operator choice: a cube pushes most picks to low indices.
        let r: f64 = rng.random();
        let op = ((r * r * r) * f64::from(operators)) as u32;
        let op_tld = ["net", "com", "eu", "org"][(op % 4) as usize];
        for k in 1..=n_ns {
            let host = if glue {
                format!("ns{k}.{name}.{origin}.")
            } else {
                format!("ns{k}.dnsop{op}.{op_tld}.")
            };
            let shown_owner = if relative && k > 1 {
                ""
            } else {
                owner.as_str()
            };
            match rng.random_range(0..10) {
                0 => writeln!(w, "{shown_owner}\tIN\t172800\tNS\t{host}")?,
                1 => writeln!(w, "{shown_owner}\tNS\t{host}")?,
                _ => writeln!(w, "{shown_owner}\t172800\tin\tns\t{host}")?,
            }
            s.records += 1;
            s.lines += 1;
        }
        if rng.random_range(0..100) < options.ds_percent {
            for _ in 0..rng.random_range(1..=2) {
                let tag: u16 = rng.random();
                let digest: [u64; 4] = rng.random();
                writeln!(
                    w,
                    "{owner}\t86400\tin\tds\t{tag} 13 2 {:016X}{:016X}{:016X}{:016X}",
                    digest[0], digest[1], digest[2], digest[3]
                )?;
                s.records += 1;
                s.lines += 1;
            }
        }
        if glue {
            for k in 1..=n_ns {
                let a: [u8; 2] = rng.random();
                writeln!(
                    w,
                    "ns{k}.{name}.{origin}.\t172800\tin\ta\t198.51.{}.{}",
                    a[0], a[1]
                )?;
                writeln!(
                    w,
                    "ns{k}.{name}.{origin}.\t172800\tin\taaaa\t2001:db8::{:x}",
                    a[1]
                )?;
                s.records += 2;
                s.lines += 2;
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_seed_same_bytes_and_unique_names() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let sa = super::write_zone_dump(&mut a, "be", 2000, 7, &super::ZoneDumpOptions::default())
            .unwrap();
        super::write_zone_dump(&mut b, "be", 2000, 7, &super::ZoneDumpOptions::default()).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        assert_eq!(text.lines().count() as u64, sa.lines);
        let mut owners = std::collections::HashSet::new();
        for line in text.lines().skip(6) {
            let mut f = line.split('\t');
            let owner = f.next().unwrap().to_ascii_lowercase();
            let is_ns = line.to_ascii_lowercase().contains("\tns\t");
            if is_ns && !owner.is_empty() {
                owners.insert(
                    owner
                        .trim_end_matches(".be.")
                        .trim_end_matches('.')
                        .to_owned(),
                );
            }
        }
        assert_eq!(owners.len(), 2000);
    }
}
