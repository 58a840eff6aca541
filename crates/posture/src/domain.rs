//! The whole posture of one domain: evidence in, contract columns out.

use std::collections::HashMap;
use std::sync::Arc;

use crate::bimi::{self, BimiPosture};
use crate::dane;
use crate::dkim::{self, DkimEvidence, DkimStatus};
use crate::dmarc::{self, DmarcPosture};
use crate::dnssec::{self, DnssecEvidence, DnssecPosture, DnssecStatus};
use crate::evidence::{Lookup, MxRecord, Outcome, TlsaRecord, TxtRecord, Validated};
use crate::mta_sts;
use crate::mx::{self, MxPosture};
use crate::spf::{self, SpfPosture};
use crate::status::Status;
use crate::tlsrpt;

/// Everything the engine learnt about one domain.
///
/// `None` means the probe was not run because it was deselected with `--probes`.
/// When the apex does not exist, the engine skips the other probes and records
/// them as [`Lookup::NxDomain`] without sending them: RFC 8020 §2, NXDOMAIN at
/// `<d>` means nothing exists below it, `_dmarc.<d>` included.
#[derive(Debug, Clone, Default)]
pub struct DomainEvidence {
    /// The domain, lowercase A-labels, no trailing dot.
    pub domain: String,
    /// `MX <d>`.
    pub mx: Option<Lookup<MxRecord>>,
    /// Whether the resolver set AD on the MX answer (asked with DO=1): a DANE
    /// decision (RFC 7672 §2.2.1, see [`crate::dane`]).
    pub mx_authenticated: bool,
    /// `TXT <d>` (SPF).
    pub apex_txt: Option<Lookup<TxtRecord>>,
    /// `TXT` of every SPF include/redirect target reached from the apex record,
    /// keyed by lowercase name without trailing dot. Shared with other domains
    /// through the engine's cache, hence the `Arc`.
    pub spf_targets: HashMap<String, Arc<Lookup<TxtRecord>>>,
    /// The outcome of `A <name>` for every `a` mechanism target written
    /// without macros in the records above (the record's own name for a bare
    /// `a`: the domain for the apex record, the target's name for an
    /// include/redirect target's), keyed like `spf_targets`: void lookups
    /// count there too (RFC 7208 §4.6.4). The names are those
    /// [`spf::host_queries_of`] returns for each record; one missing makes
    /// `spf_status` `error` (it was not looked up) unless the record is
    /// invalid anyway.
    pub spf_a: HashMap<String, Outcome>,
    /// `MX <name>` for every `mx` mechanism target written without macros
    /// ([`spf::host_queries_of`]), keyed like `spf_targets`: void lookups,
    /// and the limit of 10 MX records (RFC 7208 §4.6.4). Shared with other
    /// domains, hence the `Arc`.
    pub spf_mx: HashMap<String, Arc<Lookup<MxRecord>>>,
    /// `TXT _dmarc.<d>`.
    pub dmarc: Option<Lookup<TxtRecord>>,
    /// `TXT <d>._report._dmarc.<dest>` for each external report destination
    /// (RFC 7489 §7.1), keyed by that query name.
    pub dmarc_authorizations: HashMap<String, Lookup<TxtRecord>>,
    /// DS and DNSKEY evidence.
    pub dnssec: Option<DnssecEvidence>,
    /// `TXT default._bimi.<d>`.
    pub bimi: Option<Lookup<TxtRecord>>,
    /// `TXT _mta-sts.<d>`.
    pub mta_sts: Option<Lookup<TxtRecord>>,
    /// `TXT _smtp._tls.<d>`.
    pub tlsrpt: Option<Lookup<TxtRecord>>,
    /// `TXT _domainkey.<d>` and, when it exists, a name below it that cannot.
    pub dkim: Option<DkimEvidence>,
    /// `TLSA _25._tcp.<host>` for each MX host (asked with DO=1, AD kept),
    /// keyed by host (lowercase, no trailing dot). Shared across domains,
    /// hence the `Arc`.
    pub tlsa: HashMap<String, Arc<Validated<TlsaRecord>>>,
    /// True when the DANE probe was deselected (`--probes`) while MX was not:
    /// `tlsa` is then empty for want of asking, and `dane_status` must be null
    /// rather than `error`. (A flag rather than an `Option` on `tlsa` so that
    /// evidence built with `..Default::default()` keeps DANE selected.)
    pub dane_skipped: bool,
}

