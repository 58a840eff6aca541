//! Look-alike domains of the analyst's brands (`--brands FILE`, issue 16
//! item 5), with the mail posture that makes them dangerous: a look-alike
//! that can receive mail and publishes no DMARC is one a phisher can use both
//! ways.
//!
//! Names are compared without their public suffix, so `paypal.com` as a
//! brand finds `paypa1.be` in a `.be` scan. A scanned domain looks like a
//! brand when its name, IDNA-decoded (`xn--` labels to Unicode, UTS #46):
//!
//! * is the brand's name under another suffix (`same_name`);
//! * has the brand's confusable skeleton (UTS #39 §4, `unicode-security`,
//!   the crate rustc's `confusable_idents` lint uses), lower-cased so that
//!   `0`/`O`/`o` meet: Cyrillic `а` for Latin `a`, `rn` for `m`, `1` for `l`
//!   (`homoglyph`);
//! * swaps two adjacent letters (`swap`);
//! * doubles one letter (`doubled`);
//! * differs by one letter substituted, inserted or omitted (`edit`: edit
//!   distance 1);
//! * is the brand's name with a common word before or after it, joined
//!   directly or by a hyphen: `paypal-login`, `securepaypal` (`brand_word`).
//!
//! The first rule that holds names the kind. The distance-1 rules are one
//! linear pass per pair ([`one_edit`]), since every scanned domain is tried
//! against every brand; `strsim`'s optimal-string-alignment distance checks
//! it in the tests as an independent oracle.
//!
//! "Can receive mail" means an MX RRset with a host (`mx_status = present`):
//! a domain with only an address record also receives mail (RFC 5321 §5.1,
//! implicit MX), which the contract does not record, so the figure is a lower
//! bound. "No DMARC" is `dmarc_status = absent`: an `error` is not counted.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use mailcensus_store::vocab::{Label, MxStatus, Policy, Status};

use crate::ReportError;
use crate::groups::norm_host;
use crate::row::Row;

/// Words that phishing domains put beside a brand.
pub const WORDS: &[&str] = &[
    "account", "app", "auth", "billing", "help", "login", "logon", "mail", "my", "online", "pay",
    "payment", "portal", "secure", "security", "service", "signin", "support", "update", "verify",
    "webmail",
];

/// How a domain looks like a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The brand's name under another public suffix.
    SameName,
    /// The same confusable skeleton (UTS #39).
    Homoglyph,
    /// Two adjacent letters swapped.
    Swap,
    /// One letter doubled.
    Doubled,
    /// One letter substituted, inserted or omitted.
    Edit,
    /// The brand with a common word before or after it.
    BrandWord,
}

impl Kind {
    /// The label used in JSON, CSV and tables.
    pub fn label(self) -> &'static str {
        match self {
            Kind::SameName => "same_name",
            Kind::Homoglyph => "homoglyph",
            Kind::Swap => "swap",
            Kind::Doubled => "doubled",
            Kind::Edit => "edit",
            Kind::BrandWord => "brand_word",
        }
    }
}

/// The name of a domain without its public suffix, IDNA-decoded, and the
/// suffix. `None` for a bare suffix.
fn split(domain: &str) -> Option<(String, &str)> {
    let suffix = psl::suffix_str(domain)?;
    let name = domain.strip_suffix(suffix)?.strip_suffix('.')?;
    // Only the label left of the suffix: a brand given as `www.x.com` is `x`.
    let name = name.rsplit('.').next().unwrap_or(name);
    if name.is_empty() {
        return None;
    }
    let decoded = if name.contains("xn--") {
        let (unicode, result) = idna::domain_to_unicode(name);
        if result.is_ok() {
            unicode
        } else {
            name.to_string()
        }
    } else {
        name.to_string()
    };
    Some((decoded, suffix))
}

/// The A-label form of a domain written in Unicode (UTS #46), as a zone
/// dump lists it.
pub fn to_ascii(domain: &str) -> Option<String> {
    idna::domain_to_ascii(domain).ok()
}

