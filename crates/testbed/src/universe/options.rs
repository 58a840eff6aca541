//! What to generate: the planted shares and the options.

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
/// Share of all domains with a wildcard `* A` (parking; no SPF, no MX).
pub const WILDCARD_A: f64 = 0.020;
/// Share of all domains with `* A` and `* TXT "v=spf1 -all"` (and the same
/// SPF record at the apex).
pub const WILDCARD_TXT: f64 = 0.005;

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
    /// Domains planned together at most; `None`: [`BLOCK_DOMAINS`]. A larger
    /// universe is planned and written block by block (see `plan_blocks`).
    ///
    /// [`BLOCK_DOMAINS`]: super::BLOCK_DOMAINS
    pub block_domains: Option<usize>,
    /// Write only the scanner's input (`dump.zone`) and `summary.json`: no
    /// zones, truth or sectors. For benchmark inputs too large for the disk
    /// whose names another, smaller universe of the same seed serves.
    pub dump_only: bool,
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
            block_domains: None,
            dump_only: false,
        }
    }
}
