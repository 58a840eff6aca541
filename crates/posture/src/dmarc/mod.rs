//! DMARC (RFC 7489, RFC 9989 "DMARCbis").
//!
//! [`parse`] reads one record ([`DmarcRecord`]); [`classify`] selects the record
//! at `_dmarc.<d>` and fills the `dmarc_*` columns ([`DmarcPosture`]);
//! [`authorization_names`] tells the engine which external report destinations
//! to check (RFC 7489 §7.1). The decisions where RFC 7489 and RFC 9989 differ
//! are documented in the submodules.

mod classify;
mod parse;
mod types;

pub use classify::{authorization_names, classify};
pub use parse::{VERSION, is_candidate, parse};
pub use types::{Alignment, DmarcPosture, DmarcRecord, Policy, Psd, ReportUri};
