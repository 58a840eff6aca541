//! The planted universe: a synthetic TLD whose mail-security posture is known.
//!
//! [`generate`] plans N domains from a seed, writes what Knot serves (zone files
//! and `zones.list`, the TLD's `trust-anchors`), what a registry would publish
//! (`dump.zone`: NS delegations, DS and glue — the scanner's input), and the
//! ground truth (`truth.jsonl`: every contract column of DESIGN.md except
//! `scan_id`, `scanned_at`, `queries`, `elapsed_ms`; `summary.json`: counts and
//! headline percentages; `sectors.csv`).
//!
//! The truth is derived from the generator's own plan, column by column, with
//! the RFC rules applied directly (for instance [`crate::spfwalk`] counts the
//! SPF lookups of the include tree that was built) — never by running the
//! posture classifiers, which the end-to-end test checks against it.
//!
//! Proportions are exact counts (largest-remainder apportionment over a seeded
//! shuffle), not independent draws, so the planted percentages are what the
//! constants below say, up to rounding to whole domains. `datasets/README.md`
//! documents the mix.
//!
//! Layouts ([`Layout`]):
//! * `Zones` (default up to 50,000 domains): the TLD zone is signed and holds
//!   only delegations; every resolvable domain is its own small Knot zone, so
//!   DNSSEC is real per domain (DESIGN.md: names placed directly in a signed TLD
//!   would all look secure). A few hundred children are signed (secure, bogus,
//!   islands); the rest are unsigned and read `insecure`.
//! * `Flat` (for benchmark universes of a million names): one unsigned TLD zone
//!   holds every domain's records directly (no zone cut for resolvable
//!   domains), so Knot loads one zone; DNSSEC is `insecure` everywhere.
//!
//! Resolution outcomes and how they are made:
//! * `nxdomain`: the domain is in the dump but not in the served TLD zone — it
//!   was deleted between the dump and the scan, as happens every night.
//! * `error` (lame): delegated to `ns1/ns2.gone-dns.<tld>`, a domain that does not
//!   exist (Unbound finds no address and answers SERVFAIL at once), or — a few,
//!   see [`UniverseOptions::dead_lame`] — to `ns1/ns2.<d>` with glue 127.0.0.2,
//!   where nothing listens on port 53 (Unbound retries with back-off; clients
//!   time out). Never an address outside 127.0.0.0/8.
//! * `error` (bogus): signed child whose DS does not match its key, or whose
//!   signatures expired in 2011: every probe gets SERVFAIL through the
//!   validating resolver, `dnssec_status` is `bogus`, the other statuses are
//!   `error` (the truth assumes probes other than DNSSEC are not retried with
//!   CD=1).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::error::TestbedError;
use crate::signing::{self, Algorithm, EXPIRATION, INCEPTION, Key};
use crate::spfwalk::{self, Targets};

/// Share of all domains with an SPF record, valid or not (.be, published).
pub const SPF_PRESENT: f64 = 0.524;
/// Share of all domains with a DMARC record, valid or not (.be, published).
pub const DMARC_PRESENT: f64 = 0.105;
/// Share of all domains that are parked (null MX, `v=spf1 -all`, DMARC reject).
pub const PARKED: f64 = 0.025;
/// Share of all domains in the dump but gone from the zone (`nxdomain`).
pub const NXDOMAIN: f64 = 0.008;
/// Share of all domains delegated to a name server without address (lame).
pub const LAME_NOADDR: f64 = 0.010;

/// How the zones are laid out for Knot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Signed TLD of delegations, one Knot zone per resolvable domain.
    Zones,
    /// One unsigned TLD zone holding every domain's records.
    Flat,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniverseOptions {
    /// Number of domains in the dump (at least 50).
    pub domains: usize,
    /// Seed of every random choice: same seed, same plan and truth.
    pub seed: u64,
    /// The made-up TLD (default `mctest`).
    pub tld: String,
    /// Zone layout; `None` picks `Zones` up to 50,000 domains, `Flat` above.
    pub layout: Option<Layout>,
    /// Signed children (zones layout only); `None`: 3% of domains, 6 to 300.
    pub signed: Option<usize>,
    /// Lame delegations to the silent 127.0.0.2; `None`: 0.1% of domains.
    pub dead_lame: Option<usize>,
}

impl UniverseOptions {
    /// Defaults for `domains` and `seed`.
    pub fn new(domains: usize, seed: u64) -> Self {
        UniverseOptions {
            domains,
            seed,
            tld: "mctest".into(),
            layout: None,
            signed: None,
            dead_lame: None,
        }
    }
}

/// One domain's planted value of every contract column (DESIGN.md "Output
/// contract"), minus `scan_id`, `scanned_at`, `queries`, `elapsed_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[allow(missing_docs)] // the field names are the contract's column names
pub struct Truth {
    pub domain: String,
    pub suffix: String,
    pub resolution: String,
    pub ns_hosts: Vec<String>,
    pub mx_status: String,
    pub mx_hosts: Vec<String>,
    pub spf_status: String,
    pub spf_record: Option<String>,
    pub spf_all: Option<String>,
    pub spf_lookups: Option<i32>,
    pub spf_void_lookups: Option<i32>,
    pub spf_error: Option<String>,
    pub dmarc_status: String,
    pub dmarc_record: Option<String>,
    pub dmarc_error: Option<String>,
    pub dmarc_p: Option<String>,
    pub dmarc_sp: Option<String>,
    pub dmarc_np: Option<String>,
    pub dmarc_pct: Option<i32>,
    pub dmarc_t: Option<bool>,
    pub dmarc_rua: Vec<String>,
    pub dmarc_ruf: Vec<String>,
    pub dmarc_rua_authorized: Option<bool>,
    pub dnssec_status: String,
    pub dnssec_algorithms: Vec<u8>,
    pub bimi_status: String,
    pub bimi_logo: Option<String>,
    pub bimi_authority: Option<String>,
    pub mta_sts_status: String,
    pub tlsrpt_status: String,
    pub dkim_status: String,
    pub dane_status: String,
    pub parked: bool,
}

