//! Findings: what is wrong or weak in one domain's posture, why it matters,
//! and what to change, each citing the RFC section that decides it.
//!
//! `mailcensus check` explains a domain with these. [`findings`] is a pure
//! function of the evidence and the [`Posture`] a scan classifies from it,
//! so a finding explains the scan's own verdict and never contradicts a
//! status column: where a rule needs a count or a policy (lookups, void
//! lookups, the policy receivers apply) it takes the posture's. The evidence
//! only adds what the columns leave out: the include tree behind the lookup
//! count ([`SpfBranch`]), the records a selection discarded, which report
//! destination did not authorise, which MX host has unusable TLSA.
//!
//! A probe that failed yields an `*_unresolved` finding of severity
//! [`Severity::Unknown`] ("the answer could not be obtained"), never one that
//! says a record is missing: the rule every classifier keeps.
//!
//! Each [`Code`] is stable, with a fixed protocol, severity and reference
//! (`docs/check.md` lists them); the texts are for people and may change.
//! Findings come in section order (domain, MX, SPF, DMARC, DNSSEC, DANE,
//! MTA-STS, TLS-RPT, BIMI, DKIM) and, within a section, in the order the
//! rules below are checked, so the same evidence always gives the same list.

use crate::domain::{DomainEvidence, Posture, Resolution};

mod dmarc;
mod mail;
mod others;
mod spf;

pub use spf::{BranchState, SpfBranch, VoidLookup, spf_tree};

/// The section a finding belongs to: the protocol whose record it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// The domain as a whole (it does not exist, or nothing answered).
    Domain,
    /// MX and null MX (RFC 7505).
    Mx,
    /// SPF (RFC 7208).
    Spf,
    /// DMARC (RFC 7489, RFC 9989).
    Dmarc,
    /// DNSSEC (RFC 4035).
    Dnssec,
    /// DANE for SMTP (RFC 7672).
    Dane,
    /// MTA-STS (RFC 8461).
    MtaSts,
    /// SMTP TLS reporting (RFC 8460).
    Tlsrpt,
    /// BIMI.
    Bimi,
    /// The DKIM hint (RFC 8020 applied to `_domainkey`).
    Dkim,
}

impl Protocol {
    /// Every protocol, in section order.
    pub const ALL: [Protocol; 10] = [
        Protocol::Domain,
        Protocol::Mx,
        Protocol::Spf,
        Protocol::Dmarc,
        Protocol::Dnssec,
        Protocol::Dane,
        Protocol::MtaSts,
        Protocol::Tlsrpt,
        Protocol::Bimi,
        Protocol::Dkim,
    ];

    /// The stable label (`protocol` in `check --format json`).
    pub fn label(&self) -> &'static str {
        match self {
            Protocol::Domain => "domain",
            Protocol::Mx => "mx",
            Protocol::Spf => "spf",
            Protocol::Dmarc => "dmarc",
            Protocol::Dnssec => "dnssec",
            Protocol::Dane => "dane",
            Protocol::MtaSts => "mta_sts",
            Protocol::Tlsrpt => "tlsrpt",
            Protocol::Bimi => "bimi",
            Protocol::Dkim => "dkim",
        }
    }
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Broken or dangerous: receivers ignore the record, or it lets anyone
    /// pass.
    High,
    /// The protection is weaker than it looks.
    Medium,
    /// Hygiene: worth fixing, not urgent.
    Low,
    /// Advice or context, nothing wrong.
    Info,
    /// The answer could not be obtained: nothing is known, nothing is
    /// reported missing.
    Unknown,
}

impl Severity {
    /// The stable label (`severity` in `check --format json`).
    pub fn label(&self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
            Severity::Unknown => "unknown",
        }
    }
}

/// Declares [`Code`]: each code's label, protocol, severity and reference in
/// one row, so the table `docs/check.md` documents is written once.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident => ($label:literal, $protocol:ident, $severity:ident, $rfc:literal),)+) => {
        /// A finding's stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* $variant,)+
        }

        impl Code {
            /// Every code, in the order of the table.
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The stable label (`code` in `check --format json`).
            pub fn label(&self) -> &'static str {
                match self {
                    $(Code::$variant => $label,)+
                }
            }

            /// The section it belongs to.
            pub fn protocol(&self) -> Protocol {
                match self {
                    $(Code::$variant => Protocol::$protocol,)+
                }
            }

            /// How much it matters.
            pub fn severity(&self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)+
                }
            }

            /// The section of the RFC (or draft) that decides it.
            pub fn rfc(&self) -> &'static str {
                match self {
                    $(Code::$variant => $rfc,)+
                }
            }
        }
    };
}