/// Whether the domain could be resolved at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// At least one probe got an answer or an authoritative negative.
    Ok,
    /// The apex does not exist (NXDOMAIN, RFC 8020).
    NxDomain,
    /// Every probe failed: lame delegation, dead servers, or a bogus chain.
    Error,
}

impl Resolution {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            Resolution::Ok => "ok",
            Resolution::NxDomain => "nxdomain",
            Resolution::Error => "error",
        }
    }
}

/// The classified columns of the Parquet contract for one domain.
///
/// A field is `None` only when its probe was deselected; a probe that ran always
/// yields a status.
#[derive(Debug, Clone, PartialEq)]
pub struct Posture {
    /// `resolution`.
    pub resolution: Resolution,
    /// `mx_status`, `mx_hosts`.
    pub mx: Option<MxPosture>,
    /// `spf_*`.
    pub spf: Option<SpfPosture>,
    /// `dmarc_*`.
    pub dmarc: Option<DmarcPosture>,
    /// `dnssec_status`, `dnssec_algorithms`, `dnssec_reason`.
    pub dnssec: Option<DnssecPosture>,
    /// `bimi_*`.
    pub bimi: Option<BimiPosture>,
    /// `mta_sts_status`.
    pub mta_sts: Option<Status>,
    /// `tlsrpt_status`.
    pub tlsrpt: Option<Status>,
    /// `dkim_status`.
    pub dkim: Option<DkimStatus>,
    /// `dane_status`.
    pub dane: Option<Status>,
    /// `parked`: null MX, `v=spf1 -all` and DMARC `p=reject` as receivers
    /// apply it (RFC 7505 §4 and the M3AAWG parked-domain advice).
    pub parked: bool,
}

/// Classifies every probe of a domain.
///
/// Resolution: NXDOMAIN for the apex MX (or, with MX deselected, the apex TXT)
/// makes the domain `nxdomain` and every probe `absent` (DNSSEC `insecure`: a
/// name that does not exist has no signed zone of its own). When every probe
/// that ran failed, the domain is `error` and so is every column, DNSSEC
/// included — unless DNSSEC is `bogus`, which is itself the finding.
pub fn classify_domain(evidence: &DomainEvidence) -> Posture {
    let apex_nxdomain = match (&evidence.mx, &evidence.apex_txt) {
        (Some(mx), _) => matches!(mx, Lookup::NxDomain),
        (None, Some(txt)) => matches!(txt, Lookup::NxDomain),
        (None, None) => false,
    };
    if apex_nxdomain {
        return nxdomain_posture(evidence);
    }

    let mx = evidence.mx.as_ref().map(mx::classify);
    let spf = evidence
        .apex_txt
        .as_ref()
        .map(|apex| spf::classify(&evidence.domain, apex, spf_lookups(evidence)));
    let dmarc = evidence
        .dmarc
        .as_ref()
        .map(|txt| dmarc::classify(&evidence.domain, txt, &evidence.dmarc_authorizations));
    let dnssec = evidence.dnssec.as_ref().map(dnssec::classify);
    let bimi = evidence.bimi.as_ref().map(bimi::classify);
    let mta_sts = evidence.mta_sts.as_ref().map(mta_sts::classify);
    let tlsrpt = evidence.tlsrpt.as_ref().map(tlsrpt::classify);
    let dkim = evidence.dkim.as_ref().map(dkim::classify);
    let dane = mx
        .as_ref()
        .filter(|_| !evidence.dane_skipped)
        .map(|mx| dane::classify(mx, evidence.mx_authenticated, &evidence.tlsa));

    let mut posture = Posture {
        resolution: Resolution::Ok,
        parked: false,
        mx,
        spf,
        dmarc,
        dnssec,
        bimi,
        mta_sts,
        tlsrpt,
        dkim,
        dane,
    };
    if every_probe_failed(evidence) {
        posture.resolution = Resolution::Error;
        // DESIGN.md: a lame domain is `error` in every column, DNSSEC included,
        // although the parent may have answered DS with NODATA (which alone
        // reads `insecure`). A bogus chain stays `bogus`: that is the finding.
        if let Some(dnssec) = posture.dnssec.as_mut()
            && dnssec.status != DnssecStatus::Bogus
        {
            dnssec.status = DnssecStatus::Error;
            // `dnssec_reason` is filled for every `error` row: what the
            // resolver said about the failure (RFC 8914), if anything.
            let code = evidence.dnssec.as_ref().and_then(|d| d.extended_error);
            dnssec.reason = Some(dnssec::reason(code));
        }
    }
    posture.parked = is_parked(&posture);
    posture
}

