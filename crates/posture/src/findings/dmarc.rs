//! DMARC findings: selection, the record as receivers read it, and the
//! policy they apply (the posture's `dmarc_p`).

use super::{Code, Finding, failed, plural, quote};
use crate::dmarc::{self, Policy};
use crate::domain::{DomainEvidence, Posture};
use crate::evidence::{Lookup, TxtRecord};
use crate::mx::MxStatus;
use crate::status::Status;

/// Strictness order of policies: `sp` below `p` is weaker.
fn rank(policy: Policy) -> u8 {
    match policy {
        Policy::None => 0,
        Policy::Quarantine => 1,
        Policy::Reject => 2,
    }
}

pub(super) fn findings(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    let (Some(posture_dmarc), Some(lookup)) = (&posture.dmarc, &evidence.dmarc) else {
        return;
    };
    let domain = &evidence.domain;
    let no_mail = posture
        .mx
        .as_ref()
        .is_some_and(|mx| mx.status == MxStatus::NullMx);
    let start = if no_mail {
        format!("Publish `v=DMARC1; p=reject;` at _dmarc.{domain}: the domain sends no mail.")
    } else {
        format!(
            "Publish `v=DMARC1; p=none; rua=mailto:<address>` at _dmarc.{domain} to receive \
             reports, then move to p=quarantine and p=reject once they show every legitimate \
             sender passing."
        )
    };
    let texts: Vec<String> = lookup.records().iter().map(TxtRecord::joined).collect();
    let candidates: Vec<&String> = texts.iter().filter(|t| dmarc::is_candidate(t)).collect();
    match posture_dmarc.status {
        Status::Error => {
            let how = lookup
                .failure()
                .map(failed)
                .unwrap_or_else(|| "could not be obtained".to_owned());
            out.push(
                Finding::new(
                    Code::DmarcUnresolved,
                    format!("The TXT records at _dmarc.{domain} {how}."),
                    "Receivers meeting the same failure cannot apply the domain's policy; \
                     whether it has one is unknown, not absent.",
                )
                .fix("Run the check again; if it persists, check the name servers of the zone."),
            );
            return;
        }
        Status::Absent => {
            if texts.is_empty() {
                out.push(
                    Finding::new(
                        Code::DmarcAbsent,
                        format!("{domain} publishes no DMARC record (nothing at _dmarc.{domain})."),
                        "Receivers apply no DMARC policy: mail forged in the domain's name is \
                         judged on other signals only, and the owner gets no reports.",
                    )
                    .fix(start),
                );
            } else {
                // RFC 7489 §6.6.3: records that do not start with `v=DMARC1`
                // are discarded.
                let quoted: Vec<String> = texts.iter().map(|t| quote(t)).collect();
                out.push(
                    Finding::new(
                        Code::DmarcLookalike,
                        format!(
                            "{} at _dmarc.{domain} {} discarded, not beginning with `v=DMARC1`: {}.",
                            plural(texts.len(), "TXT record", "TXT records"),
                            if texts.len() == 1 { "is" } else { "are" },
                            quoted.join(", ")
                        ),
                        "Receivers keep only records that begin with the `v=DMARC1` tag, so the \
                         domain has no DMARC policy at all.",
                    )
                    .fix(start),
                );
            }
            return;
        }
        Status::Invalid if posture_dmarc.record.is_none() => {
            out.push(
                Finding::new(
                    Code::DmarcMultiple,
                    format!(
                        "{} v=DMARC1 records at _dmarc.{domain}.",
                        candidates.len().max(2)
                    ),
                    "With more than one record, policy discovery stops and no DMARC policy \
                     applies at all.",
                )
                .fix("Keep exactly one `v=DMARC1` record."),
            );
            return;
        }
        Status::Invalid | Status::Valid => {}
    }
    let Some(text) = &posture_dmarc.record else {
        return;
    };
    let reading = dmarc::read(text);
    let applied = match posture_dmarc.p {
        Some(p) => format!("p={}", p.label()),
        None => "no policy at all".to_owned(),
    };
    if !reading.errors.is_empty() {
        let errors: Vec<String> = reading.errors.iter().map(ToString::to_string).collect();
        out.push(
            Finding::new(
                Code::DmarcMalformedTag,
                format!(
                    "The record has {}: {}.",
                    plural(errors.len(), "malformed part", "malformed parts"),
                    errors.join("; ")
                ),
                format!(
                    "Receivers drop each malformed part on its own and read the rest: they \
                     apply {applied}."
                ),
            )
            .fix("Correct or remove the parts named above."),
        );
    }
    match posture_dmarc.p {
        None => out.push(
            Finding::new(
                Code::DmarcNoPolicy,
                "The record gives receivers no policy to apply: it has no valid p tag (or an \
                 invalid sp or np) and no valid rua.",
                "Without a valid p, receivers apply DMARC only when a valid rua is present (then \
                 as p=none); here nothing applies.",
            )
            .fix(start.clone()),
        ),
        Some(Policy::None) if !reading.record.rua.is_empty() => {
            let rua: Vec<String> = reading.record.rua.iter().map(|u| u.uri.clone()).collect();
            out.push(
                Finding::new(
                    Code::DmarcMonitoring,
                    format!(
                        "DMARC is in monitoring mode: p=none, with aggregate reports to {}.",
                        rua.join(", ")
                    ),
                    "p=none asks receivers to take no action on failing mail, so forged mail is \
                     still delivered. It is the right first step of a phased rollout: the reports \
                     show who sends in the domain's name.",
                )
                .fix(if no_mail {
                    "The domain sends no mail: move straight to p=reject.".to_owned()
                } else {
                    "Next step: once the reports show every legitimate sender passing SPF or \
                     DKIM in alignment, move to p=quarantine, then to p=reject."
                        .to_owned()
                }),
            );
        }
        Some(Policy::None) => out.push(
            Finding::new(
                Code::DmarcNoneWithoutRua,
                "p=none without rua: receivers take no action on failing mail and send no reports.",
                "The record neither protects the domain nor tells its owner who sends in its name.",
            )
            .fix("Add rua=mailto:<address> to receive aggregate reports, then move to p=quarantine and p=reject."),
        ),
        Some(_) => {}
    }
    if let (Some(pct), Some(p @ (Policy::Quarantine | Policy::Reject))) =
        (posture_dmarc.pct, posture_dmarc.p)
        && pct < 100
    {
        out.push(
            Finding::new(
                Code::DmarcPctPartial,
                format!(
                    "pct={pct}: receivers apply p={} to {pct}% of failing mail only.",
                    p.label()
                ),
                "Failing mail outside the sample gets the next less strict policy. RFC 9989 \
                 removed pct: receivers that follow it ignore the tag and apply the policy in full.",
            )
            .fix("Raise pct to 100 (or remove it) once the reports show no legitimate mail failing."),
        );
    }
    authorizations(evidence, posture_dmarc.rua_authorized, lookup, out);
    if let (Some(sp), Some(p)) = (posture_dmarc.sp, posture_dmarc.p)
        && rank(sp) < rank(p)
    {
        out.push(
            Finding::new(
                Code::DmarcSpWeaker,
                format!(
                    "sp={} is weaker than p={}: subdomains get less protection than the domain.",
                    sp.label(),
                    p.label()
                ),
                "Forgers can use any subdomain name (existing or not) where the domain itself \
                 is protected.",
            )
            .fix("Remove sp (subdomains then get p), or raise it."),
        );
    }
    if posture_dmarc.t == Some(true) {
        out.push(
            Finding::new(
                Code::DmarcTestMode,
                "t=y: the policy is in test mode.",
                "Test mode asks receivers not to apply the policy but only their special handling \
                 (such as rewriting From:), while the owner tests it.",
            )
            .fix("Remove t=y (or set t=n) once testing is over."),
        );
    }
    let removed: Vec<&str> = [
        ("pct", reading.record.pct.is_some()),
        ("ri", reading.record.ri.is_some()),
        ("rf", reading.record.rf.is_some()),
    ]
    .iter()
    .filter(|(_, present)| *present)
    .map(|(tag, _)| *tag)
    .collect();
    if !removed.is_empty() {
        out.push(Finding::new(
            Code::DmarcRemovedTag,
            format!(
                "The record uses {}, which RFC 9989 removed.",
                removed.join(", ")
            ),
            "Receivers that follow RFC 9989 ignore such tags; nothing breaks.",
        ));
    }
}