codes! {
    /// The apex does not exist.
    DomainNxdomain => ("domain_nxdomain", Domain, Info, "RFC 8020 §2"),
    /// Every probe of the domain failed.
    DomainUnresolved => ("domain_unresolved", Domain, Unknown, "RFC 2308 §7"),
    /// The MX lookup failed.
    MxUnresolved => ("mx_unresolved", Mx, Unknown, "RFC 2308 §7"),
    /// A null MX beside other MX records.
    MxNullMixed => ("mx_null_mixed", Mx, High, "RFC 7505 §3"),
    /// No MX at all: mail goes to the address records.
    MxAbsent => ("mx_absent", Mx, Low, "RFC 5321 §5.1"),
    /// A null MX without `v=spf1 -all` and DMARC `p=reject`.
    NomailNotParked => ("nomail_not_parked", Mx, Medium, "RFC 7505 §4"),
    /// An SPF lookup failed.
    SpfUnresolved => ("spf_unresolved", Spf, Unknown, "RFC 7208 §4.4"),
    /// No SPF record.
    SpfAbsent => ("spf_absent", Spf, Medium, "RFC 7208 §4.5"),
    /// TXT records that look like SPF but are not.
    SpfLookalike => ("spf_lookalike", Spf, Medium, "RFC 7208 §4.5"),
    /// Several SPF records.
    SpfMultiple => ("spf_multiple", Spf, High, "RFC 7208 §4.5"),
    /// The SPF record does not parse.
    SpfSyntax => ("spf_syntax", Spf, High, "RFC 7208 §4.6"),
    /// More than 10 DNS-querying terms.
    SpfLookupLimit => ("spf_lookup_limit", Spf, High, "RFC 7208 §4.6.4"),
    /// More than 2 void lookups.
    SpfVoidLimit => ("spf_void_limit", Spf, High, "RFC 7208 §4.6.4"),
    /// An include or redirect target without one usable SPF record.
    SpfTargetBroken => ("spf_target_broken", Spf, High, "RFC 7208 §5.2, §6.1"),
    /// Invalid for another reason (a loop, an `mx` target with too many MX).
    SpfInvalid => ("spf_invalid", Spf, High, "RFC 7208 §4.6.4"),
    /// `+all`: anyone passes.
    SpfPlusAll => ("spf_plus_all", Spf, High, "RFC 7208 §5.1"),
    /// `?all`: no assertion for unlisted senders.
    SpfNeutralAll => ("spf_neutral_all", Spf, Medium, "RFC 7208 §8.2"),
    /// No `all` reached: an implicit neutral.
    SpfNoAll => ("spf_no_all", Spf, Low, "RFC 7208 §4.7"),
    /// The `ptr` mechanism.
    SpfPtr => ("spf_ptr", Spf, Low, "RFC 7208 §5.5"),
    /// The DMARC lookup failed.
    DmarcUnresolved => ("dmarc_unresolved", Dmarc, Unknown, "RFC 2308 §7"),
    /// No DMARC record.
    DmarcAbsent => ("dmarc_absent", Dmarc, Medium, "RFC 7489 §6.6.3"),
    /// TXT records at `_dmarc` discarded as not DMARC.
    DmarcLookalike => ("dmarc_lookalike", Dmarc, Medium, "RFC 7489 §6.6.3"),
    /// Several `v=DMARC1` records: no policy applies.
    DmarcMultiple => ("dmarc_multiple", Dmarc, High, "RFC 7489 §6.6.3"),
    /// A malformed tag, dropped on its own by receivers.
    DmarcMalformedTag => ("dmarc_malformed_tag", Dmarc, Medium, "RFC 7489 §6.3"),
    /// A record from which receivers take no policy.
    DmarcNoPolicy => ("dmarc_no_policy", Dmarc, High, "RFC 7489 §6.6.3"),
    /// `p=none` with reports: the first step of a rollout.
    DmarcMonitoring => ("dmarc_monitoring", Dmarc, Medium, "RFC 7489 §6.3"),
    /// `p=none` without reports.
    DmarcNoneWithoutRua => ("dmarc_none_without_rua", Dmarc, Medium, "RFC 7489 §6.3"),
    /// An enforcing policy applied to a sample only.
    DmarcPctPartial => ("dmarc_pct_partial", Dmarc, Medium, "RFC 7489 §6.6.4"),
    /// An external report destination that has not authorised the reports.
    DmarcRuaUnauthorized => ("dmarc_rua_unauthorized", Dmarc, Medium, "RFC 7489 §7.1"),
    /// An external report destination whose authorisation could not be read.
    DmarcRuaUnverified => ("dmarc_rua_unverified", Dmarc, Unknown, "RFC 7489 §7.1"),
    /// A subdomain policy weaker than the domain's.
    DmarcSpWeaker => ("dmarc_sp_weaker", Dmarc, Low, "RFC 7489 §6.3"),
    /// `t=y`: test mode.
    DmarcTestMode => ("dmarc_test_mode", Dmarc, Low, "RFC 9989 §4.7"),
    /// Tags RFC 9989 removed.
    DmarcRemovedTag => ("dmarc_removed_tag", Dmarc, Info, "RFC 9989 §4.7"),
    /// DNSSEC could not be determined.
    DnssecUnresolved => ("dnssec_unresolved", Dnssec, Unknown, "RFC 2308 §7"),
    /// A chain of trust that does not validate.
    DnssecBogus => ("dnssec_bogus", Dnssec, High, "RFC 4035 §5.5"),
    /// No chain of trust.
    DnssecInsecure => ("dnssec_insecure", Dnssec, Low, "RFC 4035 §5.2"),
    /// A TLSA lookup failed.
    DaneUnresolved => ("dane_unresolved", Dane, Unknown, "RFC 2308 §7"),
    /// TLSA the resolver did not validate.
    DaneTlsaUnsigned => ("dane_tlsa_unsigned", Dane, High, "RFC 7672 §2.2"),
    /// Validated TLSA with no usable record.
    DaneTlsaUnusable => ("dane_tlsa_unusable", Dane, High, "RFC 7672 §3.1"),
    /// TLSA behind an MX RRset that did not validate.
    DaneMxInsecure => ("dane_mx_insecure", Dane, Medium, "RFC 7672 §2.2.1"),
    /// TLSA on some MX hosts only.
    DanePartial => ("dane_partial", Dane, Medium, "RFC 7672 §2.2"),
    /// A legacy `mail.protection.outlook.com` MX host.
    DaneLegacyOutlookMx => ("dane_legacy_outlook_mx", Dane, Low, "RFC 7672 §2.2"),
    /// The MTA-STS lookup failed.
    MtaStsUnresolved => ("mta_sts_unresolved", MtaSts, Unknown, "RFC 2308 §7"),
    /// A broken MTA-STS record.
    MtaStsInvalid => ("mta_sts_invalid", MtaSts, Medium, "RFC 8461 §3.1"),
    /// The TLS-RPT lookup failed.
    TlsrptUnresolved => ("tlsrpt_unresolved", Tlsrpt, Unknown, "RFC 2308 §7"),
    /// A broken TLS-RPT record.
    TlsrptInvalid => ("tlsrpt_invalid", Tlsrpt, Medium, "RFC 8460 §3"),
    /// MTA-STS or DANE without TLS-RPT.
    TlsrptMissing => ("tlsrpt_missing", Tlsrpt, Low, "RFC 8460 §3"),
    /// The BIMI lookup failed.
    BimiUnresolved => ("bimi_unresolved", Bimi, Unknown, "RFC 2308 §7"),
    /// A broken BIMI record.
    BimiInvalid => ("bimi_invalid", Bimi, Low, "draft-brand-indicators-for-message-identification §4.2"),
    /// The DKIM hint could not be determined.
    DkimUnresolved => ("dkim_unresolved", Dkim, Unknown, "RFC 2308 §7"),
    /// `_domainkey` does not exist: no DKIM key is published.
    DkimAbsent => ("dkim_absent", Dkim, Low, "RFC 8020 §2"),
    /// The zone answers names that do not exist: the hint says nothing.
    DkimUnknown => ("dkim_unknown", Dkim, Info, "RFC 8020 §2"),
}