/// The lower-cased UTS #39 skeleton of `name`.
pub fn skeleton(name: &str) -> String {
    unicode_security::confusable_detection::skeleton(name)
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `cand` is one edit from `brand`, and which: a swap of adjacent
/// letters, a doubled letter, or another single substitution, insertion or
/// omission. `None` when equal or further apart. Linear in the length.
pub fn one_edit(cand: &[char], brand: &[char]) -> Option<Kind> {
    let (lc, lb) = (cand.len(), brand.len());
    let first = cand.iter().zip(brand).take_while(|(a, b)| a == b).count();
    if lc == lb {
        if first == lc {
            return None;
        }
        let last = lc
            - 1
            - cand
                .iter()
                .rev()
                .zip(brand.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
        if first == last {
            return Some(Kind::Edit);
        }
        let swapped = last == first + 1 && cand[first] == brand[last] && cand[last] == brand[first];
        return swapped.then_some(Kind::Swap);
    }
    if lc == lb + 1 {
        // One letter inserted at `first`.
        if cand[first + 1..] != brand[first..] {
            return None;
        }
        let c = cand[first];
        let doubled = (first > 0 && cand[first - 1] == c) || cand.get(first + 1) == Some(&c);
        return Some(if doubled { Kind::Doubled } else { Kind::Edit });
    }
    if lb == lc + 1 {
        return (cand[first..] == brand[first + 1..]).then_some(Kind::Edit);
    }
    None
}

/// Whether `cand` is `brand` with one of [`WORDS`] before or after it,
/// joined directly or by a hyphen.
fn brand_word(cand: &str, brand: &str) -> bool {
    let word = |rest: &str| WORDS.contains(&rest);
    if let Some(rest) = cand.strip_prefix(brand) {
        return word(rest.strip_prefix('-').unwrap_or(rest));
    }
    if let Some(rest) = cand.strip_suffix(brand) {
        return word(rest.strip_suffix('-').unwrap_or(rest));
    }
    false
}

#[derive(Debug, Clone)]
struct Brand {
    domain: String,
    name: String,
    chars: Vec<char>,
    suffix: String,
}

/// The brands to watch, one domain per line.
#[derive(Debug, Clone, Default)]
pub struct Brands {
    brands: Vec<Brand>,
    by_skeleton: HashMap<String, Vec<usize>>,
    ascii: Vec<String>,
}

/// The skeleton of every ASCII character. NFD leaves ASCII unchanged and the
/// UTS #39 mapping is per character, so an ASCII name's skeleton is the
/// concatenation of its characters' skeletons: a table lookup instead of the
/// full algorithm for nearly every name of a zone.
fn ascii_table() -> Vec<String> {
    (0u8..128)
        .map(|b| skeleton(char::from(b).encode_utf8(&mut [0; 4])))
        .collect()
}

impl Brands {
    /// The lower-cased skeleton of `name`, by table when it is ASCII.
    fn skeleton_of(&self, name: &str) -> String {
        if name.is_ascii() && self.ascii.len() == 128 {
            name.bytes()
                .map(|b| self.ascii[usize::from(b)].as_str())
                .collect()
        } else {
            skeleton(name)
        }
    }
}

impl Brands {
    /// Parses a brand list: one domain per line (Unicode or A-labels, any
    /// case, trailing dot allowed); blank lines and `#` comments skipped.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let mut out = Brands {
            ascii: ascii_table(),
            ..Brands::default()
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |why: &str| ReportError::Brands(format!("line {}: {line:?} {why}", n + 1));
            let ascii = idna::domain_to_ascii(line.trim_end_matches('.'))
                .map_err(|_| bad("is not a domain name"))?;
            let (name, suffix) =
                split(&ascii).ok_or_else(|| bad("has no name below its suffix"))?;
            if out.brands.iter().any(|b| b.domain == ascii) {
                continue;
            }
            let i = out.brands.len();
            out.by_skeleton.entry(skeleton(&name)).or_default().push(i);
            out.brands.push(Brand {
                chars: name.chars().collect(),
                suffix: suffix.to_string(),
                name,
                domain: ascii,
            });
        }
        Ok(out)
    }

    /// Reads and parses a brand file.
    pub fn load(path: &Path) -> Result<Self, ReportError> {
        let text =
            std::fs::read_to_string(path).map_err(ReportError::io("read brand file", path))?;
        Self::parse(&text)
    }

    /// The brands, as A-label domains.
    pub fn domains(&self) -> impl Iterator<Item = &str> {
        self.brands.iter().map(|b| b.domain.as_str())
    }

    /// Every brand `domain` looks like, with how (the first rule that holds).
    pub fn matches(&self, domain: &str) -> Vec<(usize, Kind)> {
        let domain = norm_host(domain);
        let Some((name, suffix)) = split(&domain) else {
            return Vec::new();
        };
        let mut out: Vec<(usize, Kind)> = Vec::new();
        let chars: Vec<char> = name.chars().collect();
        let skel = self.skeleton_of(&name);
        let homoglyphs = self.by_skeleton.get(&skel);
        for (i, b) in self.brands.iter().enumerate() {
            if b.domain == *domain {
                continue;
            }
            let kind = if b.name == name {
                (b.suffix != suffix).then_some(Kind::SameName)
            } else if homoglyphs.is_some_and(|h| h.contains(&i)) {
                Some(Kind::Homoglyph)
            } else if chars.len().abs_diff(b.chars.len()) <= 1 {
                one_edit(&chars, &b.chars)
            } else {
                None
            };
            let kind = kind.or_else(|| brand_word(&name, &b.name).then_some(Kind::BrandWord));
            if let Some(k) = kind {
                out.push((i, k));
            }
        }
        out
    }
}

