//! Mail-security posture of a domain, classified from DNS evidence.
//!
//! This crate is the pure heart of mailcensus: DNS evidence in, classifications
//! out, no I/O. The resolver engine (`mailcensus-dns`) gathers a [`DomainEvidence`]
//! per domain; [`classify_domain`] turns it into a [`Posture`], the classified
//! columns of the Parquet contract (see `DESIGN.md`).
//!
//! One module per protocol, each with its record parser and its classifier:
//! [`spf`] (RFC 7208, with the void-lookup and MX limits over `a`/`mx`
//! targets), [`dmarc`] (RFC 7489, RFC 9989), [`mx`] (RFC 7505), [`dnssec`]
//! (RFC 4035, with the resolver's Extended DNS Error, RFC 8914, as the
//! reason), [`bimi`] (draft-brand-indicators-for-message-identification),
//! [`mta_sts`] (RFC 8461), [`tlsrpt`] (RFC 8460), [`dkim`] (RFC 8020 hint,
//! checked against a name that cannot exist, RFC 9824) and [`dane`]
//! (RFC 7672, validated TLSA only). The tag=value grammar DMARC, BIMI,
//! MTA-STS and TLS-RPT share (RFC 6376 §3.2) lives in [`tags`]; their parse
//! errors are [`RecordError`]. Each record type with a parser offers
//! `parse`, a `Display` that parses back to the same record, and `classify`
//! over a TXT lookup.
//!
//! [`findings`] explains a classified domain for a person (`mailcensus
//! check`): what is wrong or weak, why, what to change, with the RFC section
//! that decides it, from the same evidence and posture.
//!
//! The census measures what receivers see. Records are selected as
//! receivers select them: a TXT record that does not start with the
//! protocol's version tag is discarded, not counted as a broken record. A
//! DMARC record is read as receivers read it: a malformed tag is reported
//! (`invalid`) but dropped on its own, and the policy columns hold the policy
//! receivers apply. DANE counts only what a validating resolver
//! authenticated.
//!
//! The one rule every classifier keeps: evidence of a failed query (timeout,
//! SERVFAIL, REFUSED, FORMERR, malformed answer) yields `error`, never `absent`.
//! Statistics must not count an overloaded resolver as a domain without SPF.
#![deny(missing_docs)]

pub mod bimi;
pub mod dane;
mod discarded;
pub mod dkim;
pub mod dmarc;
pub mod dnssec;
mod error;
pub mod evidence;
pub mod findings;
#[doc(hidden)]
pub mod fuzzing;
pub mod mta_sts;
pub mod mx;
pub mod spf;
pub mod status;
pub mod tags;
pub mod tlsrpt;
mod uri;

mod domain;

pub use domain::{DomainEvidence, Posture, Resolution, classify_domain};
pub use error::RecordError;
pub use evidence::{Failure, Lookup, MxRecord, Outcome, TlsaRecord, TxtRecord, Validated};
pub use status::Status;