/// One finding: what is wrong or weak, why it matters, what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The stable code; it fixes the protocol, severity and reference.
    pub code: Code,
    /// What was found, in one or two sentences. Names and records from DNS
    /// appear here as published: a terminal needs them escaped.
    pub message: String,
    /// Why it matters.
    pub why: String,
    /// What to change (empty when nothing needs changing).
    pub fix: String,
}

impl Finding {
    fn new(code: Code, message: impl Into<String>, why: impl Into<String>) -> Self {
        Finding {
            code,
            message: message.into(),
            why: why.into(),
            fix: String::new(),
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    /// The section it belongs to.
    pub fn protocol(&self) -> Protocol {
        self.code.protocol()
    }

    /// How much it matters.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// The section of the RFC (or draft) that decides it.
    pub fn rfc(&self) -> &'static str {
        self.code.rfc()
    }

    /// What, why and what to change, as one text (the `message` of
    /// `check --format json`).
    pub fn text(&self) -> String {
        let mut parts = vec![self.message.as_str(), self.why.as_str()];
        if !self.fix.is_empty() {
            parts.push(self.fix.as_str());
        }
        parts.retain(|p| !p.is_empty());
        parts.join(" ")
    }
}

/// The findings for one domain, in section order (see the module docs).
pub fn findings(evidence: &DomainEvidence, posture: &Posture) -> Vec<Finding> {
    let mut out = Vec::new();
    match posture.resolution {
        Resolution::NxDomain => {
            out.push(
                Finding::new(
                    Code::DomainNxdomain,
                    format!("{} does not exist (NXDOMAIN).", evidence.domain),
                    "Nothing exists below a name that does not exist, so no other record was asked for.",
                )
                .fix("Check the spelling, or whether the registration has lapsed."),
            );
            return out;
        }
        Resolution::Error => {
            let bogus = posture
                .dnssec
                .as_ref()
                .is_some_and(|d| d.status == crate::dnssec::DnssecStatus::Bogus);
            let why = if bogus {
                "Its DNSSEC chain of trust is broken (see DNSSEC), so validating resolvers refuse \
                 every answer from its zone: to them the domain has no mail setup at all. What \
                 it publishes is unknown here, and nothing is reported missing."
            } else {
                "Its name servers may be down, lame or unreachable from the resolver, or the \
                 resolver itself failed; nothing below is known, and nothing is reported missing."
            };
            let fix = if bogus {
                "Repair DNSSEC first (see DNSSEC); then run the check again."
            } else {
                "Check the delegation and that every name server answers for the zone; then run \
                 the check again."
            };
            out.push(
                Finding::new(
                    Code::DomainUnresolved,
                    format!(
                        "No query for {} could be answered: every probe failed.",
                        evidence.domain
                    ),
                    why,
                )
                .fix(fix),
            );
        }
        Resolution::Ok => {}
    }
    mail::mx(evidence, posture, &mut out);
    spf::findings(evidence, posture, &mut out);
    dmarc::findings(evidence, posture, &mut out);
    others::dnssec(posture, &mut out);
    others::dane(evidence, posture, &mut out);
    others::mta_sts(evidence, posture, &mut out);
    others::tlsrpt(evidence, posture, &mut out);
    others::bimi(evidence, posture, &mut out);
    others::dkim(posture, &mut out);
    // Sections in order; a stable sort keeps each section's rule order.
    out.sort_by_key(Finding::protocol);
    out
}

/// "1 thing" / "2 things".
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Longest excerpt of a published record a message quotes, in characters:
/// a message stays a sentence whatever was published (the full record is in
/// the row).
const QUOTE_CHARS: usize = 100;

/// A published text as a message quotes it: in double quotes, cut after
/// [`QUOTE_CHARS`] characters with `…`. Not escaped: whoever prints the
/// message escapes it for its medium.
fn quote(text: &str) -> String {
    let mut cut: String = text.chars().take(QUOTE_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("\"{cut}\"")
}

/// How a failed query is named in a finding: "could not be obtained (timeout)".
fn failed(failure: crate::evidence::Failure) -> String {
    format!("could not be obtained ({failure})")
}

#[cfg(test)]
mod tests;