/// External report destinations (RFC 7489 §7.1): `<d>._report._dmarc.<dest>`.
fn authorizations(
    evidence: &DomainEvidence,
    authorized: Option<bool>,
    lookup: &Lookup<TxtRecord>,
    out: &mut Vec<Finding>,
) {
    let domain = &evidence.domain;
    let prefix = format!(
        "{}._report._dmarc.",
        domain.trim_end_matches('.').to_ascii_lowercase()
    );
    let mut refused = Vec::new();
    let mut unknown = Vec::new();
    for name in dmarc::authorization_names(domain, lookup) {
        let host = name.strip_prefix(&prefix).unwrap_or(&name).to_owned();
        match evidence.dmarc_authorizations.get(&name) {
            Some(Lookup::Records(records))
                if records.iter().any(|r| dmarc::is_candidate(&r.joined())) => {}
            Some(Lookup::Records(_) | Lookup::NoData | Lookup::NxDomain) => {
                refused.push((host, name));
            }
            Some(Lookup::Failed(failure)) => unknown.push(format!("{name} {}", failed(*failure))),
            None => unknown.push(format!("{name} was not looked up")),
        }
    }
    if authorized == Some(false) && !refused.is_empty() {
        let hosts: Vec<String> = refused
            .iter()
            .map(|(host, name)| format!("{host} (nothing at {name})"))
            .collect();
        out.push(
            Finding::new(
                Code::DmarcRuaUnauthorized,
                format!(
                    "Report destinations outside the domain have not authorised its reports: {}.",
                    hosts.join(", ")
                ),
                "Receivers check that a destination in another organisation accepts the \
                 domain's reports, and send none where it does not: those reports are lost.",
            )
            .fix(format!(
                "Have each destination publish `v=DMARC1` at {}._report._dmarc.<destination>, or \
                 send reports to an address of the domain itself.",
                domain
            )),
        );
    }
    if !unknown.is_empty() {
        out.push(
            Finding::new(
                Code::DmarcRuaUnverified,
                format!(
                    "Whether external report destinations accept the reports is unknown: {}.",
                    unknown.join(", ")
                ),
                "The authorisation could not be read, so it is neither confirmed nor refused.",
            )
            .fix("Run the check again."),
        );
    }
}
