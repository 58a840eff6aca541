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
//! the RFC rules applied directly — never by running the posture classifiers,
//! which the end-to-end test checks against it. Most columns follow from one
//! planted choice; those that depend on how records combine (the SPF walk over
//! include, redirect, `a` and `mx` targets; the DKIM hint, which a wildcard
//! blinds; DANE, which needs validated MX and TLSA RRsets) are read from the
//! final records by `answers`, which answers as the served zones do
//! (wildcards included) and walks SPF with [`crate::spfwalk`].
//!
//! Proportions are exact counts (largest-remainder apportionment over a seeded
//! shuffle), not independent draws, so the planted percentages are what the
//! constants below say, up to rounding to whole domains (per block). `datasets/README.md`
//! documents the mix.
//!
//! Streaming: a universe of more than [`BLOCK_DOMAINS`] domains is planned in
//! blocks of at most that many, each from its own seed (the first from the
//! universe's seed) with the shares applied to the block, and each block's
//! files are written before the next is planned. Generating holds one block's
//! plan, the first block's infrastructure domains (which every block's
//! customers point at) and a 64-bit fingerprint per label drawn (labels stay
//! unique across blocks), so 10 M domains fit where 1 M did not before. A
//! universe of one block, the committed sample included, is planned exactly as
//! before blocks existed; blocks do not depend on what follows them, so a
//! smaller universe is the first blocks of a larger one of the same seed.
//! Within a block, domains are written in name order.
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
//!   CD=1). `dnssec_reason` is the Extended DNS Error (RFC 8914) Unbound 1.17
//!   attaches to the DNSKEY answer, as measured (datasets/README.md):
//!   `dnskey_missing` (9) for the DS mismatch, `signature_expired` (7) for the
//!   expired signatures, `unspecified` for lame delegations (no EDE, or no
//!   answer at all).
//!
//! Modules, each importing only those above it: `options`, `truth`, `model`
//! (a planned domain), `plant` (one kind of record), `plan`, `write`.

mod answers;
mod model;
mod options;
mod plan;
mod plant;
mod truth;
mod write;

pub use options::{
    DMARC_PRESENT, LAME_NOADDR, Layout, NXDOMAIN, PARKED, SPF_PRESENT, UniverseOptions, WILDCARD_A,
    WILDCARD_TXT,
};
pub use plan::{BLOCK_DOMAINS, planned_truth};
pub use truth::{Summary, Truth, read_truth};
pub use write::{Generated, generate};
