//! Synthetic TLD universes and the Knot/Unbound loopback testbed of mailcensus.
//!
//! Nothing in mailcensus's tests or benchmarks reaches the internet: they run real
//! DNS servers on 127.0.0.0/8 only.
//!
//! * [`servers`] starts private `knotd` (authoritative) and `unbound` (validating
//!   resolver, every zone stubbed to Knot) instances on free high ports of
//!   127.0.0.1, waits until they answer, and kills them on drop.
//! * [`universe`] generates a planted TLD universe: Knot-servable zone files, the
//!   registry-style zone dump the scanner reads, and the ground truth of every
//!   contract column, derived from the generator's own plan (never from the
//!   classifiers under test).
//! * [`signing`] pre-signs zones with the ldns tools; [`spfwalk`] counts SPF
//!   lookups of planted records straight from RFC 7208.
//! * [`zonedump`] writes synthetic zone dumps of N delegations for input tests.
//! * [`detached`] runs the same two servers detached from a state directory,
//!   for scripts and for tests of the `mailcensus` binary.
//!
//! The `mailcensus-testbed` binary is the front end: `generate` of
//! [`universe`], `start`/`stop`/`status` of [`detached`] (which
//! `scripts/testbed.sh` wraps). The Knot and Unbound configurations are
//! written in one place, [`servers`].
#![deny(missing_docs)]

pub mod detached;
mod error;
pub mod servers;
pub mod signing;
pub mod spfwalk;
pub mod universe;
pub mod zonedump;

pub use error::TestbedError;
pub use servers::{
    KnotOptions, KnotServer, UnboundOptions, UnboundServer, ZoneSpec, binaries_available,
};
