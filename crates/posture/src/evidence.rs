//! DNS evidence: how each query ended and what it returned.
//!
//! The resolver engine fills these types; the classifiers read them. A query
//! ends in exactly one [`Outcome`]: an answer, NODATA, NXDOMAIN, or a
//! [`Failure`]. Failures are kept apart from negative answers so that no
//! classifier can mistake a timeout for the absence of a record.

use std::fmt;

/// Why a query produced no usable answer, after the engine's retries.
///
/// The labels ([`Failure::label`]) are stable: the store and reports use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// No response arrived in time on any attempt.
    Timeout,
    /// RCODE 2: the resolver could not get an answer (lame delegation, DNSSEC bogus…).
    ServFail,
    /// RCODE 5: the server refused the query.
    Refused,
    /// RCODE 1: the server could not parse the query.
    FormErr,
    /// A response arrived but could not be decoded, or its records could not be
    /// parsed (for example a TLSA record of the wrong length).
    Malformed,
    /// Any other RCODE (NOTIMP, YXDOMAIN, …), which a resolver should not send for
    /// the queries we make.
    OtherRcode(u16),
    /// The query could not be sent or the connection broke (TCP reset, socket error).
    Transport,
}

impl Failure {
    /// The stable label of this failure kind.
    pub fn label(&self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::ServFail => "servfail",
            Failure::Refused => "refused",
            Failure::FormErr => "formerr",
            Failure::Malformed => "malformed",
            Failure::OtherRcode(_) => "rcode",
            Failure::Transport => "transport",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::OtherRcode(code) => write!(f, "rcode {code}"),
            other => f.write_str(other.label()),
        }
    }
}

/// How a query ended, without its records: the label the store writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// NOERROR with at least one record of the asked type.
    Answer,
    /// NOERROR without a record of the asked type (RFC 2308 NODATA).
    NoData,
    /// RCODE 3: the name does not exist (and, per RFC 8020, nothing below it).
    NxDomain,
    /// The query failed; see [`Failure`].
    Failed(Failure),
}

impl Outcome {
    /// The stable label of this outcome (`answer`, `nodata`, `nxdomain`, or the
    /// failure's label).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Answer => "answer",
            Outcome::NoData => "nodata",
            Outcome::NxDomain => "nxdomain",
            Outcome::Failed(failure) => failure.label(),
        }
    }

    /// True for a failure: the question could not be answered.
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }
}

/// The result of one query: its records, or why there are none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// NOERROR with these records of the asked type (never empty: an empty
    /// answer is [`Lookup::NoData`]).
    Records(Vec<T>),
    /// NOERROR, no record of the asked type.
    NoData,
    /// The name does not exist.
    NxDomain,
    /// The query failed.
    Failed(Failure),
}

impl<T> Lookup<T> {
    /// Builds a lookup from records, turning an empty list into NODATA.
    pub fn from_records(records: Vec<T>) -> Self {
        if records.is_empty() {
            Lookup::NoData
        } else {
            Lookup::Records(records)
        }
    }

    /// The outcome of this lookup, without its records.
    pub fn outcome(&self) -> Outcome {
        match self {
            Lookup::Records(_) => Outcome::Answer,
            Lookup::NoData => Outcome::NoData,
            Lookup::NxDomain => Outcome::NxDomain,
            Lookup::Failed(failure) => Outcome::Failed(*failure),
        }
    }

    /// The records, or an empty slice for any negative or failed outcome.
    pub fn records(&self) -> &[T] {
        match self {
            Lookup::Records(records) => records,
            _ => &[],
        }
    }

    /// The failure, if the query failed.
    pub fn failure(&self) -> Option<Failure> {
        match self {
            Lookup::Failed(failure) => Some(*failure),
            _ => None,
        }
    }

    /// Maps the records, keeping the outcome.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Lookup<U> {
        match self {
            Lookup::Records(records) => Lookup::Records(records.into_iter().map(f).collect()),
            Lookup::NoData => Lookup::NoData,
            Lookup::NxDomain => Lookup::NxDomain,
            Lookup::Failed(failure) => Lookup::Failed(failure),
        }
    }
}

/// One TXT record: its character-strings, as they came off the wire (RFC 1035
/// §3.3.14). They are bytes, not text: DNS does not promise UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxtRecord {
    /// The record's character-strings, in order.
    pub strings: Vec<Vec<u8>>,
}

impl TxtRecord {
    /// A record of one character-string.
    pub fn single(text: impl Into<Vec<u8>>) -> Self {
        TxtRecord {
            strings: vec![text.into()],
        }
    }

    /// A record of several character-strings.
    pub fn from_strings<S: Into<Vec<u8>>>(strings: impl IntoIterator<Item = S>) -> Self {
        TxtRecord {
            strings: strings.into_iter().map(Into::into).collect(),
        }
    }

    /// The character-strings concatenated with no separator, as RFC 7208 §3.3
    /// and RFC 7489 §6.6.3 require; bytes that are not UTF-8 are replaced
    /// (U+FFFD), which makes any such record fail the strict parsers.
    pub fn joined(&self) -> String {
        let total: usize = self.strings.iter().map(Vec::len).sum();
        let mut bytes = Vec::with_capacity(total);
        for s in &self.strings {
            bytes.extend_from_slice(s);
        }
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        }
    }
}

/// One MX record (RFC 1035 §3.3.9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MxRecord {
    /// The preference: lower is preferred.
    pub preference: u16,
    /// The exchange as presented (with or without the trailing dot); `.` is
    /// the root, which with preference 0 is a null MX (RFC 7505).
    pub exchange: String,
}

/// One TLSA record (RFC 6698 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsaRecord {
    /// Certificate usage (0–3).
    pub usage: u8,
    /// Selector (0 full certificate, 1 SubjectPublicKeyInfo).
    pub selector: u8,
    /// Matching type (0 exact, 1 SHA-256, 2 SHA-512).
    pub matching_type: u8,
    /// Certificate association data.
    pub data: Vec<u8>,
}

/// A lookup asked with DO=1 and whether the validating resolver set AD on the
/// answer (RFC 4035 §3.2.3): the records, or their authenticated denial, were
/// validated. Only validated data is usable where DNSSEC is required (TLSA,
/// RFC 7672 §2.2 and RFC 6698 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated<T> {
    /// The lookup.
    pub lookup: Lookup<T>,
    /// AD was set on the answer.
    pub authenticated: bool,
}

impl<T> Validated<T> {
    /// A lookup the resolver did not validate.
    pub fn unvalidated(lookup: Lookup<T>) -> Self {
        Validated {
            lookup,
            authenticated: false,
        }
    }

    /// A lookup the resolver validated.
    pub fn authenticated(lookup: Lookup<T>) -> Self {
        Validated {
            lookup,
            authenticated: true,
        }
    }
}
