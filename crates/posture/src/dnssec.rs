//! DNSSEC status of a domain, as seen through a validating resolver.
//!
//! The engine asks `DS <d>` and `DNSKEY <d>` with DO=1 and reads the AD bit a
//! validating resolver sets on data it validated (RFC 4035 §3.2.3, RFC 6840
//! §5.7). A resolver answers SERVFAIL when validation fails (RFC 4035 §5.5),
//! but also when the servers are unreachable or a query was unlucky; so on
//! SERVFAIL the engine asks the same query again plainly (the
//! confirmation), then with CD=1 (RFC 4035 §3.2.2), and, when DS itself
//! failed, `DS <d>` with CD=1 to learn whether the parent publishes a DS
//! RRset at all. A SERVFAIL the second attempt does not repeat was
//! transient: the engine then keeps the second answer in place of the first.
//!
//! Rules, in order:
//! 1. DNSKEY answered with AD → `secure` (the chain of trust reached the keys).
//! 2. No DS at the parent → `insecure`: DS NODATA or NXDOMAIN, or, when DS
//!    came back SERVFAIL, NODATA or NXDOMAIN for DS under CD=1. No chain of
//!    trust can reach the domain, whatever DNSKEY said (RFC 4035 §5.2; a
//!    signed zone without DS is an island). This holds even if DNSKEY
//!    failed, SERVFAIL included: the verdict is the parent's.
//!    `classify_domain` still makes the column `error` when every probe of
//!    the domain failed (DESIGN.md, lame delegations).
//! 3. DS or DNSKEY SERVFAIL → `bogus` only when all three hold (DESIGN.md):
//!    (a) the parent publishes a DS RRset (DS answered, or DS SERVFAILed and
//!    DS under CD=1 answered), so there is a chain of trust to break;
//!    (b) the plain second attempt SERVFAILed too (a lasting failure, not a
//!    transient one); (c) the query under CD=1 got data back (an answer,
//!    NODATA or NXDOMAIN: the servers work, the data does not validate).
//!    Otherwise `error`: a lone SERVFAIL, one the second attempt did not
//!    confirm (which the engine should have replaced; if it reaches us it
//!    is not evidence of a broken chain), a DS RRset whose existence is
//!    unknown, or a CD=1 retry that failed as well (broken servers).
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
//! `dnssec_reason`, for `bogus` and `error` only: the INFO-CODE of the
//! resolver's Extended DNS Error (RFC 8914) as the snake_case form of its
//! name in the IANA registry ([`extended_error_name`]), `ede_<n>` for a code
//! not listed there, `unspecified` when the resolver sent none.
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
    let status = status(evidence);
    let reason = matches!(status, DnssecStatus::Bogus | DnssecStatus::Error)
        .then(|| reason(evidence.extended_error));
    DnssecPosture {
        status,
        algorithms,
        reason,
    }
}

/// `dnssec_reason` for a `bogus` or `error` row: the Extended DNS Error's
/// name ([`extended_error_name`]), `unspecified` when the resolver gave none.
pub fn reason(extended_error: Option<u16>) -> String {
    match extended_error {
        Some(code) => extended_error_name(code),
        None => "unspecified".to_owned(),
    }
}

/// The snake_case name of an Extended DNS Error INFO-CODE: codes 0–24 from
/// the registry RFC 8914 §5.2 created, 25–30 registered since (IANA "Extended
/// DNS Error Codes"); any other code as `ede_<n>`, so nothing is lost.
pub fn extended_error_name(code: u16) -> String {
    let name = match code {
        0 => "other_error",
        1 => "unsupported_dnskey_algorithm",
        2 => "unsupported_ds_digest_type",
        3 => "stale_answer",
        4 => "forged_answer",
        5 => "dnssec_indeterminate",
        6 => "dnssec_bogus",
        7 => "signature_expired",
        8 => "signature_not_yet_valid",
        9 => "dnskey_missing",
        10 => "rrsigs_missing",
        11 => "no_zone_key_bit_set",
        12 => "nsec_missing",
        13 => "cached_error",
        14 => "not_ready",
        15 => "blocked",
        16 => "censored",
        17 => "filtered",
        18 => "prohibited",
        19 => "stale_nxdomain_answer",
        20 => "not_authoritative",
        21 => "not_supported",
        22 => "no_reachable_authority",
        23 => "network_error",
        24 => "invalid_data",
        25 => "signature_expired_before_valid",
        26 => "too_early",
        27 => "unsupported_nsec3_iterations_value",
        28 => "unable_to_conform_to_policy",
        29 => "synthesized",
        30 => "invalid_query_type",
        other => return format!("ede_{other}"),
    };
    name.to_owned()
}