impl Truth {
    fn blank(
        domain: &str,
        tld: &str,
        ns_hosts: Vec<String>,
        resolution: &str,
        status: &str,
    ) -> Self {
        Truth {
            domain: domain.to_owned(),
            suffix: tld.to_owned(),
            resolution: resolution.to_owned(),
            ns_hosts,
            mx_status: status.to_owned(),
            mx_hosts: Vec::new(),
            spf_status: status.to_owned(),
            spf_record: None,
            spf_all: None,
            spf_lookups: None,
            spf_void_lookups: None,
            spf_error: None,
            dmarc_status: status.to_owned(),
            dmarc_record: None,
            dmarc_error: None,
            dmarc_p: None,
            dmarc_sp: None,
            dmarc_np: None,
            dmarc_pct: None,
            dmarc_t: None,
            dmarc_rua: Vec::new(),
            dmarc_ruf: Vec::new(),
            dmarc_rua_authorized: None,
            dnssec_status: if status == "absent" {
                "insecure"
            } else {
                status
            }
            .to_owned(),
            dnssec_algorithms: Vec::new(),
            bimi_status: status.to_owned(),
            bimi_logo: None,
            bimi_authority: None,
            mta_sts_status: status.to_owned(),
            tlsrpt_status: status.to_owned(),
            dkim_status: status.to_owned(),
            dane_status: status.to_owned(),
            parked: false,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The output directory.
    pub dir: PathBuf,
    /// Domains in the dump (and in the truth).
    pub domains: usize,
    /// Zones in `zones.list` (TLD included).
    pub zones: usize,
    /// Signed child zones.
    pub signed_children: usize,
    /// The layout used.
    pub layout: Layout,
}

// ---------------------------------------------------------------------------
// The plan.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Ok,
    NxDomain,
    LameNoAddr,
    LameDead,
    BogusDs,
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signing {
    None,
    Secure(Algorithm),
    Island(Algorithm),
    BogusDs,
    Expired,
}

#[derive(Debug, Clone)]
struct Rr {
    owner: String,
    rtype: &'static str,
    rdata: String,
}

#[derive(Debug, Clone)]
struct Domain {
    label: String,
    name: String,
    ns: Vec<String>,
    /// In-bailiwick name servers and their glue address.
    glue: Vec<(String, &'static str)>,
    health: Health,
    signing: Signing,
    infra: bool,
    records: Vec<Rr>,
    truth: Truth,
    sector: &'static str,
    size: &'static str,
}

impl Domain {
    fn add(&mut self, owner: &str, rtype: &'static str, rdata: impl Into<String>) {
        self.records.push(Rr {
            owner: owner.to_owned(),
            rtype,
            rdata: rdata.into(),
        });
    }
    fn txt(&mut self, owner: &str, text: &str) {
        self.add(owner, "TXT", txt_rdata(text));
    }
    fn served(&self) -> bool {
        !matches!(
            self.health,
            Health::NxDomain | Health::LameNoAddr | Health::LameDead
        )
    }
    fn healthy(&self) -> bool {
        self.health == Health::Ok
    }
}

/// Infrastructure domains every universe has (they are ordinary domains of the
/// dump too, with extra records their customers point at).
const MAILHOST_A: &str = "mailhost-a";
const MAILHOST_B: &str = "mailhost-b";
const BULKMAIL_C: &str = "bulkmail-c";
const OLDHOST: &str = "oldhost";
const DMARC_REPORTS: &str = "dmarc-reports";
const AGENCY_Z: &str = "agency-z";
const DNSOPS_A: &str = "dnsops-a";
const DNSOPS_B: &str = "dnsops-b";
const REGISTRAR_X: &str = "registrar-x";
const INFRA: [&str; 9] = [
    MAILHOST_A,
    MAILHOST_B,
    BULKMAIL_C,
    OLDHOST,
    DMARC_REPORTS,
    AGENCY_Z,
    DNSOPS_A,
    DNSOPS_B,
    REGISTRAR_X,
];
/// Names that must not exist: NS hosts of lame delegations, a dead SPF include.
const GONE_DNS: &str = "gone-dns";
const GONE_PROVIDER: &str = "gone-provider";
const RESERVED: [&str; 3] = ["nic", GONE_DNS, GONE_PROVIDER];

const SECTORS: [&str; 10] = [
    "retail",
    "health",
    "government",
    "finance",
    "education",
    "technology",
    "media",
    "hospitality",
    "manufacturing",
    "nonprofit",
];
const SIZES: [&str; 4] = ["micro", "small", "medium", "large"];

/// Largest-remainder apportionment of `n` items over `weights`.
fn apportion(n: usize, weights: &[f64]) -> Vec<usize> {
    let total: f64 = weights.iter().sum();
    if n == 0 || total <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / total * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut rest: Vec<(usize, f64)> = exact
        .iter()
        .enumerate()
        .map(|(i, x)| (i, x - x.floor()))
        .collect();
    rest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let missing = n - counts.iter().sum::<usize>();
    for (i, _) in rest.into_iter().take(missing) {
        counts[i] += 1;
    }
    counts
}

/// Deals the (already shuffled) `items` into variants by exact counts.
fn deal<T: Copy>(items: &[usize], variants: &[(T, f64)]) -> Vec<(usize, T)> {
    let weights: Vec<f64> = variants.iter().map(|v| v.1).collect();
    let counts = apportion(items.len(), &weights);
    let mut out = Vec::with_capacity(items.len());
    let mut it = items.iter();
    for (v, c) in variants.iter().zip(counts) {
        for _ in 0..c {
            if let Some(&i) = it.next() {
                out.push((i, v.0));
            }
        }
    }
    out
}

fn share(n: usize, fraction: f64) -> usize {
    (n as f64 * fraction).round() as usize
}

fn word(rng: &mut StdRng) -> String {
    const ONSET: [&str; 22] = [
        "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br",
        "tr", "st", "gr", "kl",
    ];
    const VOWEL: [&str; 8] = ["a", "e", "i", "o", "u", "ai", "ee", "oo"];
    const CODA: [&str; 8] = ["", "n", "r", "s", "l", "x", "t", "m"];
    let syllables = rng.random_range(2..=3);
    let mut w = String::new();
    for _ in 0..syllables {
        w.push_str(ONSET[rng.random_range(0..ONSET.len())]);
        w.push_str(VOWEL[rng.random_range(0..VOWEL.len())]);
        w.push_str(CODA[rng.random_range(0..CODA.len())]);
    }
    w
}

fn domain_labels(rng: &mut StdRng, n: usize) -> Vec<String> {
    let mut seen: HashSet<String> = INFRA
        .iter()
        .chain(RESERVED.iter())
        .map(|s| s.to_string())
        .collect();
    let mut out: Vec<String> = INFRA.iter().map(|s| s.to_string()).collect();
    while out.len() < n {
        let label = match rng.random_range(0..10) {
            0 | 1 => format!("{}-{}", word(rng), word(rng)),
            2 => format!("{}{}", word(rng), rng.random_range(1..1000)),
            _ => word(rng),
        };
        if seen.insert(label.clone()) {
            out.push(label);
        }
    }
    out
}

fn hex(rng: &mut StdRng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes * 2);
    for _ in 0..bytes {
        let _ = write!(s, "{:02x}", rng.random::<u8>());
    }
    s
}

/// TXT RDATA in master-file syntax: strings of at most 255 bytes, quoted
/// (RFC 1035 §3.3.14, §5.1).
fn txt_rdata(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    for chunk in bytes.chunks(255) {
        let mut q = String::from("\"");
        for &b in chunk {
            match b {
                b'"' | b'\\' => {
                    q.push('\\');
                    q.push(b as char);
                }
                0x20..=0x7e => q.push(b as char),
                _ => {
                    let _ = write!(q, "\\{b:03}");
                }
            }
        }
        q.push('"');
        parts.push(q);
    }
    if parts.is_empty() {
        parts.push("\"\"".into());
    }
    parts.join(" ")
}

// SPF, DMARC, MX… variants ---------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MxKind {
    OwnSingle,
    OwnTwo,
    ProviderA,
    ProviderB,
    Mixed,
    Absent,
    Null,
    NullMixed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpfKind {
    MxOnly,
    AMx,
    ProviderA,
    ProviderB,
    Ip4Neutral,
    Bulk,
    Redirect,
    PassAll,
    Combined,
    LongSplit,
    Multiple,
    OverLimit,
    SyntaxMoo,
    SyntaxBareInclude,
    IncludeNoSpf,
    IncludeGone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoSpfKind {
    Nothing,
    OtherTxt,
    LookAlike10,
    LeadingSpace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DmarcKind {
    Valid,
    VFirstWrong,
    LeadingSpace,
    Unrelated,
    Multiple,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rua {
    None,
    Internal,
    Authorized,
    Unauthorized,
    InternalAndAuthorized,
}

fn spf_targets(tld: &str) -> (Targets, Vec<(&'static str, &'static str, String)>) {
    // (infra label, owner in that zone, TXT text)
    let recs: Vec<(&'static str, &'static str, String)> = vec![
        (
            MAILHOST_A,
            "_spf",
            "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ~all".into(),
        ),
        (
            MAILHOST_B,
            "_spf",
            format!(
                "v=spf1 include:_spf1.{MAILHOST_B}.{tld} include:_spf2.{MAILHOST_B}.{tld} ~all"
            ),
        ),
        (MAILHOST_B, "_spf1", "v=spf1 ip4:203.0.113.0/24 -all".into()),
        (MAILHOST_B, "_spf2", "v=spf1 a mx -all".into()),
        (
            BULKMAIL_C,
            "_spf",
            format!("v=spf1 include:_s1.{BULKMAIL_C}.{tld} include:_s2.{BULKMAIL_C}.{tld} -all"),
        ),
        (BULKMAIL_C, "_s1", "v=spf1 a mx -all".into()),
        (BULKMAIL_C, "_s2", "v=spf1 a mx -all".into()),
        (
            OLDHOST,
            "_spf",
            "legacy sender list moved to the new platform".into(),
        ),
    ];
    let mut targets: Targets = HashMap::new();
    for (label, owner, text) in &recs {
        targets
            .entry(format!("{owner}.{label}.{tld}"))
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(text.clone());
    }
    targets.insert(format!("_spf.{GONE_PROVIDER}.{tld}"), None);
    (targets, recs)
}

/// Plans the universe: every domain's records and truth.
fn plan(opts: &UniverseOptions, layout: Layout) -> Result<Vec<Domain>, TestbedError> {
    let n = opts.domains;
    if n < 50 {
        return Err(TestbedError::Invalid(
            "a universe needs at least 50 domains".into(),
        ));
    }
    let tld = opts.tld.trim_end_matches('.').to_ascii_lowercase();
    if tld.is_empty() || tld.contains('.') || tld == "test" {
        return Err(TestbedError::Invalid(format!(
            "TLD {tld:?}: use a made-up single label (e.g. mctest), not `test`"
        )));
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let labels = domain_labels(&mut rng, n);
    let mut doms: Vec<Domain> = labels
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            let name = format!("{label}.{tld}");
            Domain {
                truth: Truth::blank(&name, &tld, Vec::new(), "ok", "absent"),
                label,
                name,
                ns: Vec::new(),
                glue: Vec::new(),
                health: Health::Ok,
                signing: Signing::None,
                infra: i < INFRA.len(),
                records: Vec::new(),
                sector: "",
                size: "",
            }
        })
        .collect();

    // Resolution and DNSSEC ---------------------------------------------------
    let mut pool: Vec<usize> = (INFRA.len()..n).collect();
    pool.shuffle(&mut rng);
    fn take(k: usize, pool: &mut Vec<usize>) -> Vec<usize> {
        let k = k.min(pool.len());
        pool.split_off(pool.len() - k)
    }
    for i in take(share(n, NXDOMAIN), &mut pool) {
        doms[i].health = Health::NxDomain;
    }
    for i in take(share(n, LAME_NOADDR), &mut pool) {
        doms[i].health = Health::LameNoAddr;
    }
    for i in take(opts.dead_lame.unwrap_or(n / 1000), &mut pool) {
        doms[i].health = Health::LameDead;
    }
    if layout == Layout::Zones {
        let signed = opts.signed.unwrap_or(share(n, 0.03).clamp(6, 300));
        let bogus_ds = (signed * 5 / 100).max(1);
        let expired = (signed * 3 / 100).max(1);
        let island = (signed * 5 / 100).max(1);
        let secure = signed.saturating_sub(bogus_ds + expired + island);
        for i in take(bogus_ds, &mut pool) {
            doms[i].health = Health::BogusDs;
            doms[i].signing = Signing::BogusDs;
        }
        for i in take(expired, &mut pool) {
            doms[i].health = Health::Expired;
            doms[i].signing = Signing::Expired;
        }
        let algs = [
            (Algorithm::EcdsaP256, 0.75),
            (Algorithm::RsaSha256, 0.15),
            (Algorithm::Ed25519, 0.10),
        ];
        let island_set = take(island, &mut pool);
        for (i, alg) in deal(&island_set, &algs) {
            doms[i].signing = Signing::Island(alg);
        }
        let secure_set = take(secure, &mut pool);
        for (i, alg) in deal(&secure_set, &algs) {
            doms[i].signing = Signing::Secure(alg);
        }
    }

    // Name servers (the dump's NS sets) ----------------------------------------
    for d in doms.iter_mut() {
        let op = rng.random_range(0..100);
        let (ns, glue): (Vec<String>, Vec<(String, &'static str)>) = match d.health {
            Health::LameNoAddr => (
                vec![
                    format!("ns1.{GONE_DNS}.{tld}"),
                    format!("ns2.{GONE_DNS}.{tld}"),
                ],
                vec![],
            ),
            Health::LameDead => {
                let ns = vec![format!("ns1.{}", d.name), format!("ns2.{}", d.name)];
                let glue = ns.iter().map(|h| (h.clone(), "127.0.0.2")).collect();
                (ns, glue)
            }
            _ if matches!(d.label.as_str(), DNSOPS_A | DNSOPS_B | REGISTRAR_X) => {
                let hosts: [&str; 2] = match d.label.as_str() {
                    DNSOPS_A => ["ns1", "ns2"],
                    DNSOPS_B => ["ns", "ns2"],
                    _ => ["dns1", "dns2"],
                };
                let ns: Vec<String> = hosts.iter().map(|h| format!("{h}.{}", d.name)).collect();
                let glue = ns.iter().map(|h| (h.clone(), "127.0.0.1")).collect();
                (ns, glue)
            }
            _ if op < 45 => (
                vec![
                    format!("ns1.{DNSOPS_A}.{tld}"),
                    format!("ns2.{DNSOPS_A}.{tld}"),
                ],
                vec![],
            ),
            _ if op < 75 => (
                vec![
                    format!("ns.{DNSOPS_B}.{tld}"),
                    format!("ns2.{DNSOPS_B}.{tld}"),
                ],
                vec![],
            ),
            _ if op < 95 => (
                vec![
                    format!("dns1.{REGISTRAR_X}.{tld}"),
                    format!("dns2.{REGISTRAR_X}.{tld}"),
                ],
                vec![],
            ),
            _ => {
                let ns = vec![format!("ns1.{}", d.name), format!("ns2.{}", d.name)];
                let glue = ns.iter().map(|h| (h.clone(), "127.0.0.1")).collect();
                (ns, glue)
            }
        };
        d.truth.ns_hosts = ns.clone();
        d.ns = ns;
        d.glue = glue;
        match d.health {
            Health::Ok => {}
            Health::NxDomain => {
                d.truth = Truth::blank(&d.name, &tld, d.ns.clone(), "nxdomain", "absent");
            }
            Health::LameNoAddr | Health::LameDead => {
                d.truth = Truth::blank(&d.name, &tld, d.ns.clone(), "error", "error");
            }
            Health::BogusDs | Health::Expired => {
                d.truth = Truth::blank(&d.name, &tld, d.ns.clone(), "error", "error");
                d.truth.dnssec_status = "bogus".into();
            }
        }
        match d.signing {
            Signing::Secure(alg) => {
                d.truth.dnssec_status = "secure".into();
                d.truth.dnssec_algorithms = vec![alg.number()];
            }
            Signing::Island(alg) => {
                // Signed zone, no DS at the parent: no chain of trust reaches it
                // (RFC 4035 §5.2), but DNSKEY answers with its algorithm.
                d.truth.dnssec_algorithms = vec![alg.number()];
            }
            _ => {}
        }
    }

    // Mail posture of the resolvable domains ------------------------------------
    let healthy: Vec<usize> = (0..n).filter(|&i| doms[i].healthy()).collect();
    let mut candidates: Vec<usize> = healthy
        .iter()
        .copied()
        .filter(|&i| !doms[i].infra)
        .collect();
    candidates.shuffle(&mut rng);
    let parked_n = share(n, PARKED).min(candidates.len());
    let parked: Vec<usize> = candidates[..parked_n].to_vec();
    let parked_set: HashSet<usize> = parked.iter().copied().collect();
    let mut others: Vec<usize> = healthy
        .iter()
        .copied()
        .filter(|i| !parked_set.contains(i))
        .collect();
    others.shuffle(&mut rng);

    let spf_n = share(n, SPF_PRESENT);
    let dmarc_n = share(n, DMARC_PRESENT);
    let spf_rest = spf_n
        .checked_sub(parked_n)
        .filter(|k| *k <= others.len())
        .ok_or_else(|| {
            TestbedError::Invalid("too few resolvable domains for the planted SPF share".into())
        })?;
    let spf_set: Vec<usize> = others[..spf_rest].to_vec();
    let no_spf_set: Vec<usize> = others[spf_rest..].to_vec();
    let dmarc_rest = dmarc_n.saturating_sub(parked_n);
    // DMARC mostly where SPF is (as in published measurements): 90/10.
    let dmarc_from_spf = ((dmarc_rest as f64) * 0.9).round() as usize;
    let mut dmarc_set: Vec<usize> = spf_set
        .iter()
        .rev()
        .take(dmarc_from_spf.min(spf_set.len()))
        .copied()
        .collect();
    let remaining = dmarc_rest - dmarc_set.len();
    dmarc_set.extend(no_spf_set.iter().rev().take(remaining).copied());
    dmarc_set.shuffle(&mut rng);

    let (targets, _) = spf_targets(&tld);

    // Parked: RFC 7505 null MX, `v=spf1 -all`, DMARC p=reject.
    for &i in &parked {
        let d = &mut doms[i];
        d.add("@", "MX", "0 .");
        d.truth.mx_status = "null_mx".into();
        plant_spf_text(d, "v=spf1 -all", &targets);
        plant_dmarc(
            d,
            "v=DMARC1; p=reject",
            Some("reject"),
            None,
            None,
            None,
            None,
            vec![],
            vec![],
            None,
        );
        d.truth.parked = true;
    }

    // MX for everyone else resolvable.
    let mx_plan = deal(
        &others,
        &[
            (MxKind::OwnSingle, 33.0),
            (MxKind::OwnTwo, 10.0),
            (MxKind::ProviderA, 8.0),
            (MxKind::ProviderB, 28.0),
            (MxKind::Mixed, 3.0),
            (MxKind::Absent, 16.0),
            (MxKind::Null, 1.5),
            (MxKind::NullMixed, 0.5),
        ],
    );
    for (i, kind) in mx_plan {
        plant_mx(&mut doms[i], kind, &tld, &mut rng);
    }

    // SPF.
    let spf_plan = deal(
        &spf_set,
        &[
            (SpfKind::MxOnly, 20.0),
            (SpfKind::AMx, 12.0),
            (SpfKind::ProviderA, 18.0),
            (SpfKind::ProviderB, 12.0),
            (SpfKind::Ip4Neutral, 5.0),
            (SpfKind::Bulk, 6.0),
            (SpfKind::Redirect, 4.0),
            (SpfKind::PassAll, 1.5),
            (SpfKind::Combined, 12.0),
            (SpfKind::LongSplit, 2.5),
            (SpfKind::Multiple, 2.0),
            (SpfKind::OverLimit, 2.0),
            (SpfKind::SyntaxMoo, 0.8),
            (SpfKind::SyntaxBareInclude, 0.7),
            (SpfKind::IncludeNoSpf, 0.8),
            (SpfKind::IncludeGone, 0.7),
        ],
    );
    for (i, kind) in spf_plan {
        plant_spf(&mut doms[i], kind, &tld, &targets, &mut rng);
    }
    let no_spf_plan = deal(
        &no_spf_set,
        &[
            (NoSpfKind::Nothing, 85.0),
            (NoSpfKind::OtherTxt, 12.0),
            (NoSpfKind::LookAlike10, 1.5),
            (NoSpfKind::LeadingSpace, 1.5),
        ],
    );
    for (i, kind) in no_spf_plan {
        let d = &mut doms[i];
        match kind {
            NoSpfKind::Nothing => {}
            NoSpfKind::OtherTxt => d.txt("@", &format!("site-verification={}", hex(&mut rng, 12))),
            // RFC 7208 §4.5: not `v=spf1` followed by a space or the end.
            NoSpfKind::LookAlike10 => d.txt("@", "v=spf10 mx -all"),
            NoSpfKind::LeadingSpace => d.txt("@", " v=spf1 mx -all"),
        }
    }

    // DMARC.
    let dmarc_plan = deal(
        &dmarc_set,
        &[
            (DmarcKind::Valid, 92.0),
            (DmarcKind::VFirstWrong, 2.5),
            (DmarcKind::LeadingSpace, 2.0),
            (DmarcKind::Unrelated, 1.5),
            (DmarcKind::Multiple, 2.0),
        ],
    );
    let valid_dmarc: Vec<usize> = dmarc_plan
        .iter()
        .filter(|(_, k)| *k == DmarcKind::Valid)
        .map(|(i, _)| *i)
        .collect();
    let policies = deal(
        &valid_dmarc,
        &[
            (Some("none"), 55.0),
            (Some("quarantine"), 19.0),
            (Some("reject"), 23.0),
            (None, 3.0),
        ],
    );
    let policy_of: HashMap<usize, Option<&str>> = policies.into_iter().collect();
    let mut rua_order = valid_dmarc.clone();
    rua_order.shuffle(&mut rng);
    let rua_of: HashMap<usize, Rua> = deal(
        &rua_order,
        &[
            (Rua::None, 30.0),
            (Rua::Internal, 28.0),
            (Rua::Authorized, 30.0),
            (Rua::Unauthorized, 7.0),
            (Rua::InternalAndAuthorized, 5.0),
        ],
    )
    .into_iter()
    .collect();
    for (i, kind) in dmarc_plan {
        let d = &mut doms[i];
        match kind {
            DmarcKind::Valid => {
                let p = policy_of.get(&i).copied().flatten();
                let rua = rua_of.get(&i).copied().unwrap_or(Rua::None);
                plant_valid_dmarc(d, p, rua, &tld, &mut rng);
            }
            DmarcKind::VFirstWrong => plant_invalid_dmarc(d, &["p=reject; v=DMARC1"]),
            DmarcKind::LeadingSpace => plant_invalid_dmarc(d, &[" v=DMARC1; p=none"]),
            DmarcKind::Unrelated => {
                plant_invalid_dmarc(d, &["google-site-verification=Xq3t7dmarc"])
            }
            DmarcKind::Multiple => {
                plant_invalid_dmarc(d, &["v=DMARC1; p=none", "v=DMARC1; p=reject"])
            }
        }
    }

    // BIMI, MTA-STS, TLS-RPT, DKIM over the non-parked resolvable domains.
    let mut order = others.clone();
    order.shuffle(&mut rng);
    // BIMI goes with enforced DMARC first, as receivers require it.
    order.sort_by_key(|&i| {
        !matches!(
            doms[i].truth.dmarc_p.as_deref(),
            Some("quarantine" | "reject")
        )
    });
    let bimi_valid = share(n, 0.008);
    let bimi_noauth = share(n, 0.002);
    let bimi_declined = share(n, 0.002);
    let bimi_invalid = share(n, 0.002);
    let mut it = order.iter().copied();
    for (count, kind) in [
        (bimi_valid, 0),
        (bimi_noauth, 1),
        (bimi_declined, 2),
        (bimi_invalid, 3),
    ] {
        for i in it.by_ref().take(count) {
            plant_bimi(&mut doms[i], kind);
        }
    }
    let mut order = others.clone();
    order.shuffle(&mut rng);
    let mut it = order.iter().copied();
    for (count, status, text) in [
        (share(n, 0.022), "valid", "v=STSv1; id=20250301T120000"),
        (share(n, 0.002), "invalid", "v=STSv1;"),
        (share(n, 0.001), "invalid", "v=STSv1; id=1|v=STSv1; id=2"),
    ] {
        for i in it.by_ref().take(count) {
            let d = &mut doms[i];
            for t in text.split('|') {
                d.txt("_mta-sts", t);
            }
            d.truth.mta_sts_status = status.into();
        }
    }
    let mut order = others.clone();
    order.shuffle(&mut rng);
    let mut it = order.iter().copied();
    for (count, status, kind) in [
        (share(n, 0.027), "valid", 0),
        (share(n, 0.002), "invalid", 1),
        (share(n, 0.001), "invalid", 2),
    ] {
        for i in it.by_ref().take(count) {
            let d = &mut doms[i];
            let text = match kind {
                0 => format!("v=TLSRPTv1; rua=mailto:tlsrpt@{}", d.name),
                1 => format!("v=TLSRPTv1; rua=ftp://reports.{}/tls", d.name),
                _ => "v=TLSRPTv1;".to_owned(),
            };
            d.txt("_smtp._tls", &text);
            d.truth.tlsrpt_status = status.into();
        }
    }
    let mut order: Vec<usize> = healthy.clone();
    order.shuffle(&mut rng);
    let mut it = order.iter().copied();
    for (count, kind) in [(share(n, 0.36), 0), (share(n, 0.02), 1)] {
        for i in it.by_ref().take(count) {
            let d = &mut doms[i];
            if kind == 0 {
                // A selector makes `_domainkey.<d>` an empty non-terminal: NODATA.
                let key = hex(&mut rng, 24);
                d.txt(
                    "selector1._domainkey",
                    &format!("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEB{key}"),
                );
            } else {
                d.txt("_domainkey", "o=~");
            }
            d.truth.dkim_status = "likely".into();
        }
    }

    // Infrastructure records customers point at.
    let (_, infra_txt) = spf_targets(&tld);
    let idx: HashMap<String, usize> = doms
        .iter()
        .enumerate()
        .map(|(i, d)| (d.label.clone(), i))
        .collect();
    for (label, owner, text) in infra_txt {
        if let Some(&i) = idx.get(label) {
            doms[i].txt(owner, &text);
        }
    }
    if let Some(&i) = idx.get(MAILHOST_A) {
        for h in ["mx1", "mx2"] {
            doms[i].add(h, "A", "127.0.0.1");
            let t = format!("3 1 1 {}", hex(&mut rng, 32));
            doms[i].add(&format!("_25._tcp.{h}"), "TLSA", t);
        }
    }
    if let Some(&i) = idx.get(MAILHOST_B) {
        doms[i].add("mx", "A", "127.0.0.1");
    }
    if let Some(&i) = idx.get(DMARC_REPORTS) {
        // RFC 7489 §7.1: the destination authorises every domain at once.
        doms[i].txt("*._report._dmarc", "v=DMARC1");
    }
    for d in doms.iter_mut() {
        let glue = d.glue.clone();
        for (host, addr) in glue {
            if let Some(rel) = host.strip_suffix(&format!(".{}", d.name)) {
                d.add(rel, "A", addr);
            }
        }
    }

    // Sectors: enforced DMARC leans to finance and government, parked to micro.
    for d in doms.iter_mut() {
        let enforcing = matches!(d.truth.dmarc_p.as_deref(), Some("quarantine" | "reject"));
        d.sector = if enforcing && rng.random_bool(0.4) {
            if rng.random_bool(0.5) {
                "finance"
            } else {
                "government"
            }
        } else {
            SECTORS[rng.random_range(0..SECTORS.len())]
        };
        d.size = if d.truth.parked {
            "micro"
        } else {
            SIZES[[0, 0, 0, 1, 1, 1, 1, 2, 2, 3][rng.random_range(0..10)]]
        };
    }
    Ok(doms)
}

fn plant_mx(d: &mut Domain, kind: MxKind, tld: &str, rng: &mut StdRng) {
    let own = |h: &str, d: &Domain| format!("{h}.{}", d.name);
    let tlsa_roll = rng.random_range(0..100);
    let t = |rng: &mut StdRng| format!("3 1 1 {}", hex(rng, 32));
    match kind {
        MxKind::OwnSingle => {
            d.add("@", "MX", "10 mail");
            d.add("mail", "A", "127.0.0.1");
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![own("mail", d)];
            if tlsa_roll < 20 {
                let v = t(rng);
                d.add("_25._tcp.mail", "TLSA", v);
                d.truth.dane_status = "valid".into();
            } else if tlsa_roll < 23 {
                // PKIX-EE is unusable for SMTP (RFC 7672 §3.1.3): invalid.
                let v = format!("1 0 1 {}", hex(rng, 32));
                d.add("_25._tcp.mail", "TLSA", v);
                d.truth.dane_status = "invalid".into();
            }
        }
        MxKind::OwnTwo => {
            d.add("@", "MX", "10 mx1");
            d.add("@", "MX", "20 mx2");
            d.add("mx1", "A", "127.0.0.1");
            d.add("mx2", "A", "127.0.0.1");
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![own("mx1", d), own("mx2", d)];
            if tlsa_roll < 15 {
                for h in ["mx1", "mx2"] {
                    let v = t(rng);
                    d.add(&format!("_25._tcp.{h}"), "TLSA", v);
                }
                d.truth.dane_status = "valid".into();
            } else if tlsa_roll < 23 {
                // Only one exchange protected: "every MX host" fails.
                let v = t(rng);
                d.add("_25._tcp.mx1", "TLSA", v);
                d.truth.dane_status = "invalid".into();
            }
        }
        MxKind::ProviderA => {
            d.add("@", "MX", format!("10 mx1.{MAILHOST_A}.{tld}."));
            d.add("@", "MX", format!("20 mx2.{MAILHOST_A}.{tld}."));
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![
                format!("mx1.{MAILHOST_A}.{tld}"),
                format!("mx2.{MAILHOST_A}.{tld}"),
            ];
            d.truth.dane_status = "valid".into();
        }
        MxKind::ProviderB => {
            d.add("@", "MX", format!("10 mx.{MAILHOST_B}.{tld}."));
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![format!("mx.{MAILHOST_B}.{tld}")];
        }
        MxKind::Mixed => {
            d.add("@", "MX", "10 mail");
            d.add("@", "MX", format!("50 mx.{MAILHOST_B}.{tld}."));
            d.add("mail", "A", "127.0.0.1");
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![own("mail", d), format!("mx.{MAILHOST_B}.{tld}")];
            if tlsa_roll < 30 {
                let v = t(rng);
                d.add("_25._tcp.mail", "TLSA", v);
                d.truth.dane_status = "invalid".into();
            }
        }
        MxKind::Absent => {}
        MxKind::Null => {
            d.add("@", "MX", "0 .");
            d.truth.mx_status = "null_mx".into();
        }
        MxKind::NullMixed => {
            // RFC 7505 §3: a null MX must be the only MX record.
            d.add("@", "MX", "0 .");
            d.add("@", "MX", "10 mail");
            d.add("mail", "A", "127.0.0.1");
            d.truth.mx_status = "invalid".into();
            d.truth.mx_hosts = vec![own("mail", d)];
        }
    }
}

/// Plants one SPF record and its truth, counted by [`spfwalk`].
fn plant_spf_text(d: &mut Domain, text: &str, targets: &Targets) {
    d.txt("@", text);
    let w = spfwalk::walk(text, targets);
    d.truth.spf_status = if w.invalid.is_some() {
        "invalid"
    } else {
        "valid"
    }
    .into();
    d.truth.spf_record = Some(text.to_owned());
    d.truth.spf_all = spf_all(text);
    d.truth.spf_lookups = Some(w.lookups);
    d.truth.spf_void_lookups = Some(w.voids);
}

/// The qualifier of the record's own first `all` (RFC 7208 §5.1).
fn spf_all(text: &str) -> Option<String> {
    text.split_ascii_whitespace().skip(1).find_map(|t| {
        let q = match t {
            "-all" => "-all",
            "~all" => "~all",
            "?all" => "?all",
            "+all" | "all" => "+all",
            _ => return None,
        };
        Some(q.to_owned())
    })
}

fn plant_spf(d: &mut Domain, kind: SpfKind, tld: &str, targets: &Targets, rng: &mut StdRng) {
    let a = format!("_spf.{MAILHOST_A}.{tld}");
    let b = format!("_spf.{MAILHOST_B}.{tld}");
    let c = format!("_spf.{BULKMAIL_C}.{tld}");
    let octet = rng.random_range(1..255);
    let text = match kind {
        SpfKind::MxOnly => "v=spf1 mx -all".to_owned(),
        SpfKind::AMx => "v=spf1 a mx ~all".to_owned(),
        SpfKind::ProviderA => format!("v=spf1 include:{a} ~all"),
        SpfKind::ProviderB => format!("v=spf1 include:{b} -all"),
        SpfKind::Ip4Neutral => format!("v=spf1 ip4:203.0.113.{octet} ?all"),
        SpfKind::Bulk => format!("v=spf1 mx include:{c} -all"),
        SpfKind::Redirect => format!("v=spf1 redirect={a}"),
        SpfKind::PassAll => "v=spf1 +all".to_owned(),
        SpfKind::Combined => format!("v=spf1 a mx include:{a} ip4:198.51.100.{octet} ~all"),
        SpfKind::LongSplit => {
            // Longer than one TXT string: published as two, read joined (§3.3).
            let mut t = String::from("v=spf1");
            for k in 0..18 {
                let _ = write!(t, " ip4:198.51.{}.{}/32", 100 + k, octet);
            }
            t.push_str(" -all");
            t
        }
        SpfKind::Multiple => {
            // RFC 7208 §4.5: more than one record is a permerror.
            d.txt("@", "v=spf1 mx -all");
            d.txt("@", &format!("v=spf1 include:{a} ~all"));
            d.truth.spf_status = "invalid".into();
            return;
        }
        SpfKind::OverLimit => format!("v=spf1 include:{b} include:{c} ~all"),
        SpfKind::SyntaxMoo | SpfKind::SyntaxBareInclude => {
            let text = if kind == SpfKind::SyntaxMoo {
                "v=spf1 mx -all moo"
            } else {
                "v=spf1 include ~all"
            };
            d.txt("@", text);
            d.truth.spf_status = "invalid".into();
            d.truth.spf_record = Some(text.to_owned());
            return;
        }
        SpfKind::IncludeNoSpf => format!("v=spf1 include:_spf.{OLDHOST}.{tld} -all"),
        SpfKind::IncludeGone => format!("v=spf1 include:_spf.{GONE_PROVIDER}.{tld} ~all"),
    };
    if rng.random_bool(0.15) {
        d.txt("@", &format!("site-verification={}", hex(rng, 12)));
    }
    plant_spf_text(d, &text, targets);
}

#[allow(clippy::too_many_arguments)] // one argument per DMARC column
fn plant_dmarc(
    d: &mut Domain,
    text: &str,
    p: Option<&str>,
    sp: Option<&str>,
    np: Option<&str>,
    pct: Option<i32>,
    t: Option<bool>,
    rua: Vec<String>,
    ruf: Vec<String>,
    authorized: Option<bool>,
) {
    d.txt("_dmarc", text);
    let tr = &mut d.truth;
    tr.dmarc_status = "valid".into();
    tr.dmarc_record = Some(text.to_owned());
    tr.dmarc_p = p.map(str::to_owned);
    tr.dmarc_sp = sp.map(str::to_owned);
    tr.dmarc_np = np.map(str::to_owned);
    tr.dmarc_pct = pct;
    tr.dmarc_t = t;
    tr.dmarc_rua = rua;
    tr.dmarc_ruf = ruf;
    tr.dmarc_rua_authorized = authorized;
}

fn plant_valid_dmarc(d: &mut Domain, p: Option<&str>, rua: Rua, tld: &str, rng: &mut StdRng) {
    let mut text = String::from("v=DMARC1");
    if let Some(p) = p {
        let _ = write!(text, "; p={p}");
    }
    let sp = rng
        .random_bool(0.10)
        .then(|| ["none", "quarantine", "reject"][rng.random_range(0..3)]);
    if let Some(sp) = sp {
        let _ = write!(text, "; sp={sp}");
    }
    let np = rng.random_bool(0.05).then_some("reject");
    if let Some(np) = np {
        let _ = write!(text, "; np={np}");
    }
    let pct = (p.is_some() && rng.random_bool(0.15)).then(|| [25, 50, 100][rng.random_range(0..3)]);
    if let Some(pct) = pct {
        let _ = write!(text, "; pct={pct}");
    }
    let t = rng.random_bool(0.04).then(|| rng.random_bool(0.7));
    if let Some(t) = t {
        let _ = write!(text, "; t={}", if t { "y" } else { "n" });
    }
    let internal = format!("mailto:dmarc@{}", d.name);
    let authorized_uri = format!("mailto:rua@{DMARC_REPORTS}.{tld}");
    let unauthorized_uri = format!("mailto:dmarc@{AGENCY_Z}.{tld}");
    let uris: Vec<String> = match rua {
        Rua::None => vec![],
        Rua::Internal => vec![internal],
        Rua::Authorized => vec![authorized_uri],
        Rua::Unauthorized => vec![unauthorized_uri],
        Rua::InternalAndAuthorized => vec![internal, authorized_uri],
    };
    // RFC 7489 §7.1: only destinations outside the domain's Organizational
    // Domain (here: another registered name under the TLD) need authorising;
    // dmarc-reports authorises everyone, agency-z no one.
    let external: Vec<bool> = uris
        .iter()
        .filter_map(|u| u.split_once('@').map(|(_, host)| host))
        .filter(|host| *host != d.name && !host.ends_with(&format!(".{}", d.name)))
        .map(|host| host == format!("{DMARC_REPORTS}.{tld}"))
        .collect();
    let auth = (!external.is_empty()).then(|| external.iter().all(|ok| *ok));
    if !uris.is_empty() {
        let _ = write!(text, "; rua={}", uris.join(","));
    }
    // Forensic reports only to the domain itself, so they never change the
    // authorisation verdict.
    let ruf = (!uris.is_empty() && rng.random_bool(0.1))
        .then(|| vec![format!("mailto:forensic@{}", d.name)]);
    if let Some(ruf) = &ruf {
        let _ = write!(text, "; ruf={}", ruf.join(","));
    }
    plant_dmarc(
        d,
        &text,
        p,
        sp,
        np,
        pct,
        t,
        uris,
        ruf.unwrap_or_default(),
        auth,
    );
}

fn plant_invalid_dmarc(d: &mut Domain, texts: &[&str]) {
    for t in texts {
        d.txt("_dmarc", t);
    }
    d.truth.dmarc_status = "invalid".into();
    // One record that does not parse is kept as published; several: none is "the" record.
    d.truth.dmarc_record = (texts.len() == 1).then(|| texts[0].to_owned());
}

fn plant_bimi(d: &mut Domain, kind: u8) {
    let logo = format!("https://www.{}/bimi/logo.svg", d.name);
    let vmc = format!("https://www.{}/bimi/vmc.pem", d.name);
    match kind {
        0 => {
            d.txt("default._bimi", &format!("v=BIMI1; l={logo}; a={vmc}"));
            d.truth.bimi_status = "valid".into();
            d.truth.bimi_logo = Some(logo);
            d.truth.bimi_authority = Some(vmc);
        }
        1 => {
            d.txt("default._bimi", &format!("v=BIMI1; l={logo}"));
            d.truth.bimi_status = "valid".into();
            d.truth.bimi_logo = Some(logo);
        }
        2 => {
            d.txt("default._bimi", "v=BIMI1; l=; a=;");
            d.truth.bimi_status = "declined".into();
        }
        _ => {
            // Draft §4.2: only https locations.
            d.txt(
                "default._bimi",
                &format!("v=BIMI1; l=http://www.{}/bimi/logo.svg", d.name),
            );
            d.truth.bimi_status = "invalid".into();
        }
    }
}

// ---------------------------------------------------------------------------
// Writing.

fn write(path: &Path, text: &str) -> Result<(), TestbedError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| TestbedError::io(format!("create {}", parent.display()), e))?;
    }
    fs::write(path, text).map_err(|e| TestbedError::io(format!("write {}", path.display()), e))
}

fn soa(apex: &str, mname: &str) -> String {
    format!("{apex}. 3600 IN SOA {mname}. hostmaster.{apex}. 1 3600 600 864000 300\n")
}

fn child_zone(d: &Domain) -> String {
    let mut z = format!("$ORIGIN {}.\n$TTL 3600\n", d.name);
    z.push_str(&soa(&d.name, &d.ns[0]));
    for ns in &d.ns {
        let _ = writeln!(z, "@ NS {ns}.");
    }
    for r in &d.records {
        let _ = writeln!(z, "{} {} {}", r.owner, r.rtype, r.rdata);
    }
    z
}

/// The records of `d` written into the TLD zone (flat layout).
fn flat_records(d: &Domain, out: &mut String) {
    for r in &d.records {
        let owner = if r.owner == "@" {
            d.label.clone()
        } else {
            format!("{}.{}", r.owner, d.label)
        };
        let rdata = if r.rtype == "MX" && !r.rdata.ends_with('.') {
            // Relative exchange names are relative to the child; make them absolute.
            let (pref, host) = r.rdata.split_once(' ').unwrap_or(("10", &r.rdata));
            format!("{pref} {host}.{}.", d.name)
        } else {
            r.rdata.clone()
        };
        let _ = writeln!(out, "{owner} {} {rdata}", r.rtype);
    }
}

fn delegation(d: &Domain, ds: Option<&str>, out: &mut String) {
    for ns in &d.ns {
        let _ = writeln!(out, "{}. 86400 IN NS {ns}.", d.name);
    }
    if let Some(ds) = ds {
        // ldns writes `owner TTL? IN DS …`; keep the RDATA only.
        if let Some(pos) = ds.find(" DS ") {
            let _ = writeln!(out, "{}. 86400 IN DS {}", d.name, &ds[pos + 4..]);
        }
    }
    for (host, addr) in &d.glue {
        let _ = writeln!(out, "{host}. 86400 IN A {addr}");
    }
}

/// The truth [`generate`] would write for `opts`, sorted by domain, without
/// writing or signing anything (the plan alone decides it).
pub fn planned_truth(opts: &UniverseOptions) -> Result<Vec<Truth>, TestbedError> {
    let layout = opts.layout.unwrap_or(if opts.domains <= 50_000 {
        Layout::Zones
    } else {
        Layout::Flat
    });
    let mut truth: Vec<Truth> = plan(opts, layout)?.into_iter().map(|d| d.truth).collect();
    truth.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(truth)
}

/// Generates a universe into `out` (created if missing; existing generated
/// files are overwritten).
pub fn generate(opts: &UniverseOptions, out: &Path) -> Result<Generated, TestbedError> {
    let layout = opts.layout.unwrap_or(if opts.domains <= 50_000 {
        Layout::Zones
    } else {
        Layout::Flat
    });
    let tld = opts.tld.trim_end_matches('.').to_ascii_lowercase();
    let mut doms = plan(opts, layout)?;
    doms.sort_by(|a, b| a.name.cmp(&b.name));
    fs::create_dir_all(out)
        .map_err(|e| TestbedError::io(format!("create {}", out.display()), e))?;
    let zones_dir = out.join("zones");
    if zones_dir.exists() {
        fs::remove_dir_all(&zones_dir).map_err(|e| TestbedError::io("clear old zones", e))?;
    }
    let children_dir = zones_dir.join("children");
    fs::create_dir_all(&children_dir).map_err(|e| TestbedError::io("create zones dir", e))?;
    let keys = tempdir_in(out)?;

    // Child zones (zones layout), signed where planned.
    let mut zones_list = format!("{tld} zones/{tld}.zone\n");
    let mut ds_of: HashMap<String, String> = HashMap::new();
    let mut signed_children = 0;
    if layout == Layout::Zones {
        let mut jobs = Vec::new();
        for d in doms.iter().filter(|d| d.served()) {
            let file = children_dir.join(format!("{}.zone", d.label));
            let _ = writeln!(zones_list, "{} zones/children/{}.zone", d.name, d.label);
            if d.signing == Signing::None {
                write(&file, &child_zone(d))?;
            } else {
                let unsigned = keys.join(format!("{}.unsigned", d.label));
                write(&unsigned, &child_zone(d))?;
                jobs.push((d.name.clone(), d.signing, unsigned, file));
            }
        }
        signed_children = jobs.len();
        ds_of = sign_children(jobs, &keys)?;
    }

    // The served TLD zone and the dump, streamed: at a million domains they are
    // hundreds of MB each.
    let mname = format!("a.nic.{tld}");
    let tld_path = zones_dir.join(format!("{tld}.zone"));
    let unsigned_tld = keys.join("tld.unsigned");
    let mut tld_zone = Sink::create(if layout == Layout::Zones {
        &unsigned_tld
    } else {
        &tld_path
    })?;
    let mut dump = Sink::create(&out.join("dump.zone"))?;
    let head = format!(
        "{}{tld}. 86400 IN NS {mname}.\n{mname}. 86400 IN A 127.0.0.1\n",
        soa(&tld, &mname)
    );
    tld_zone.put(&format!("$ORIGIN {tld}.\n$TTL 3600\n{head}"))?;
    dump.put(&format!(
        "; Zone dump of .{tld} as a registry publishes it (synthetic, seed {}).\n$ORIGIN {tld}.\n$TTL 86400\n{head}",
        opts.seed
    ))?;
    let mut buf = String::new();
    for d in &doms {
        let ds = ds_of.get(&d.name).map(String::as_str);
        buf.clear();
        delegation(d, ds, &mut buf);
        dump.put(&buf)?;
        if d.health == Health::NxDomain {
            continue;
        }
        buf.clear();
        match layout {
            Layout::Zones => delegation(d, ds, &mut buf),
            Layout::Flat if d.served() => flat_records(d, &mut buf),
            Layout::Flat => delegation(d, None, &mut buf),
        }
        tld_zone.put(&buf)?;
    }
    tld_zone.finish()?;
    dump.finish()?;
    if layout == Layout::Zones {
        let key = signing::keygen(&format!("{tld}."), Algorithm::EcdsaP256, &keys)?;
        signing::signzone(
            &unsigned_tld,
            &tld_path,
            &format!("{tld}."),
            &key,
            &keys,
            INCEPTION,
            EXPIRATION,
        )?;
        write(&out.join("trust-anchors"), &format!("{}\n", key.ds))?;
    } else {
        let _ = fs::remove_file(out.join("trust-anchors"));
    }
    let _ = fs::remove_dir_all(&keys);
    write(&out.join("zones.list"), &zones_list)?;

    // Truth, summary, sectors.
    let mut truth = Sink::create(&out.join("truth.jsonl"))?;
    let mut sectors = Sink::create(&out.join("sectors.csv"))?;
    sectors.put("domain,sector,size_class\n")?;
    for d in &doms {
        let mut line = serde_json::to_string(&d.truth)
            .map_err(|e| TestbedError::Invalid(format!("serialise truth: {e}")))?;
        line.push('\n');
        truth.put(&line)?;
        sectors.put(&format!("{},{},{}\n", d.name, d.sector, d.size))?;
    }
    truth.finish()?;
    sectors.finish()?;
    let truths: Vec<&Truth> = doms.iter().map(|d| &d.truth).collect();
    let summary = summary(&truths, opts, layout, &tld);
    let text = serde_json::to_string_pretty(&summary)
        .map_err(|e| TestbedError::Invalid(format!("serialise summary: {e}")))?;
    write(&out.join("summary.json"), &(text + "\n"))?;
    Ok(Generated {
        dir: out.to_path_buf(),
        domains: doms.len(),
        zones: zones_list.lines().count(),
        signed_children,
        layout,
    })
}

/// A buffered output file whose errors name the file.
struct Sink {
    w: std::io::BufWriter<fs::File>,
    path: PathBuf,
}

impl Sink {
    fn create(path: &Path) -> Result<Self, TestbedError> {
        let f = fs::File::create(path)
            .map_err(|e| TestbedError::io(format!("create {}", path.display()), e))?;
        Ok(Sink {
            w: std::io::BufWriter::with_capacity(1 << 20, f),
            path: path.to_path_buf(),
        })
    }
    fn put(&mut self, text: &str) -> Result<(), TestbedError> {
        use std::io::Write as _;
        self.w
            .write_all(text.as_bytes())
            .map_err(|e| TestbedError::io(format!("write {}", self.path.display()), e))
    }
    fn finish(mut self) -> Result<(), TestbedError> {
        use std::io::Write as _;
        self.w
            .flush()
            .map_err(|e| TestbedError::io(format!("write {}", self.path.display()), e))
    }
}

fn tempdir_in(out: &Path) -> Result<PathBuf, TestbedError> {
    let dir = out.join(".keys");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| TestbedError::io("create key dir", e))?;
    Ok(dir)
}

/// Signs the planned children on two threads; returns the DS text the parent
/// publishes for each (absent for islands).
fn sign_children(
    jobs: Vec<(String, Signing, PathBuf, PathBuf)>,
    keys: &Path,
) -> Result<HashMap<String, String>, TestbedError> {
    let sign_one = |(name, signing, unsigned, file): &(String, Signing, PathBuf, PathBuf)| -> Result<Option<(String, String)>, TestbedError> {
        let origin = format!("{name}.");
        let alg = match signing {
            Signing::Secure(a) | Signing::Island(a) => *a,
            _ => Algorithm::EcdsaP256,
        };
        let key: Key = signing::keygen(&origin, alg, keys)?;
        let (inception, expiration) = match signing {
            // Signatures that expired in 2011: bogus (RFC 4035 §5.3.1).
            Signing::Expired => ("20100101000000", "20110101000000"),
            _ => (INCEPTION, EXPIRATION),
        };
        signing::signzone(unsigned, file, &origin, &key, keys, inception, expiration)?;
        Ok(match signing {
            Signing::Island(_) | Signing::None => None,
            // The parent publishes the DS of a key the child never uses.
            Signing::BogusDs => Some((name.clone(), signing::keygen(&origin, alg, keys)?.ds)),
            _ => Some((name.clone(), key.ds)),
        })
    };
    let halves: Vec<&[(String, Signing, PathBuf, PathBuf)]> = {
        let mid = jobs.len() / 2;
        vec![&jobs[..mid], &jobs[mid..]]
    };
    let results: Vec<Result<Vec<(String, String)>, TestbedError>> = std::thread::scope(|s| {
        let handles: Vec<_> = halves
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    let mut out = Vec::new();
                    for job in part {
                        if let Some(ds) = sign_one(job)? {
                            out.push(ds);
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(TestbedError::Invalid("signing thread panicked".into()))
                })
            })
            .collect()
    });
    let mut map = HashMap::new();
    for r in results {
        map.extend(r?);
    }
    Ok(map)
}

