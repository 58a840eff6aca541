//! The DKIM hint (RFC 8020 applied to `_domainkey.<d>`).
//!
//! DKIM keys live at `<selector>._domainkey.<d>` (RFC 6376 §3.6.2.1) and
//! selectors cannot be enumerated. RFC 8020 §2 makes NXDOMAIN mean "nothing
//! exists at or below this name", so NXDOMAIN for `_domainkey.<d>` says no key
//! is published (`absent`). NOERROR (with or without TXT data: an empty
//! non-terminal) says something is there — unless the zone answers NOERROR
//! for every name: a wildcard (`*.<d>`, common at parked domains) or compact
//! denial of existence (RFC 9824, online signers that answer NODATA instead
//! of NXDOMAIN). So a NOERROR at `_domainkey.<d>` is checked against a name
//! that cannot exist below it, `<NONEXISTENT_LABEL>._domainkey.<d>`:
//! * NXDOMAIN there → `likely`: the zone tells existing names from others,
//!   and `_domainkey.<d>` exists;
//! * an answer there holding a `v=DKIM1` key record (RFC 6376 §3.6.1) →
//!   `likely`: a wildcard key record answers for every selector;
//! * any other NOERROR there (NODATA, or TXT that is not a key) → `unknown`:
//!   the NOERROR at `_domainkey.<d>` says nothing;
//! * that lookup failed → `error`; and so when it is missing from the
//!   evidence although `_domainkey.<d>` answered NOERROR (cannot tell).
//!
//! `_domainkey.<d>` itself: NXDOMAIN → `absent`, failed → `error`.

use crate::evidence::{Lookup, Outcome, TxtRecord};
use crate::tags::{self, Syntax};

/// The label asked below `_domainkey.<d>` to learn whether the zone answers
/// names that do not exist (a wildcard, or compact denial of existence,
/// RFC 9824). Fixed, so answers can be compared across domains and runs;
/// random, so no real selector has it.
pub const NONEXISTENT_LABEL: &str = "mc-q7vx3k9z2w-none";

/// What the engine learnt about `_domainkey.<d>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimEvidence {
    /// The outcome of `TXT _domainkey.<d>`.
    pub domainkey: Outcome,
    /// `TXT <NONEXISTENT_LABEL>._domainkey.<d>`, asked only when `_domainkey.<d>`
    /// answered NOERROR (with or without data).
    pub nonexistent: Option<Lookup<TxtRecord>>,
}

/// `dkim_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DkimStatus {
    /// `_domainkey.<d>` exists (NOERROR, with or without data) and the zone
    /// answers NXDOMAIN for a name below it that cannot exist (or a wildcard
    /// key record for it).
    Likely,
    /// `_domainkey.<d>` is NXDOMAIN.
    Absent,
    /// The zone answers NOERROR for a name that cannot exist below
    /// `_domainkey.<d>` (a wildcard, or compact denial of existence, RFC 9824):
    /// the NOERROR at `_domainkey.<d>` says nothing.
    Unknown,
    /// A query failed, or the check below `_domainkey.<d>` is missing.
    Error,
}

impl DkimStatus {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            DkimStatus::Likely => "likely",
            DkimStatus::Absent => "absent",
            DkimStatus::Unknown => "unknown",
            DkimStatus::Error => "error",
        }
    }
}

/// Classifies the DKIM evidence (rules in the module docs).
pub fn classify(evidence: &DkimEvidence) -> DkimStatus {
    match evidence.domainkey {
        Outcome::NxDomain => DkimStatus::Absent,
        Outcome::Failed(_) => DkimStatus::Error,
        Outcome::Answer | Outcome::NoData => match &evidence.nonexistent {
            None | Some(Lookup::Failed(_)) => DkimStatus::Error,
            Some(Lookup::NxDomain) => DkimStatus::Likely,
            Some(Lookup::NoData) => DkimStatus::Unknown,
            Some(Lookup::Records(records)) => {
                if records.iter().any(|r| is_key_record(&r.joined())) {
                    DkimStatus::Likely
                } else {
                    DkimStatus::Unknown
                }
            }
        },
    }
}

