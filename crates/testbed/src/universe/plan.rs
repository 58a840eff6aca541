//! The plan: which domain gets what, by exact counts over seeded shuffles.

use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::answers::{Answers, Derived, derive};
use super::model::*;
use super::options::*;
use super::plant::*;
use super::truth::Truth;
use crate::error::TestbedError;
use crate::signing::Algorithm;
use mailcensus_input::Dedupe;

pub(super) const SECTORS: [&str; 10] = [
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
pub(super) const SIZES: [&str; 4] = ["micro", "small", "medium", "large"];

/// Largest-remainder apportionment of `n` items over `weights`.
pub(super) fn apportion(n: usize, weights: &[f64]) -> Vec<usize> {
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
pub(super) fn deal<T: Copy>(items: &[usize], variants: &[(T, f64)]) -> Vec<(usize, T)> {
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

pub(super) fn share(n: usize, fraction: f64) -> usize {
    (n as f64 * fraction).round() as usize
}

pub(super) fn word(rng: &mut StdRng) -> String {
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

/// The labels every block of a universe has drawn so far, as 64-bit
/// fingerprints (the scanner's own exactly-once table, at most 16 bytes per
/// label): labels stay unique across blocks without keeping their text.
pub(super) struct Labels(Dedupe);

impl Labels {
    /// Infrastructure and reserved labels are taken from the start.
    pub(super) fn new() -> Self {
        let mut seen = Dedupe::new();
        for label in INFRA.iter().chain(RESERVED.iter()) {
            seen.insert(label.as_bytes());
        }
        Labels(seen)
    }

    /// True when `label` was not drawn before (and records it). A fingerprint
    /// collision (about n²/2⁶⁵ for n labels) makes a new label look drawn; it
    /// is skipped, deterministically, as a duplicate would be.
    fn insert(&mut self, label: &str) -> bool {
        self.0.insert(label.as_bytes())
    }
}

/// `n` new labels, the infrastructure's first when `with_infra`.
pub(super) fn domain_labels(
    rng: &mut StdRng,
    n: usize,
    with_infra: bool,
    seen: &mut Labels,
) -> Vec<String> {
    let mut out: Vec<String> = if with_infra {
        INFRA.iter().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    while out.len() < n {
        let label = match rng.random_range(0..10) {
            0 | 1 => format!("{}-{}", word(rng), word(rng)),
            2 => format!("{}{}", word(rng), rng.random_range(1..1000)),
            _ => word(rng),
        };
        if seen.insert(&label) {
            out.push(label);
        }
    }
    out
}

/// Domains planned together at most. A larger universe is planned block by
/// block, each from its own seed with the planted shares applied to it alone,
/// so that generating it holds one block's plan at a time, however large it
/// is. Every universe of up to this many domains (the committed sample
/// included) is one block, planned from `seed` as before blocks existed.
pub const BLOCK_DOMAINS: usize = 100_000;

/// One block of a universe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Block {
    /// 0 for the first block, which alone holds the infrastructure domains.
    pub(super) index: usize,
    /// Domains in this block.
    pub(super) domains: usize,
    /// Seed of this block's plan; the universe's seed for the first block.
    pub(super) seed: u64,
    /// Signed children in this block (zones layout), or the default share.
    pub(super) signed: Option<usize>,
    /// Silent lame delegations in this block, or the default share.
    pub(super) dead_lame: Option<usize>,
}

/// The blocks of a universe: `ceil(domains / block)` blocks of equal size (up
/// to one domain), explicit counts of signed children and silent lame
/// delegations split over them in proportion.
pub(super) fn blocks(opts: &UniverseOptions) -> Vec<Block> {
    let per = opts.block_domains.unwrap_or(BLOCK_DOMAINS).max(50);
    let count = opts.domains.div_ceil(per).max(1);
    let sizes = apportion(opts.domains, &vec![1.0; count]);
    let weights: Vec<f64> = sizes.iter().map(|&s| s as f64).collect();
    let split = |total: Option<usize>| -> Vec<Option<usize>> {
        match total {
            Some(t) => apportion(t, &weights).into_iter().map(Some).collect(),
            None => vec![None; count],
        }
    };
    let (signed, dead_lame) = (split(opts.signed), split(opts.dead_lame));
    (0..count)
        .map(|index| Block {
            index,
            domains: sizes[index],
            seed: block_seed(opts.seed, index),
            signed: signed[index],
            dead_lame: dead_lame[index],
        })
        .collect()
}

/// The first block's seed is the universe's; the others' are spread by a
/// SplitMix64 step so that neighbouring seeds do not share blocks.
fn block_seed(seed: u64, index: usize) -> u64 {
    if index == 0 {
        return seed;
    }
    let mut z = seed.wrapping_add((index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The layout and the normalised TLD of `opts`, checked.
pub(super) fn check(opts: &UniverseOptions) -> Result<(Layout, String), TestbedError> {
    if opts.domains < 50 {
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
    let layout = opts.layout.unwrap_or(if opts.domains <= 50_000 {
        Layout::Zones
    } else {
        Layout::Flat
    });
    Ok((layout, tld))
}

/// Plans the universe block by block and hands each block's domains, sorted
/// by name, to `each`; only one block's plan is held at a time (and the first
/// block's infrastructure domains, which the others point at).
pub(super) fn plan_blocks(
    opts: &UniverseOptions,
    mut each: impl FnMut(&Block, Vec<Domain>) -> Result<(), TestbedError>,
) -> Result<(), TestbedError> {
    let (layout, tld) = check(opts)?;
    let mut labels = Labels::new();
    let mut infra: Vec<Domain> = Vec::new();
    for block in blocks(opts) {
        let mut doms = plan(&block, &tld, layout, &mut labels, &infra)?;
        doms.sort_by(|a, b| a.name.cmp(&b.name));
        if block.index == 0 {
            infra = doms.iter().filter(|d| d.infra).cloned().collect();
        }
        each(&block, doms)?;
    }
    Ok(())
}

/// Plans one block: every domain's records and truth. `infra` holds the
/// infrastructure domains when they are in another block (the first).
pub(super) fn plan(
    block: &Block,
    tld: &str,
    layout: Layout,
    labels: &mut Labels,
    infra: &[Domain],
) -> Result<Vec<Domain>, TestbedError> {
    let n = block.domains;
    if n < 50 {
        return Err(TestbedError::Invalid(
            "a universe needs at least 50 domains".into(),
        ));
    }
    let n_infra = if block.index == 0 { INFRA.len() } else { 0 };
    let mut rng = StdRng::seed_from_u64(block.seed);
    let labels = domain_labels(&mut rng, n, n_infra > 0, labels);
    let mut doms: Vec<Domain> = labels
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            let name = format!("{label}.{tld}");
            Domain {
                truth: Truth::blank(&name, tld, Vec::new(), "ok", "absent"),
                label,
                name,
                ns: Vec::new(),
                glue: Vec::new(),
                health: Health::Ok,
                signing: Signing::None,
                infra: i < n_infra,
                records: Vec::new(),
                spf: None,
                sector: "",
                size: "",
            }
        })
        .collect();

    // Resolution and DNSSEC ---------------------------------------------------
    let mut pool: Vec<usize> = (n_infra..n).collect();
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
    for i in take(block.dead_lame.unwrap_or(n / 1000), &mut pool) {
        doms[i].health = Health::LameDead;
    }
    if layout == Layout::Zones {
        let signed = block.signed.unwrap_or(share(n, 0.03).clamp(6, 300));
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
        // mailhost-a, the DANE provider, signs its zone: its TLSA records are
        // usable (RFC 7672 §2.2) for customers whose own MX RRset validates.
        let mut secure_set = take(secure.saturating_sub(1), &mut pool);
        if secure > 0
            && let Some(i) = doms.iter().position(|d| d.label == MAILHOST_A)
        {
            secure_set.push(i);
        }
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
                d.truth = Truth::blank(&d.name, tld, d.ns.clone(), "nxdomain", "absent");
            }
            // The Extended DNS Errors (RFC 8914) measured from Unbound 1.17.1
            // with `ede: yes` on the DNSKEY query (datasets/README.md): none
            // for a lame delegation (SERVFAIL without EDE when the name server
            // has no address; no answer at all within minutes when it is
            // silent, so the client times out).
            Health::LameNoAddr | Health::LameDead => {
                d.truth = Truth::blank(&d.name, tld, d.ns.clone(), "error", "error");
                d.truth.dnssec_reason = Some("unspecified".into());
            }
            // A DS that matches no DNSKEY: EDE 9 "DNSKEY Missing"; signatures
            // expired: EDE 7 "Signature Expired".
            Health::BogusDs | Health::Expired => {
                d.truth = Truth::blank(&d.name, tld, d.ns.clone(), "error", "error");
                d.truth.dnssec_status = "bogus".into();
                d.truth.dnssec_reason = Some(
                    if d.health == Health::BogusDs {
                        "dnskey_missing"
                    } else {
                        "signature_expired"
                    }
                    .into(),
                );
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

    // Parked: RFC 7505 null MX, `v=spf1 -all`, DMARC p=reject.
    for &i in &parked {
        let d = &mut doms[i];
        d.add("@", "MX", "0 .");
        d.truth.mx_status = "null_mx".into();
        plant_spf_text(d, "v=spf1 -all");
        plant_reject_dmarc(d);
        d.truth.parked = true;
    }

    // MX for everyone else resolvable (dealt over its own order, so that it is
    // independent of SPF), and a web server at most apexes (what an SPF `a`
    // finds, RFC 7208 §5.3).
    let mut mx_order = others.clone();
    mx_order.shuffle(&mut rng);
    let mx_plan = deal(
        &mx_order,
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
        let secure = doms[i].secure();
        plant_mx(&mut doms[i], kind, tld, secure, &mut rng);
    }
    for &i in &others {
        if rng.random_bool(0.7) {
            doms[i].add("@", "A", "127.0.0.1");
        }
    }

    // SPF, dealt over its own order so that the kind is independent of DMARC.
    let mut spf_order = spf_set.clone();
    spf_order.shuffle(&mut rng);
    let spf_plan = deal(
        &spf_order,
        &[
            (SpfKind::MxOnly, 20.0),
            (SpfKind::AMx, 12.0),
            (SpfKind::ProviderA, 18.0),
            (SpfKind::ProviderB, 12.0),
            (SpfKind::Ip4Neutral, 5.0),
            (SpfKind::Bulk, 6.0),
            (SpfKind::Redirect, 2.5),
            (SpfKind::RedirectOwn, 1.5),
            (SpfKind::Reject, 3.0),
            (SpfKind::PassAll, 1.5),
            (SpfKind::Combined, 12.0),
            (SpfKind::LongSplit, 2.5),
            (SpfKind::VoidAOne, 1.0),
            (SpfKind::Multiple, 2.0),
            (SpfKind::OverLimit, 2.0),
            (SpfKind::VoidA, 1.0),
            (SpfKind::MxPool, 0.5),
            (SpfKind::SyntaxMoo, 0.8),
            (SpfKind::SyntaxBareInclude, 0.7),
            (SpfKind::IncludeNoSpf, 0.8),
            (SpfKind::IncludeGone, 0.7),
        ],
    );
    for (i, kind) in spf_plan {
        plant_spf(&mut doms[i], kind, tld, &mut rng);
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

    // DMARC: every domain of the set publishes a record, valid or invalid.
    let dmarc_plan = deal(
        &dmarc_set,
        &[
            (DmarcKind::Valid, 91.0),
            (DmarcKind::Stray, 3.0),
            (DmarcKind::Multiple, 2.0),
            (DmarcKind::BareRua, 1.5),
            (DmarcKind::AdkimRelaxed, 1.5),
            (DmarcKind::InvalidP, 1.0),
        ],
    );
    let mut valid_dmarc: Vec<usize> = dmarc_plan
        .iter()
        .filter(|(_, k)| matches!(k, DmarcKind::Valid | DmarcKind::Stray))
        .map(|(i, _)| *i)
        .collect();
    // Policies independent of the kind (the plan lists kinds in order).
    valid_dmarc.shuffle(&mut rng);
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
            DmarcKind::Valid | DmarcKind::Stray => {
                let p = policy_of.get(&i).copied().flatten();
                let rua = rua_of.get(&i).copied().unwrap_or(Rua::None);
                plant_valid_dmarc(d, p, rua, tld, &mut rng);
                if kind == DmarcKind::Stray {
                    // Discarded by receivers (RFC 7489 §6.6.3 step 3): still valid.
                    let token = hex(&mut rng, 10);
                    d.txt("_dmarc", &format!("google-site-verification={token}"));
                }
            }
            _ => plant_invalid_dmarc(d, kind),
        }
    }

    // Wildcards, as parking and some DNS hosters publish them: `* A` at
    // domains that send no mail; `* A` + `* TXT "v=spf1 -all"` at some that
    // publish `v=spf1 -all`. The wildcard answers at `_domainkey` (DKIM hint
    // `unknown`) and, for the TXT one, at `_dmarc`, `_mta-sts`, `_smtp._tls`
    // with an SPF record that is no DMARC, MTA-STS or TLS-RPT record (absent).
    let no_dmarc_name = |d: &Domain| !d.records.iter().any(|r| r.owner == "_dmarc");
    let mut order = others.clone();
    order.shuffle(&mut rng);
    let wild_a: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| {
            let d = &doms[i];
            !d.infra
                && d.truth.spf_status == "absent"
                && d.spf.is_none()
                && no_dmarc_name(d)
                && matches!(d.truth.mx_status.as_str(), "absent" | "null_mx")
        })
        .take(share(n, WILDCARD_A))
        .collect();
    let wild_txt: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| {
            let d = &doms[i];
            !d.infra && d.spf.as_deref() == Some("v=spf1 -all") && no_dmarc_name(d)
        })
        .take(share(n, WILDCARD_TXT))
        .collect();
    for &i in &wild_a {
        doms[i].add("*", "A", "127.0.0.3");
    }
    for &i in &wild_txt {
        doms[i].add("*", "A", "127.0.0.3");
        doms[i].txt("*", "v=spf1 -all");
    }
    let wild: HashSet<usize> = wild_a.iter().chain(&wild_txt).copied().collect();

    // DMARC look-alikes at domains without DMARC: discarded, `absent`.
    let mut order: Vec<usize> = others
        .iter()
        .copied()
        .filter(|i| !wild.contains(i) && no_dmarc_name(&doms[*i]))
        .collect();
    order.shuffle(&mut rng);
    let mut it = order.iter().copied();
    for (count, kind) in [
        (share(n, 0.002), DmarcLookAlike::VFirstWrong),
        (share(n, 0.0016), DmarcLookAlike::LeadingSpace),
        (share(n, 0.0012), DmarcLookAlike::Unrelated),
    ] {
        for i in it.by_ref().take(count) {
            plant_dmarc_look_alike(&mut doms[i], kind);
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
        // RFC 8461 §3.1: the version must be followed by `;`: a look-alike,
        // discarded.
        (share(n, 0.001), "absent", "v=STSv1"),
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
        // RFC 8460 §3: `v=TLSRPTv1` then `;`: a look-alike, discarded.
        (share(n, 0.001), "absent", 3),
    ] {
        for i in it.by_ref().take(count) {
            let d = &mut doms[i];
            let text = match kind {
                0 => format!("v=TLSRPTv1; rua=mailto:tlsrpt@{}", d.name),
                1 => format!("v=TLSRPTv1; rua=ftp://reports.{}/tls", d.name),
                2 => "v=TLSRPTv1;".to_owned(),
                _ => "v=TLSRPTv1".to_owned(),
            };
            d.txt("_smtp._tls", &text);
            d.truth.tlsrpt_status = status.into();
        }
    }
    // DKIM: the hint is derived from the served names below (`answers`).
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
        }
    }

    // Infrastructure records customers point at.
    let idx: HashMap<String, usize> = doms
        .iter()
        .enumerate()
        .map(|(i, d)| (d.label.clone(), i))
        .collect();
    for (label, owner, text) in infra_spf(tld) {
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

    // Columns that depend on how the records combine: SPF (the walk reaches
    // other zones), DKIM hint (wildcards), DANE (where each zone is signed).
    let derived: Vec<(usize, Derived)> = {
        let answers = Answers::with_infra(&doms, infra, tld);
        healthy
            .iter()
            .map(|&i| (i, derive(&doms[i], &answers)))
            .collect()
    };
    for (i, d) in derived {
        d.apply(&mut doms[i]);
    }
    // Parked as the records read, not as planned: the kinds are dealt
    // independently, so a domain can combine the three by chance.
    for d in doms.iter_mut() {
        d.truth.parked = reads_parked(&d.truth);
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

/// RFC 7505 §4 and the M3AAWG parked-domain advice: a null MX, `v=spf1 -all`
/// and nothing else, and a DMARC policy of `reject` as receivers apply it.
fn reads_parked(t: &Truth) -> bool {
    let spf_rejects_all = t.spf_status == "valid"
        && t.spf_record.as_deref().is_some_and(|r| {
            let terms: Vec<String> = r.split_whitespace().map(str::to_ascii_lowercase).collect();
            terms == ["v=spf1", "-all"]
        });
    t.mx_status == "null_mx" && spf_rejects_all && t.dmarc_p.as_deref() == Some("reject")
}

/// The truth [`generate`](super::generate) would write for `opts`, sorted by domain, without
/// writing or signing anything (the plan alone decides it).
pub fn planned_truth(opts: &UniverseOptions) -> Result<Vec<Truth>, TestbedError> {
    let mut truth: Vec<Truth> = Vec::with_capacity(opts.domains);
    plan_blocks(opts, |_, doms| {
        truth.extend(doms.into_iter().map(|d| d.truth));
        Ok(())
    })?;
    truth.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(truth)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::options::{Layout, UniverseOptions};
    use super::super::truth::Truth;
    use super::*;

    #[test]
    fn apportion_is_exact_and_stable() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(0, &[1.0]), vec![0]);
        assert_eq!(apportion(7, &[0.5, 0.5]).iter().sum::<usize>(), 7);
        assert_eq!(apportion(1000, &[52.4, 47.6]), vec![524, 476]);
    }

    /// A universe of one block, planned on its own.
    fn plan_whole(opts: &UniverseOptions, layout: Layout) -> Vec<Domain> {
        let all = blocks(opts);
        assert_eq!(all.len(), 1);
        plan(&all[0], &opts.tld, layout, &mut Labels::new(), &[]).unwrap()
    }

    #[test]
    fn plan_is_deterministic_and_hits_the_planted_shares() {
        let opts = UniverseOptions::new(2000, 7);
        let a = plan_whole(&opts, Layout::Zones);
        let b = plan_whole(&opts, Layout::Zones);
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
}