/// `summary.json`: the planted counts of every status column and the headline
/// percentages of DESIGN.md "Statistics" (denominator: every domain).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Domains in the dump.
    pub domains: usize,
    /// The TLD.
    pub suffix: String,
    /// The seed.
    pub seed: u64,
    /// `zones` or `flat`.
    pub layout: String,
    /// Headline percentages (0–100, unrounded).
    pub headline: BTreeMap<String, f64>,
    /// For each status column, the count of each value.
    pub counts: BTreeMap<String, BTreeMap<String, usize>>,
}

fn summary(truths: &[&Truth], opts: &UniverseOptions, layout: Layout, tld: &str) -> Summary {
    let n = truths.len();
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for t in truths {
        let cols: [(&str, String); 13] = [
            ("resolution", t.resolution.clone()),
            ("mx_status", t.mx_status.clone()),
            ("spf_status", t.spf_status.clone()),
            (
                "spf_all",
                t.spf_all.clone().unwrap_or_else(|| "null".into()),
            ),
            ("dmarc_status", t.dmarc_status.clone()),
            (
                "dmarc_p",
                t.dmarc_p.clone().unwrap_or_else(|| "null".into()),
            ),
            ("dnssec_status", t.dnssec_status.clone()),
            ("bimi_status", t.bimi_status.clone()),
            ("mta_sts_status", t.mta_sts_status.clone()),
            ("tlsrpt_status", t.tlsrpt_status.clone()),
            ("dkim_status", t.dkim_status.clone()),
            ("dane_status", t.dane_status.clone()),
            ("parked", t.parked.to_string()),
        ];
        for (col, val) in cols {
            *counts
                .entry(col.into())
                .or_default()
                .entry(val)
                .or_default() += 1;
        }
    }
    let pct = |pred: &dyn Fn(&Truth) -> bool| -> f64 {
        if n == 0 {
            0.0
        } else {
            truths.iter().filter(|t| pred(t)).count() as f64 * 100.0 / n as f64
        }
    };
    let mut headline = BTreeMap::new();
    let enforcing = |t: &Truth| {
        t.dmarc_status == "valid" && matches!(t.dmarc_p.as_deref(), Some("quarantine" | "reject"))
    };
    let rows: [(&str, f64); 12] = [
        (
            "spf_present_pct",
            pct(&|t| matches!(t.spf_status.as_str(), "valid" | "invalid")),
        ),
        ("spf_valid_pct", pct(&|t| t.spf_status == "valid")),
        ("spf_error_pct", pct(&|t| t.spf_status == "error")),
        (
            "dmarc_present_pct",
            pct(&|t| matches!(t.dmarc_status.as_str(), "valid" | "invalid")),
        ),
        ("dmarc_valid_pct", pct(&|t| t.dmarc_status == "valid")),
        ("dmarc_enforcing_pct", pct(&enforcing)),
        ("dmarc_error_pct", pct(&|t| t.dmarc_status == "error")),
        ("dnssec_secure_pct", pct(&|t| t.dnssec_status == "secure")),
        ("null_mx_pct", pct(&|t| t.mx_status == "null_mx")),
        ("parked_pct", pct(&|t| t.parked)),
        ("resolution_error_pct", pct(&|t| t.resolution == "error")),
        ("nxdomain_pct", pct(&|t| t.resolution == "nxdomain")),
    ];
    for (k, v) in rows {
        headline.insert(k.to_owned(), v);
    }
    Summary {
        domains: n,
        suffix: tld.to_owned(),
        seed: opts.seed,
        layout: match layout {
            Layout::Zones => "zones",
            Layout::Flat => "flat",
        }
        .into(),
        headline,
        counts,
    }
}