/// One look-alike with its mail posture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lookalike {
    /// The scanned domain (A-label; DNS-derived, escape before display).
    pub domain: String,
    /// Its Unicode form when it has `xn--` labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unicode: Option<String>,
    /// How it looks like the brand.
    pub kind: Kind,
    /// `mx_status`.
    pub mx: String,
    /// `dmarc_status`.
    pub dmarc: String,
    /// The DMARC policy receivers apply (`dmarc_p`), if any.
    pub dmarc_p: Option<String>,
    /// An MX host is published.
    pub can_receive_mail: bool,
    /// DMARC applies `p=reject`.
    pub dmarc_reject: bool,
    /// Its DNS operator.
    pub dns_operator: String,
}

/// A brand's look-alikes, sorted by domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrandLookalikes {
    /// The brand's domain.
    pub brand: String,
    /// Its look-alikes.
    pub domains: Vec<Lookalike>,
}

/// Every brand's look-alikes in the latest snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lookalikes {
    /// The snapshot searched.
    pub date: String,
    /// Distinct look-alike domains (a domain may look like several brands).
    pub domains: u64,
    /// Of those, the ones that can receive mail and publish no DMARC: the
    /// figure (see the module docs).
    pub receive_mail_no_dmarc: u64,
    /// Of those, the ones that can receive mail and whose DMARC is not `reject`.
    pub receive_mail_not_reject: u64,
    /// Look-alikes whose MX or DMARC could not be determined.
    pub undetermined: u64,
    /// One entry per brand, in file order.
    pub brands: Vec<BrandLookalikes>,
}

/// Collects the look-alikes of one snapshot.
#[derive(Debug)]
pub struct Collector<'b> {
    brands: &'b Brands,
    date: String,
    found: Vec<Vec<Lookalike>>,
    seen: HashMap<String, (bool, bool, bool)>,
}

impl<'b> Collector<'b> {
    /// A collector for the snapshot of `date`.
    pub fn new(brands: &'b Brands, date: &str) -> Self {
        Collector {
            brands,
            date: date.to_string(),
            found: vec![Vec::new(); brands.brands.len()],
            seen: HashMap::new(),
        }
    }

    /// Tries one scanned domain.
    pub fn add(&mut self, r: &Row<'_>, operator: &str) {
        let matches = self.brands.matches(r.domain);
        if matches.is_empty() {
            return;
        }
        let mx = r.mx_status.map_or("null", Label::to_label);
        let can_receive_mail = r.mx_status == Some(MxStatus::Present);
        let no_dmarc = r.dmarc_status == Some(Status::Absent);
        let reject = r.dmarc_p == Some(Policy::Reject);
        let undetermined = matches!(r.mx_status, Some(MxStatus::Error) | None)
            || matches!(r.dmarc_status, Some(Status::Error) | None);
        let unicode = r.domain.contains("xn--").then(|| {
            let (u, result) = idna::domain_to_unicode(r.domain);
            result.map(|()| u).unwrap_or_default()
        });
        self.seen.insert(
            r.domain.to_string(),
            (
                can_receive_mail && no_dmarc,
                can_receive_mail && !reject && !undetermined,
                undetermined,
            ),
        );
        for (i, kind) in matches {
            self.found[i].push(Lookalike {
                domain: r.domain.to_string(),
                unicode: unicode.clone().filter(|u| !u.is_empty()),
                kind,
                mx: mx.to_string(),
                dmarc: r.dmarc_status.map_or("null", Label::to_label).to_string(),
                dmarc_p: r.dmarc_p.map(|p| p.to_label().to_string()),
                can_receive_mail,
                dmarc_reject: reject,
                dns_operator: operator.to_string(),
            });
        }
    }

