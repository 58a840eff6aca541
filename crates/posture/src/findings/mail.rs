//! MX findings, and the domain that sends no mail but is not protected like
//! a parked one.

use super::{Code, Finding, failed, quote};
use crate::domain::{DomainEvidence, Posture, dmarc_rejects, spf_rejects_all};
use crate::evidence::Lookup;
use crate::mx::MxStatus;
use crate::status::Status;

pub(super) fn mx(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    let Some(mx) = &posture.mx else {
        return;
    };
    let domain = &evidence.domain;
    match mx.status {
        MxStatus::Error => {
            let how = evidence
                .mx
                .as_ref()
                .and_then(Lookup::failure)
                .map(failed)
                .unwrap_or_else(|| "could not be obtained".to_owned());
            out.push(
                Finding::new(
                    Code::MxUnresolved,
                    format!("The MX records of {domain} {how}."),
                    "Where mail for the domain goes, and whether it accepts mail at all, is \
                     unknown; nothing is reported missing.",
                )
                .fix("Run the check again; if it persists, check that the zone's name servers answer MX queries."),
            );
        }
        // RFC 7505 §3: a null MX is the only MX record, preference 0, exchange `.`.
        MxStatus::Invalid => {
            let records = evidence.mx.as_ref().map(|l| l.records()).unwrap_or_default();
            let listed: Vec<String> = records
                .iter()
                .map(|r| format!("{} {}", r.preference, r.exchange))
                .collect();
            out.push(
                Finding::new(
                    Code::MxNullMixed,
                    format!(
                        "The MX records of {domain} mix a null MX (exchange `.`) with other records, \
                         or give it a preference other than 0: {}.",
                        listed.join(", ")
                    ),
                    "A null MX must be the only MX record, with preference 0; otherwise it says \
                     neither \"no mail\" nor where mail goes, and senders may try the root.",
                )
                .fix("To receive mail, remove the `.` record; to refuse all mail, keep `MX 0 .` alone."),
            );
        }
        MxStatus::Absent => out.push(
            Finding::new(
                Code::MxAbsent,
                format!("{domain} publishes no MX record."),
                "Senders then deliver to the domain's own address records (the implicit MX), \
                 and where there are none they retry for days before giving up.",
            )
            .fix("If the domain receives mail, publish MX records for its servers; if it does not, publish a null MX (`MX 0 .`) so that senders give up at once."),
        ),
        MxStatus::NullMx => not_parked(evidence, posture, out),
        MxStatus::Present => {}
    }
}

/// RFC 7505 §4 and the M3AAWG parked-domain practice: a domain that
/// receives no mail (null MX) should also say it sends none: `v=spf1 -all`
/// and a DMARC `p=reject` (the `parked` column). Reported only when a part is
/// known to be missing: a part that could not be obtained is its own
/// protocol's `*_unresolved` finding.
fn not_parked(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    if posture.parked {
        return;
    }
    let mut missing = Vec::new();
    if let Some(spf) = &posture.spf
        && spf.status != Status::Error
        && !spf_rejects_all(posture)
    {
        missing.push(match &spf.record {
            Some(record) => format!("its SPF record is {}, not `v=spf1 -all`", quote(record)),
            None => "it publishes no SPF record `v=spf1 -all`".to_owned(),
        });
    }
    if let Some(dmarc) = &posture.dmarc
        && dmarc.status != Status::Error
        && !dmarc_rejects(posture)
    {
        missing.push(match dmarc.p {
            Some(p) => format!("its DMARC policy is p={}, not p=reject", p.label()),
            None => "it has no DMARC policy p=reject".to_owned(),
        });
    }
    if missing.is_empty() {
        return;
    }
    let domain = &evidence.domain;
    out.push(
        Finding::new(
            Code::NomailNotParked,
            format!(
                "{domain} refuses all mail (null MX) but is not protected like a parked domain: {}.",
                missing.join(", and ")
            ),
            "A domain that receives no mail usually sends none either; unless SPF and DMARC say \
             so, receivers accept mail forged in its name (RFC 7505 §4; M3AAWG practice for \
             parked domains).",
        )
        .fix(format!(
            "Publish `v=spf1 -all` as the only SPF record of {domain} and `v=DMARC1; p=reject;` at _dmarc.{domain}."
        )),
    );
}