/// Reads `truth.jsonl` (or `truth.jsonl.gz`, as committed in `datasets/`).
pub fn read_truth(path: &Path) -> Result<Vec<Truth>, TestbedError> {
    use std::io::Read as _;
    let raw =
        fs::read(path).map_err(|e| TestbedError::io(format!("read {}", path.display()), e))?;
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_string(&mut s)
            .map_err(|e| TestbedError::io(format!("gunzip {}", path.display()), e))?;
        s
    } else {
        String::from_utf8(raw).map_err(|e| TestbedError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| TestbedError::Parse {
                path: path.to_path_buf(),
                message: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_is_exact_and_stable() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(0, &[1.0]), vec![0]);
        assert_eq!(apportion(7, &[0.5, 0.5]).iter().sum::<usize>(), 7);
        assert_eq!(apportion(1000, &[52.4, 47.6]), vec![524, 476]);
    }

    #[test]
    fn txt_rdata_quotes_and_splits_rfc1035() {
        assert_eq!(txt_rdata("v=spf1 -all"), "\"v=spf1 -all\"");
        assert_eq!(txt_rdata("a\"b\\c"), "\"a\\\"b\\\\c\"");
        let long = "x".repeat(300);
        let r = txt_rdata(&long);
        assert_eq!(r.matches('"').count(), 4, "two strings: {r}");
    }

    #[test]
    fn spf_all_is_the_records_own() {
        for (t, want) in [
            ("v=spf1 -all", Some("-all")),
            ("v=spf1 mx all", Some("+all")),
            ("v=spf1 redirect=x.mctest", None),
            ("v=spf1 ?all -all", Some("?all")),
        ] {
            assert_eq!(spf_all(t).as_deref(), want, "{t}");
        }
    }

    #[test]
    fn plan_is_deterministic_and_hits_the_planted_shares() {
        let opts = UniverseOptions::new(2000, 7);
        let a = plan(&opts, Layout::Zones).unwrap();
        let b = plan(&opts, Layout::Zones).unwrap();
        assert_eq!(
            a.iter().map(|d| &d.truth).collect::<Vec<_>>(),
            b.iter().map(|d| &d.truth).collect::<Vec<_>>()
        );
        let count = |f: &dyn Fn(&Truth) -> bool| a.iter().filter(|d| f(&d.truth)).count();
        assert_eq!(
            count(&|t| matches!(t.spf_status.as_str(), "valid" | "invalid")),
            1048
        );
        assert_eq!(
            count(&|t| matches!(t.dmarc_status.as_str(), "valid" | "invalid")),
            210
        );
        assert_eq!(count(&|t| t.parked), 50);
        assert_eq!(count(&|t| t.resolution == "nxdomain"), 16);
        // Names are unique.
        let names: HashSet<&str> = a.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names.len(), 2000);
    }

    fn bare(label: &str) -> Domain {
        let name = format!("{label}.mctest");
        Domain {
            truth: Truth::blank(&name, "mctest", vec![], "ok", "absent"),
            label: label.into(),
            name,
            ns: vec![],
            glue: vec![],
            health: Health::Ok,
            signing: Signing::None,
            infra: false,
            records: vec![],
            sector: "",
            size: "",
        }
    }

    #[test]
    fn rua_at_the_domains_own_name_needs_no_authorisation() {
        // Regression: agency-z's own `rua=mailto:dmarc@agency-z.mctest` was
        // planted as unauthorised although it is not external (RFC 7489 §7.1).
        let mut rng = StdRng::seed_from_u64(1);
        for (label, rua, want) in [
            (AGENCY_Z, Rua::Unauthorized, None),
            (DMARC_REPORTS, Rua::Authorized, None),
            ("shop", Rua::Unauthorized, Some(false)),
            ("shop", Rua::Authorized, Some(true)),
            ("shop", Rua::InternalAndAuthorized, Some(true)),
            ("shop", Rua::Internal, None),
        ] {
            let mut d = bare(label);
            plant_valid_dmarc(&mut d, Some("none"), rua, "mctest", &mut rng);
            assert_eq!(d.truth.dmarc_rua_authorized, want, "{label} {rua:?}");
        }
    }

    #[test]
    fn planted_spf_kinds_have_their_intended_status() {
        // Regression guard for the include tree: each kind's RFC reading.
        let (targets, _) = spf_targets("mctest");
        let mut rng = StdRng::seed_from_u64(1);
        for (kind, status, lookups) in [
            (SpfKind::ProviderB, "valid", Some(5)),
            (SpfKind::Bulk, "valid", Some(8)),
            (SpfKind::OverLimit, "invalid", Some(11)),
            (SpfKind::IncludeNoSpf, "invalid", Some(1)),
            (SpfKind::IncludeGone, "invalid", Some(1)),
            (SpfKind::Redirect, "valid", Some(1)),
            (SpfKind::Multiple, "invalid", None),
            (SpfKind::SyntaxMoo, "invalid", None),
        ] {
            let mut d = bare("x");
            plant_spf(&mut d, kind, "mctest", &targets, &mut rng);
            assert_eq!(
                (d.truth.spf_status.as_str(), d.truth.spf_lookups),
                (status, lookups),
                "{kind:?}"
            );
        }
    }
}