    /// The look-alikes found.
    pub fn finish(self) -> Lookalikes {
        let count =
            |f: fn(&(bool, bool, bool)) -> bool| self.seen.values().filter(|v| f(v)).count() as u64;
        Lookalikes {
            date: self.date.clone(),
            domains: self.seen.len() as u64,
            receive_mail_no_dmarc: count(|v| v.0),
            receive_mail_not_reject: count(|v| v.1),
            undetermined: count(|v| v.2),
            brands: self
                .brands
                .brands
                .iter()
                .zip(self.found)
                .map(|(b, mut domains)| {
                    domains.sort_by(|x, y| x.domain.cmp(&y.domain));
                    BrandLookalikes {
                        brand: b.domain.clone(),
                        domains,
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn one_edit_names_the_edit() {
        for (cand, brand, want) in [
            ("paypal", "paypal", None),
            ("paypa1", "paypal", Some(Kind::Edit)),
            ("payapl", "paypal", Some(Kind::Swap)),
            ("apypal", "paypal", Some(Kind::Swap)),
            ("paypall", "paypal", Some(Kind::Doubled)),
            ("ppaypal", "paypal", Some(Kind::Doubled)),
            ("paypals", "paypal", Some(Kind::Edit)),
            ("xpaypal", "paypal", Some(Kind::Edit)),
            ("papal", "paypal", Some(Kind::Edit)),
            ("aypal", "paypal", Some(Kind::Edit)),
            ("paypa", "paypal", Some(Kind::Edit)),
            ("pyapal", "paypal", Some(Kind::Swap)),
            ("paylap", "paypal", None), // two letters apart: not adjacent
            ("pypl", "paypal", None),
            ("abcd", "wxyz", None),
        ] {
            assert_eq!(
                one_edit(&chars(cand), &chars(brand)),
                want,
                "{cand} vs {brand}"
            );
        }
    }

    /// `one_edit` agrees with `strsim`'s optimal string alignment distance
    /// (adjacent transpositions count 1) on every pair of short strings over
    /// a small alphabet: an independent oracle.
    #[test]
    fn one_edit_agrees_with_strsim_osa_distance() {
        let alphabet = ['a', 'b', 'c'];
        let mut words = vec![String::new()];
        for _ in 0..4 {
            let next: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(next);
            words.sort();
            words.dedup();
        }
        for a in &words {
            for b in &words {
                let ours = one_edit(&chars(a), &chars(b)).is_some();
                let theirs = strsim::osa_distance(a, b) == 1;
                assert_eq!(ours, theirs, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn homoglyphs_after_idna_decoding_share_the_skeleton() {
        assert_eq!(skeleton("exarnple"), skeleton("example"));
        assert_eq!(skeleton("paypa1"), skeleton("paypal"));
        assert_eq!(skeleton("g00gle"), skeleton("google"));
        // Cyrillic а (U+0430) for Latin a.
        assert_eq!(skeleton("p\u{430}yp\u{430}l"), skeleton("paypal"));
        assert_ne!(skeleton("paypol"), skeleton("paypal"));
    }

    /// The ASCII table gives the full algorithm's skeleton for every
    /// string of ASCII name characters tried.
    #[test]
    fn ascii_skeletons_by_table_equal_the_full_algorithm() {
        let brands = Brands::parse("x.com\n").unwrap();
        let chars: Vec<char> = ('a'..='z').chain('0'..='9').chain(['-', '_']).collect();
        for a in &chars {
            for b in &chars {
                let s = format!("{a}{b}r{a}n");
                assert_eq!(brands.skeleton_of(&s), skeleton(&s), "{s}");
            }
        }
        assert_eq!(brands.skeleton_of("exarnple"), skeleton("example"));
    }

    #[test]
    fn brands_match_the_rules_in_order() {
        let brands = Brands::parse("# brands\nPayPal.com.\nbank.example\n\n").unwrap();
        assert_eq!(
            brands.domains().collect::<Vec<_>>(),
            ["paypal.com", "bank.example"]
        );
        let cyrillic = idna::domain_to_ascii("p\u{430}ypal.be").unwrap();
        for (domain, want) in [
            ("paypal.be", vec![(0, Kind::SameName)]),
            ("paypal.com", vec![]),
            (cyrillic.as_str(), vec![(0, Kind::Homoglyph)]),
            ("paypa1.be", vec![(0, Kind::Homoglyph)]),
            ("payapl.be", vec![(0, Kind::Swap)]),
            ("paypall.be", vec![(0, Kind::Doubled)]),
            ("paypel.be", vec![(0, Kind::Edit)]),
            ("paypal-login.be", vec![(0, Kind::BrandWord)]),
            ("securepaypal.be", vec![(0, Kind::BrandWord)]),
            ("paypal-shop.be", vec![]),
            ("bonk.be", vec![(1, Kind::Edit)]),
            ("mybank.be", vec![(1, Kind::BrandWord)]),
            ("unrelated.be", vec![]),
        ] {
            assert_eq!(brands.matches(domain), want, "{domain}");
        }
        assert!(Brands::parse("com\n").is_err(), "a bare suffix is no brand");
    }
}
