//! DNSSEC status of a domain, as seen through a validating resolver.
//!
//! The engine asks `DS <d>` and `DNSKEY <d>` with DO=1 and reads the AD bit a
//! validating resolver sets on data it validated (RFC 4035 §3.2.3, RFC 6840
//! §5.7). A resolver answers SERVFAIL when validation fails (RFC 4035 §5.5);
//! the engine then retries with CD=1 (RFC 4035 §3.2.2): if the data comes back,
//! the servers work and the chain is broken (`bogus`); if it fails again, the
//! servers are broken (`error`).
//!
//! Rules, in order:
//! 1. DNSKEY answered with AD → `secure` (the chain of trust reached the keys).
//! 2. DS NODATA or NXDOMAIN → `insecure`: no chain of trust can reach the
//!    domain, whatever DNSKEY said (RFC 4035 §5.2; a signed zone without DS is
//!    an island). This holds even if DNSKEY failed, SERVFAIL included: the
//!    verdict is the parent's. `classify_domain` still makes the column
//!    `error` when every probe of the domain failed (DESIGN.md, lame
//!    delegations).
//! 3. DS or DNSKEY SERVFAIL → `bogus` when the CD=1 retry got an answer,
//!    NODATA or NXDOMAIN; `error` when it failed too or was not made.
//! 4. DS failed otherwise (timeout, REFUSED, …) → `error`.
//! 5. DS present but DNSKEY without AD (and no SERVFAIL) — decision:
//!    * DS answer itself authenticated → `insecure`. The resolver validates
//!      (it authenticated the parent's DS), so it did not validate the keys
//!      because the DS/DNSKEY algorithms or digest types are ones it does not
//!      support, which RFC 4035 §5.2 / RFC 6840 §5.2 define as insecure. A
//!      DNSKEY failure other than SERVFAIL is `error` though.
//!    * DS answer not authenticated either → `error`: either the resolver
//!      does not validate (every TLD is signed, so its DS answers would carry
//!      AD) or the parent is unsigned; the census cannot tell them apart, and
//!      calling a signed domain `insecure` because of a non-validating resolver
//!      would bias the statistics.
//!
//! `dnssec_algorithms` lists the distinct DNSKEY algorithm numbers, ascending,
//! whenever DNSKEY answered, whatever the status.

use crate::evidence::{Failure, Lookup, Outcome};

/// What the engine learnt about a domain's DNSSEC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnssecEvidence {
    /// `DS <d>` (asked with DO=1): the algorithm number of each DS record.
    pub ds: Lookup<u8>,
    /// Whether the resolver set AD on the DS answer (or its authenticated denial).
    pub ds_authenticated: bool,
    /// `DNSKEY <d>` (asked with DO=1): the algorithm number of each DNSKEY.
    pub dnskey: Lookup<u8>,
    /// Whether the resolver set AD on the DNSKEY answer.
    pub dnskey_authenticated: bool,
    /// When DS or DNSKEY came back SERVFAIL: the same query asked again,
    /// plainly (CD=0), to tell a lasting validation failure from a transient one.
    pub servfail_confirmation: Option<Outcome>,
    /// When DS or DNSKEY came back SERVFAIL, the outcome of the same query
    /// retried with CD=1: an answer there means the data exists but does not
    /// validate (bogus); a failure there too means the servers are broken (error).
    pub checking_disabled_retry: Option<Outcome>,
    /// When DS itself came back SERVFAIL: `DS <d>` with CD=1, which says
    /// whether the parent publishes a DS RRset at all (no DS, no chain of
    /// trust to be bogus).
    pub ds_checking_disabled: Option<Lookup<u8>>,
    /// The INFO-CODE of the Extended DNS Error (RFC 8914 §2) the resolver
    /// attached to the failed DS or DNSKEY answer, if any.
    pub extended_error: Option<u16>,
}

impl DnssecEvidence {
    /// Evidence for a name that does not exist (RFC 8020): nothing asked.
    pub fn nxdomain() -> Self {
        DnssecEvidence {
            ds: Lookup::NxDomain,
            ds_authenticated: false,
            dnskey: Lookup::NxDomain,
            dnskey_authenticated: false,
            servfail_confirmation: None,
            checking_disabled_retry: None,
            ds_checking_disabled: None,
            extended_error: None,
        }
    }
}

/// `dnssec_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DnssecStatus {
    /// Validated: the resolver set AD on the DNSKEY answer.
    Secure,
    /// No chain of trust reaches the domain (no DS at the parent).
    Insecure,
    /// A chain of trust exists but does not validate.
    Bogus,
    /// Could not be determined.
    Error,
}

impl DnssecStatus {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            DnssecStatus::Secure => "secure",
            DnssecStatus::Insecure => "insecure",
            DnssecStatus::Bogus => "bogus",
            DnssecStatus::Error => "error",
        }
    }
}

/// `dnssec_status`, `dnssec_algorithms` and `dnssec_reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnssecPosture {
    /// The status.
    pub status: DnssecStatus,
    /// The distinct DNSKEY algorithm numbers, ascending.
    pub algorithms: Vec<u8>,
    /// `dnssec_reason`: for `bogus` and `error`, the resolver's Extended DNS
    /// Error as a snake_case name (RFC 8914 §5.2), `unspecified` when it gave
    /// none; `None` otherwise.
    pub reason: Option<String>,
}