fn status(evidence: &DnssecEvidence) -> DnssecStatus {
    let keys_answered = matches!(evidence.dnskey, Lookup::Records(_));
    if keys_answered && evidence.dnskey_authenticated {
        return DnssecStatus::Secure;
    }
    let no_ds = |ds: &Lookup<u8>| matches!(ds, Lookup::NoData | Lookup::NxDomain);
    let ds_servfail = evidence.ds.failure() == Some(Failure::ServFail);
    let ds_under_cd = evidence.ds_checking_disabled.as_ref();
    // Rule 2: the parent has no DS RRset, asked plainly or (after a
    // SERVFAIL) with CD=1.
    if no_ds(&evidence.ds) || (ds_servfail && ds_under_cd.is_some_and(no_ds)) {
        return DnssecStatus::Insecure;
    }
    let servfail = ds_servfail || evidence.dnskey.failure() == Some(Failure::ServFail);
    if servfail {
        // Rule 3 (a), (b), (c).
        let ds_published = match &evidence.ds {
            Lookup::Records(_) => true,
            _ => ds_servfail && matches!(ds_under_cd, Some(Lookup::Records(_))),
        };
        let confirmed = evidence.servfail_confirmation == Some(Outcome::Failed(Failure::ServFail));
        let data_under_cd = evidence
            .checking_disabled_retry
            .is_some_and(|outcome| !outcome.is_failure());
        return if ds_published && confirmed && data_under_cd {
            DnssecStatus::Bogus
        } else {
            DnssecStatus::Error
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
    ) -> DnssecEvidence {
        DnssecEvidence {
            ds,
            ds_authenticated: ds_ad,
            dnskey,
            dnskey_authenticated: dnskey_ad,
            servfail_confirmation: None,
            checking_disabled_retry: None,
            ds_checking_disabled: None,
            extended_error: None,
        }
    }

    /// The follow-up queries after a SERVFAIL: the plain second attempt,
    /// the CD=1 retry, and DS under CD=1.
    fn after_servfail(
        mut evidence: DnssecEvidence,
        confirmation: Option<Outcome>,
        cd_retry: Option<Outcome>,
        ds_cd: Option<Lookup<u8>>,
    ) -> DnssecEvidence {
        evidence.servfail_confirmation = confirmation;
        evidence.checking_disabled_retry = cd_retry;
        evidence.ds_checking_disabled = ds_cd;
        evidence
    }

    /// RFC 4035 §3.2.3 (AD), §5.2 (insecure delegations, unsupported
    /// algorithms), §5.5 (SERVFAIL on bogus data), §3.2.2 (CD=1 retry), and
    /// DESIGN.md's three conditions for `bogus`.
    #[test]
    fn rfc4035_status_table() {
        use DnssecStatus::*;
        use Lookup::{NoData, NxDomain};
        let keys = || Lookup::Records(vec![13, 8, 13]);
        let ds = || Lookup::Records(vec![13]);
        let servfail = || Lookup::Failed(Failure::ServFail);
        let timeout = || Lookup::Failed(Failure::Timeout);
        let sf = Some(Outcome::Failed(Failure::ServFail));
        let answered = Some(Outcome::Answer);
        let table: Vec<(&str, DnssecEvidence, DnssecStatus)> = vec![
            (
                "§3.2.3: AD on DNSKEY",
                evidence(ds(), true, keys(), true),
                Secure,
            ),
            (
                "§5.2: no DS",
                evidence(NoData, true, NoData, false),
                Insecure,
            ),
            (
                "§5.2: island of security",
                evidence(NoData, false, keys(), false),
                Insecure,
            ),
            (
                "§5.2: NXDOMAIN",
                evidence(NxDomain, true, NxDomain, false),
                Insecure,
            ),
            (
                "§5.2: no DS, keys time out",
                evidence(NoData, true, timeout(), false),
                Insecure,
            ),
            (
                "§5.2: no DS, keys SERVFAIL confirmed, data under CD=1",
                after_servfail(
                    evidence(NoData, true, servfail(), false),
                    sf,
                    answered,
                    None,
                ),
                Insecure,
            ),
            (
                "§5.2: DS SERVFAIL, no DS under CD=1",
                after_servfail(
                    evidence(servfail(), false, servfail(), false),
                    sf,
                    answered,
                    Some(NoData),
                ),
                Insecure,
            ),
            (
                "§5.2: DS SERVFAIL, NXDOMAIN under CD=1",
                after_servfail(
                    evidence(servfail(), false, servfail(), false),
                    sf,
                    answered,
                    Some(NxDomain),
                ),
                Insecure,
            ),
            // §5.5 + §3.2.2: DS published, SERVFAIL confirmed, data under CD=1.
            (
                "bogus: DS answered, DNSKEY SERVFAIL twice, keys under CD=1",
                after_servfail(evidence(ds(), true, servfail(), false), sf, answered, None),
                Bogus,
            ),
            (
                "bogus: DS SERVFAIL, DS under CD=1, NODATA under CD=1",
                after_servfail(
                    evidence(servfail(), false, servfail(), false),
                    sf,
                    Some(Outcome::NoData),
                    Some(ds()),
                ),
                Bogus,
            ),
            (
                "bogus: DS SERVFAIL, DS under CD=1, keys answered without AD",
                after_servfail(
                    evidence(servfail(), false, keys(), false),
                    sf,
                    answered,
                    Some(ds()),
                ),
                Bogus,
            ),
            // (a) unknown DS.
            (
                "error: DS SERVFAIL, DS under CD=1 not asked",
                after_servfail(
                    evidence(servfail(), false, servfail(), false),
                    sf,
                    answered,
                    None,
                ),
                Error,
            ),
            (
                "error: DS SERVFAIL, DS under CD=1 failed",
                after_servfail(
                    evidence(servfail(), false, servfail(), false),
                    sf,
                    answered,
                    Some(servfail()),
                ),
                Error,
            ),
            // (b) not confirmed.
            (
                "error: a lone SERVFAIL (no second attempt)",
                after_servfail(
                    evidence(ds(), true, servfail(), false),
                    None,
                    answered,
                    None,
                ),
                Error,
            ),
            (
                "error: second attempt answered (should have been replaced)",
                after_servfail(
                    evidence(ds(), true, servfail(), false),
                    answered,
                    answered,
                    None,
                ),
                Error,
            ),
            (
                "error: second attempt timed out",
                after_servfail(
                    evidence(ds(), true, servfail(), false),
                    Some(Outcome::Failed(Failure::Timeout)),
                    answered,
                    None,
                ),
                Error,
            ),
            // (c) no data under CD=1: broken servers.
            (
                "error: CD=1 retry failed",
                after_servfail(evidence(ds(), true, servfail(), false), sf, sf, None),
                Error,
            ),
            (
                "error: CD=1 retry not made",
                after_servfail(evidence(ds(), true, servfail(), false), sf, None, None),
                Error,
            ),
            // Other failures.
            (
                "error: DS timeout",
                evidence(timeout(), false, keys(), false),
                Error,
            ),
            (
                "error: DS refused",
                evidence(Lookup::Failed(Failure::Refused), false, timeout(), false),
                Error,
            ),
            (
                "error: DNSKEY timeout",
                evidence(ds(), true, timeout(), false),
                Error,
            ),
            // §5.2 / RFC 6840 §5.2: DS validated, keys not → unsupported algorithm.
            (
                "§5.2: unsupported algorithm",
                evidence(ds(), true, keys(), false),
                Insecure,
            ),
            (
                "§5.2: DS validated, no keys",
                evidence(ds(), true, NoData, false),
                Insecure,
            ),
            // Decision: nothing authenticated with DS present → cannot tell.
            (
                "error: nothing authenticated",
                evidence(ds(), false, keys(), false),
                Error,
            ),
        ];
        for (rule, evidence, want) in table {
            let got = classify(&evidence);
            assert_eq!(got.status, want, "{rule}: {evidence:?}");
            let has_reason = matches!(want, Bogus | Error);
            assert_eq!(got.reason.is_some(), has_reason, "{rule}: {got:?}");
        }
    }

    /// RFC 8914 §4 and §5.2 (the registry), plus later registrations: the
    /// reason of a bogus or failed answer, and none otherwise.
    #[test]
    fn rfc8914_reason_table() {
        let names = [
            (0, "other_error"),
            (1, "unsupported_dnskey_algorithm"),
            (2, "unsupported_ds_digest_type"),
            (3, "stale_answer"),
            (4, "forged_answer"),
            (5, "dnssec_indeterminate"),
            (6, "dnssec_bogus"),
            (7, "signature_expired"),
            (8, "signature_not_yet_valid"),
            (9, "dnskey_missing"),
            (10, "rrsigs_missing"),
            (11, "no_zone_key_bit_set"),
            (12, "nsec_missing"),
            (13, "cached_error"),
            (14, "not_ready"),
            (15, "blocked"),
            (16, "censored"),
            (17, "filtered"),
            (18, "prohibited"),
            (19, "stale_nxdomain_answer"),
            (20, "not_authoritative"),
            (21, "not_supported"),
            (22, "no_reachable_authority"),
            (23, "network_error"),
            (24, "invalid_data"),
            (25, "signature_expired_before_valid"),
            (26, "too_early"),
            (27, "unsupported_nsec3_iterations_value"),
            (28, "unable_to_conform_to_policy"),
            (29, "synthesized"),
            (30, "invalid_query_type"),
            (31, "ede_31"),
            (49152, "ede_49152"),
            (u16::MAX, "ede_65535"),
        ];
        for (code, name) in names {
            assert_eq!(extended_error_name(code), name, "{code}");
        }
        let bogus = |code| DnssecEvidence {
            servfail_confirmation: Some(Outcome::Failed(Failure::ServFail)),
            checking_disabled_retry: Some(Outcome::Answer),
            extended_error: code,
            ..evidence(
                Lookup::Records(vec![8]),
                true,
                Lookup::Failed(Failure::ServFail),
                false,
            )
        };
        let got = classify(&bogus(Some(7)));
        assert_eq!(got.status, DnssecStatus::Bogus);
        assert_eq!(got.reason.as_deref(), Some("signature_expired"));
        let got = classify(&bogus(None));
        assert_eq!(got.reason.as_deref(), Some("unspecified"));
        let lone = DnssecEvidence {
            servfail_confirmation: None,
            extended_error: Some(22),
            ..bogus(None)
        };
        let got = classify(&lone);
        assert_eq!(got.status, DnssecStatus::Error);
        assert_eq!(got.reason.as_deref(), Some("no_reachable_authority"));
        // Secure and insecure rows have no reason, whatever the resolver sent.
        let secure = DnssecEvidence {
            extended_error: Some(3),
            ..evidence(
                Lookup::Records(vec![8]),
                true,
                Lookup::Records(vec![8]),
                true,
            )
        };
        assert_eq!(classify(&secure).reason, None);
        let insecure = DnssecEvidence {
            extended_error: Some(9),
            ..evidence(Lookup::NoData, true, Lookup::NoData, false)
        };
        assert_eq!(classify(&insecure).reason, None);
    }

    #[test]
    fn algorithms_are_distinct_and_ascending() {
        let got = classify(&evidence(
            Lookup::Records(vec![8]),
            true,
            Lookup::Records(vec![15, 8, 13, 8]),
            true,
        ));
        assert_eq!(got.algorithms, vec![8, 13, 15]);
        let none = classify(&evidence(Lookup::NoData, true, Lookup::NoData, false));
        assert!(none.algorithms.is_empty());
    }
}
