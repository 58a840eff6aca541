//! DMARC (RFC 7489, RFC 9989 "DMARCbis").
//!
//! [`parse`] checks one record against its grammar ([`DmarcRecord`], or the
//! first error); [`read`] reads it the way a receiver does, dropping what is
//! malformed and applying RFC 7489 §6.6.3 step 6 ([`DmarcReading`]);
//! [`classify`] selects the record at `_dmarc.<d>` and fills the `dmarc_*`
//! columns ([`DmarcPosture`]) from both;
//! [`authorization_names`] tells the engine which external report destinations
//! to check (RFC 7489 §7.1). The decisions where RFC 7489 and RFC 9989 differ
//! are documented in the submodules.

mod classify;
mod parse;
mod types;

pub use classify::{authorization_names, classify};
pub use parse::{VERSION, is_candidate, parse, read};
pub use types::{Alignment, DmarcPosture, DmarcReading, DmarcRecord, Policy, Psd, ReportUri};