/// A DKIM key record: its first tag is `v=DKIM1` (RFC 6376 §3.6.1: "If
/// specified, this tag MUST be set to "DKIM1" ... and MUST be the first tag
/// in the record"; tag names and this value are case-sensitive, §3.2).
fn is_key_record(text: &str) -> bool {
    matches!(
        tags::segments(text, Syntax::Dkim).first(),
        Some(Ok(tag)) if tag.name == "v" && tag.value == "DKIM1"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Failure;

    fn txt(records: &[&str]) -> Lookup<TxtRecord> {
        Lookup::from_records(records.iter().map(|r| TxtRecord::single(*r)).collect())
    }

    /// RFC 8020 §2 at `_domainkey.<d>`, checked against a name that cannot
    /// exist below it (a wildcard, or RFC 9824 compact denial, answers
    /// NOERROR there too); RFC 6376 §3.6.1 for a wildcard key record.
    #[test]
    fn rfc8020_2_rfc9824_table() {
        use DkimStatus::{Absent, Error, Likely, Unknown};
        let key = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC";
        let table: Vec<(&str, Outcome, Option<Lookup<TxtRecord>>, DkimStatus)> = vec![
            (
                "§2: NXDOMAIN, nothing below",
                Outcome::NxDomain,
                None,
                Absent,
            ),
            (
                "§2: NXDOMAIN, the check is irrelevant",
                Outcome::NxDomain,
                Some(Lookup::NoData),
                Absent,
            ),
            (
                "empty non-terminal, zone denies others",
                Outcome::NoData,
                Some(Lookup::NxDomain),
                Likely,
            ),
            (
                "TXT at _domainkey, zone denies others",
                Outcome::Answer,
                Some(Lookup::NxDomain),
                Likely,
            ),
            (
                "wildcard key record",
                Outcome::NoData,
                Some(txt(&[key])),
                Likely,
            ),
            (
                "wildcard key record beside other TXT",
                Outcome::Answer,
                Some(txt(&["hello", key])),
                Likely,
            ),
            (
                "RFC 9824 compact denial: NODATA everywhere",
                Outcome::NoData,
                Some(Lookup::NoData),
                Unknown,
            ),
            (
                "wildcard `* TXT` at a parked domain",
                Outcome::Answer,
                Some(txt(&["v=spf1 -all"])),
                Unknown,
            ),
            (
                "§3.6.1: v=DKIM1 must be first",
                Outcome::Answer,
                Some(txt(&["k=rsa; v=DKIM1; p=abc"])),
                Unknown,
            ),
            (
                "§3.2: DKIM1 is case-sensitive",
                Outcome::Answer,
                Some(txt(&["v=dkim1; p=abc"])),
                Unknown,
            ),
            (
                "check failed",
                Outcome::NoData,
                Some(Lookup::Failed(Failure::Timeout)),
                Error,
            ),
            ("check not made: cannot tell", Outcome::Answer, None, Error),
            (
                "query failed",
                Outcome::Failed(Failure::Timeout),
                None,
                Error,
            ),
            (
                "query SERVFAIL",
                Outcome::Failed(Failure::ServFail),
                None,
                Error,
            ),
            (
                "query REFUSED",
                Outcome::Failed(Failure::Refused),
                None,
                Error,
            ),
            (
                "query rcode 4",
                Outcome::Failed(Failure::OtherRcode(4)),
                None,
                Error,
            ),
        ];
        for (rule, domainkey, nonexistent, want) in table {
            let evidence = DkimEvidence {
                domainkey,
                nonexistent,
            };
            assert_eq!(classify(&evidence), want, "{rule}: {evidence:?}");
        }
    }

    /// RFC 6376 §3.6.1: the leading version tag, with the whitespace §3.2
    /// allows around it.
    #[test]
    fn rfc6376_3_6_1_key_record() {
        assert!(is_key_record("v=DKIM1; p=abc"));
        assert!(is_key_record(" v = DKIM1 ;p=abc"));
        assert!(is_key_record("v=DKIM1"));
        assert!(!is_key_record("v=DKIM2; p=abc"));
        assert!(!is_key_record("p=abc"));
        assert!(!is_key_record(""));
    }
}