impl DnssecPosture {
    /// An unsigned domain.
    pub fn insecure() -> Self {
        DnssecPosture {
            status: DnssecStatus::Insecure,
            algorithms: Vec::new(),
            reason: None,
        }
    }
}

/// Classifies DNSSEC evidence.
pub fn classify(evidence: &DnssecEvidence) -> DnssecPosture {
    let mut algorithms = evidence.dnskey.records().to_vec();
    algorithms.sort_unstable();
    algorithms.dedup();
    DnssecPosture {
        status: status(evidence),
        algorithms,
        reason: None,
    }
}

fn status(evidence: &DnssecEvidence) -> DnssecStatus {
    let keys_answered = matches!(evidence.dnskey, Lookup::Records(_));
    if keys_answered && evidence.dnskey_authenticated {
        return DnssecStatus::Secure;
    }
    if matches!(evidence.ds, Lookup::NoData | Lookup::NxDomain) {
        return DnssecStatus::Insecure;
    }
    let servfail =
        [evidence.ds.failure(), evidence.dnskey.failure()].contains(&Some(Failure::ServFail));
    if servfail {
        return match evidence.checking_disabled_retry {
            Some(outcome) if !outcome.is_failure() => DnssecStatus::Bogus,
            _ => DnssecStatus::Error,
        };
    }
    match (&evidence.ds, &evidence.dnskey) {
        (Lookup::NoData | Lookup::NxDomain | Lookup::Failed(_), _) => DnssecStatus::Error,
        (Lookup::Records(_), Lookup::Failed(_)) => DnssecStatus::Error,
        (Lookup::Records(_), _) if evidence.ds_authenticated => DnssecStatus::Insecure,
        (Lookup::Records(_), _) => DnssecStatus::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(
        ds: Lookup<u8>,
        ds_ad: bool,
        dnskey: Lookup<u8>,
        dnskey_ad: bool,
        retry: Option<Outcome>,
    ) -> DnssecEvidence {
        DnssecEvidence {
            ds,
            ds_authenticated: ds_ad,
            dnskey,
            dnskey_authenticated: dnskey_ad,
            servfail_confirmation: None,
            checking_disabled_retry: retry,
            ds_checking_disabled: None,
            extended_error: None,
        }
    }

    /// RFC 4035 §3.2.3 (AD), §5.2 (insecure delegations, unsupported
    /// algorithms), §5.5 (SERVFAIL on bogus data), §3.2.2 (CD=1 retry).
    #[test]
    fn rfc4035_status_table() {
        use DnssecStatus::*;
        use Lookup::{NoData, NxDomain};
        let keys = || Lookup::Records(vec![13, 8, 13]);
        let ds = || Lookup::Records(vec![13]);
        let servfail = || Lookup::Failed(Failure::ServFail);
        let timeout = || Lookup::Failed(Failure::Timeout);
        let answered = Some(Outcome::Answer);
        let failed = Some(Outcome::Failed(Failure::ServFail));
        let table: Vec<(DnssecEvidence, DnssecStatus)> = vec![
            // §3.2.3: AD on the DNSKEY answer.
            (evidence(ds(), true, keys(), true, None), Secure),
            // §5.2: no DS, signed or not.
            (evidence(NoData, true, NoData, false, None), Insecure),
            (evidence(NoData, false, keys(), false, None), Insecure),
            (evidence(NxDomain, true, NxDomain, false, None), Insecure),
            (evidence(NoData, true, timeout(), false, None), Insecure),
            // §5.5 + §3.2.2: SERVFAIL, and the CD=1 retry tells bogus from error.
            (evidence(ds(), true, servfail(), false, answered), Bogus),
            (
                evidence(servfail(), false, servfail(), false, answered),
                Bogus,
            ),
            (
                evidence(servfail(), false, servfail(), false, Some(Outcome::NoData)),
                Bogus,
            ),
            (evidence(ds(), true, servfail(), false, failed), Error),
            (evidence(ds(), true, servfail(), false, None), Error),
            // Rule 3: without DS there is no chain to be bogus.
            (
                evidence(NoData, true, servfail(), false, answered),
                Insecure,
            ),
            // Other failures.
            (evidence(timeout(), false, keys(), false, None), Error),
            (
                evidence(
                    Lookup::Failed(Failure::Refused),
                    false,
                    timeout(),
                    false,
                    None,
                ),
                Error,
            ),
            (evidence(ds(), true, timeout(), false, None), Error),
            // §5.2 / RFC 6840 §5.2: DS validated, keys not → unsupported algorithm.
            (evidence(ds(), true, keys(), false, None), Insecure),
            (evidence(ds(), true, NoData, false, None), Insecure),
            // Decision: nothing authenticated with DS present → cannot tell.
            (evidence(ds(), false, keys(), false, None), Error),
        ];
        for (evidence, want) in table {
            assert_eq!(classify(&evidence).status, want, "{evidence:?}");
        }
    }

    #[test]
    fn algorithms_are_distinct_and_ascending() {
        let got = classify(&evidence(
            Lookup::Records(vec![8]),
            true,
            Lookup::Records(vec![15, 8, 13, 8]),
            true,
            None,
        ));
        assert_eq!(got.algorithms, vec![8, 13, 15]);
        let none = classify(&evidence(Lookup::NoData, true, Lookup::NoData, false, None));
        assert!(none.algorithms.is_empty());
    }
}