/// The SPF evidence beyond the apex TXT RRset, borrowed.
fn spf_lookups(evidence: &DomainEvidence) -> spf::SpfLookups<'_> {
    spf::SpfLookups {
        txt: &evidence.spf_targets,
        a: &evidence.spf_a,
        mx: &evidence.spf_mx,
    }
}

/// RFC 7505 §4 and the M3AAWG advice for parked domains: publish a null MX,
/// `v=spf1 -all` and a DMARC `p=reject`.
fn is_parked(posture: &Posture) -> bool {
    let null_mx = posture
        .mx
        .as_ref()
        .is_some_and(|mx| mx.status == mx::MxStatus::NullMx);
    null_mx && spf_rejects_all(posture) && dmarc_rejects(posture)
}

/// The SPF half of [`is_parked`] (also asked by the findings): `v=spf1 -all`
/// and nothing else; the terms may be separated by several spaces (RFC 7208
/// §4.6.1 `1*SP`) and `v=spf1` is case-insensitive (§4.5).
pub(crate) fn spf_rejects_all(posture: &Posture) -> bool {
    posture.spf.as_ref().is_some_and(|spf| {
        spf.status == Status::Valid
            && spf.record.as_deref().is_some_and(|record| {
                let terms: Vec<&str> = record.split_ascii_whitespace().collect();
                matches!(terms.as_slice(), [v, all]
                    if v.eq_ignore_ascii_case("v=spf1") && all.eq_ignore_ascii_case("-all"))
            })
    })
}

/// The DMARC half of [`is_parked`]: the policy receivers apply (DESIGN.md);
/// a malformed tag beside `p=reject` does not stop them rejecting (RFC 7489
/// §6.3, §6.6.3).
pub(crate) fn dmarc_rejects(posture: &Posture) -> bool {
    posture
        .dmarc
        .as_ref()
        .is_some_and(|dmarc| dmarc.p == Some(dmarc::Policy::Reject))
}

/// True when every probe that ran failed (a lame domain). Each probe counts
/// by its first query: DKIM by `_domainkey.<d>`, since the check below it is
/// asked only once that answered, and DNSSEC by DNSKEY (the child's own
/// servers; DS comes from the parent).
fn every_probe_failed(evidence: &DomainEvidence) -> bool {
    let outcomes = [
        evidence.mx.as_ref().map(Lookup::outcome),
        evidence.apex_txt.as_ref().map(Lookup::outcome),
        evidence.dmarc.as_ref().map(Lookup::outcome),
        evidence.dnssec.as_ref().map(|d| d.dnskey.outcome()),
        evidence.bimi.as_ref().map(Lookup::outcome),
        evidence.mta_sts.as_ref().map(Lookup::outcome),
        evidence.tlsrpt.as_ref().map(Lookup::outcome),
        evidence.dkim.as_ref().map(|dkim| dkim.domainkey),
    ];
    let mut ran = outcomes.iter().flatten().peekable();
    ran.peek().is_some() && ran.all(Outcome::is_failure)
}

fn nxdomain_posture(evidence: &DomainEvidence) -> Posture {
    let ran = |probe: bool| probe.then_some(Status::Absent);
    Posture {
        resolution: Resolution::NxDomain,
        mx: evidence.mx.as_ref().map(|_| MxPosture::absent()),
        spf: evidence.apex_txt.as_ref().map(|_| SpfPosture::absent()),
        dmarc: evidence.dmarc.as_ref().map(|_| DmarcPosture::absent()),
        dnssec: evidence.dnssec.as_ref().map(|_| DnssecPosture::insecure()),
        bimi: evidence.bimi.as_ref().map(|_| BimiPosture::absent()),
        mta_sts: ran(evidence.mta_sts.is_some()),
        tlsrpt: ran(evidence.tlsrpt.is_some()),
        // RFC 8020 §2: nothing exists below the apex, `_domainkey` included,
        // whatever the check below it would say.
        dkim: evidence.dkim.as_ref().map(|_| DkimStatus::Absent),
        dane: ran(evidence.mx.is_some() && !evidence.dane_skipped),
        parked: false,
    }
}
