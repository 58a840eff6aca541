//! DNSSEC, DANE, MTA-STS, TLS-RPT, BIMI and DKIM-hint findings.

use super::{Code, Finding, failed, plural};
use crate::bimi::BimiStatus;
use crate::dane;
use crate::dkim::DkimStatus;
use crate::dnssec::DnssecStatus;
use crate::domain::{DomainEvidence, Posture};
use crate::evidence::{Lookup, TxtRecord};
use crate::mx::MxStatus;
use crate::status::Status;
use crate::{bimi, mta_sts, tlsrpt};

/// What to do about a bogus chain, by the resolver's reason (RFC 8914).
fn bogus_fix(reason: &str) -> &'static str {
    match reason {
        "signature_expired" | "signature_expired_before_valid" => {
            "The signatures have expired: re-sign the zone, and check that its signer runs and \
             refreshes them."
        }
        "signature_not_yet_valid" => {
            "The signatures are not valid yet: check the signer's clock and re-sign the zone."
        }
        "dnskey_missing" => {
            "The DS record at the parent names a key the zone does not publish: publish that key, \
             or update the DS at the registrar to the zone's current key."
        }
        "rrsigs_missing" => "Records are unsigned in a signed zone: re-sign the whole zone.",
        "unsupported_dnskey_algorithm" | "unsupported_ds_digest_type" => {
            "Use a DNSKEY algorithm and DS digest type that validators support (13 and 2 are \
             the common choice)."
        }
        _ => {
            "Check the DS record at the parent against the zone's DNSKEY records and the \
             validity of its signatures (e.g. with a DNSSEC debugger), then fix the one that \
             is wrong."
        }
    }
}

pub(super) fn dnssec(posture: &Posture, out: &mut Vec<Finding>) {
    let Some(dnssec) = &posture.dnssec else {
        return;
    };
    let reason = dnssec.reason.as_deref().unwrap_or("unspecified");
    match dnssec.status {
        DnssecStatus::Bogus => out.push(
            Finding::new(
                Code::DnssecBogus,
                format!(
                    "DNSSEC validation of the domain fails (bogus); the resolver's reason: {reason}."
                ),
                "A chain of trust reaches the zone but its data does not validate, so validating \
                 resolvers answer SERVFAIL for its names: mail to the domain, and checks of its \
                 SPF and DMARC, fail for everyone behind one.",
            )
            .fix(bogus_fix(reason)),
        ),
        DnssecStatus::Error => out.push(
            Finding::new(
                Code::DnssecUnresolved,
                format!(
                    "The DNSSEC status could not be determined (the resolver's reason: {reason})."
                ),
                "The DS or DNSKEY queries failed in a way that does not show a broken chain of \
                 trust; nothing is known.",
            )
            .fix("Run the check again."),
        ),
        DnssecStatus::Insecure => out.push(
            Finding::new(
                Code::DnssecInsecure,
                "The domain is not DNSSEC-signed (no DS record at the parent).",
                "Its answers can be forged on their way to a resolver, and its mail servers \
                 cannot use DANE, which needs validated TLSA records.",
            )
            .fix("Sign the zone and publish its DS record through the registrar."),
        ),
        DnssecStatus::Secure => {}
    }
}

/// One MX host's TLSA, as `dane::classify` judges it (RFC 7672 §2.2, §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host {
    Usable,
    Unsigned,
    Unusable,
    None,
    Unknown,
}

pub(super) fn dane(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    let (Some(status), Some(mx)) = (posture.dane, &posture.mx) else {
        return;
    };
    let legacy: Vec<&String> = mx
        .hosts
        .iter()
        .filter(|h| h.ends_with(".mail.protection.outlook.com"))
        .collect();
    if !matches!(mx.status, MxStatus::Present | MxStatus::Invalid) {
        return;
    }
    let hosts: Vec<(&String, Host)> = mx
        .hosts
        .iter()
        .map(|host| {
            let verdict = match evidence.tlsa.get(host).map(|v| v.as_ref()) {
                None => Host::Unknown,
                Some(tlsa) => match &tlsa.lookup {
                    Lookup::Failed(_) => Host::Unknown,
                    Lookup::NoData | Lookup::NxDomain => Host::None,
                    Lookup::Records(records) => {
                        let usable = records.iter().all(dane::well_formed)
                            && records.iter().any(dane::usable);
                        match (tlsa.authenticated, usable) {
                            (false, _) => Host::Unsigned,
                            (true, true) => Host::Usable,
                            (true, false) => Host::Unusable,
                        }
                    }
                },
            };
            (host, verdict)
        })
        .collect();
    let with = |want: Host| -> Vec<String> {
        hosts
            .iter()
            .filter(|(_, v)| *v == want)
            .map(|(h, _)| (*h).clone())
            .collect()
    };
    let unsigned = with(Host::Unsigned);
    if !unsigned.is_empty() {
        out.push(
            Finding::new(
                Code::DaneTlsaUnsigned,
                format!(
                    "TLSA records without DNSSEC: {} {} TLSA that the resolver did not validate: {}.",
                    plural(unsigned.len(), "MX host", "MX hosts"),
                    if unsigned.len() == 1 { "publishes" } else { "publish" },
                    unsigned.join(", ")
                ),
                "Senders must treat a TLSA RRset that is not DNSSEC-validated as absent, so \
                 these records protect nothing: anyone on the path could have forged or removed \
                 them.",
            )
            .fix("Sign the zone that holds each host's TLSA and publish its DS, or remove the TLSA records."),
        );
    }
    let unusable = with(Host::Unusable);
    if !unusable.is_empty() {
        out.push(
            Finding::new(
                Code::DaneTlsaUnusable,
                format!(
                    "Validated TLSA with no usable record at {}.",
                    unusable.join(", ")
                ),
                "For SMTP only DANE-TA(2) and DANE-EE(3) records with a defined selector and \
                 matching type (and a digest of the right length) are usable; PKIX usages (0, 1) \
                 are not, so senders cannot authenticate these servers.",
            )
            .fix("Publish `3 1 1 <SHA-256 of the server's public key>` (DANE-EE) records for each host."),
        );
    }
    let published = hosts
        .iter()
        .any(|(_, v)| matches!(v, Host::Usable | Host::Unusable | Host::Unsigned));
    if published && !evidence.mx_authenticated {
        out.push(
            Finding::new(
                Code::DaneMxInsecure,
                "The MX records are not DNSSEC-validated, although MX hosts publish TLSA.",
                "Whoever forges the unsigned MX records can send senders to hosts without TLSA \
                 and strip DANE; senders that apply DANE only behind a validated MX do not use \
                 these records.",
            )
            .fix("Sign the domain's own zone and publish its DS."),
        );
    }
    let (usable, none) = (with(Host::Usable), with(Host::None));
    if !usable.is_empty() && !none.is_empty() {
        out.push(
            Finding::new(
                Code::DanePartial,
                format!(
                    "Only some MX hosts publish usable TLSA: without: {}.",
                    none.join(", ")
                ),
                "Senders authenticate only the hosts that publish TLSA; mail routed to the others \
                 is protected by opportunistic TLS only.",
            )
            .fix("Publish TLSA for every MX host, or remove the hosts without it."),
        );
    }
    let unknown = with(Host::Unknown);
    if status == Status::Error && !unknown.is_empty() {
        out.push(
            Finding::new(
                Code::DaneUnresolved,
                format!(
                    "The TLSA records of {} could not be obtained.",
                    unknown.join(", ")
                ),
                "Whether those hosts publish TLSA is unknown; nothing is reported missing.",
            )
            .fix("Run the check again."),
        );
    }
    for host in legacy {
        out.push(
            Finding::new(
                Code::DaneLegacyOutlookMx,
                format!("MX host {host} is Microsoft 365's legacy mail.protection.outlook.com endpoint."),
                "That zone is not DNSSEC-signed, so hosts in it cannot publish validated TLSA: \
                 inbound DANE is impossible through it.",
            )
            .fix("Enable inbound SMTP DANE for the domain in Exchange Online and point the MX at the DNSSEC-signed host it gives (under mx.microsoft)."),
        );
    }
}

/// The reason a selection of one tag-list record failed, for the message.
fn reason<R>(
    lookup: Option<&Lookup<TxtRecord>>,
    select: impl Fn(&Lookup<TxtRecord>) -> Result<Option<R>, crate::RecordError>,
) -> String {
    match lookup.map(select) {
        Some(Err(err)) => err.to_string(),
        _ => "it does not parse".to_owned(),
    }
}

fn unresolved(code: Code, name: String, lookup: Option<&Lookup<TxtRecord>>) -> Finding {
    let how = lookup
        .and_then(Lookup::failure)
        .map(failed)
        .unwrap_or_else(|| "could not be obtained".to_owned());
    Finding::new(
        code,
        format!("The TXT records at {name} {how}."),
        "Whether a record is published there is unknown; nothing is reported missing.",
    )
    .fix("Run the check again.")
}

pub(super) fn mta_sts(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    let name = format!("_mta-sts.{}", evidence.domain);
    let lookup = evidence.mta_sts.as_ref();
    match posture.mta_sts {
        Some(Status::Error) => out.push(unresolved(Code::MtaStsUnresolved, name, lookup)),
        Some(Status::Invalid) => out.push(
            Finding::new(
                Code::MtaStsInvalid,
                format!(
                    "The MTA-STS record at {name} is not usable: {}.",
                    reason(lookup, mta_sts::select)
                ),
                "With no single valid record senders assume the domain has no MTA-STS policy, \
                 whatever its policy file says.",
            )
            .fix("Publish exactly one `v=STSv1; id=<policy id>` record."),
        ),
        _ => {}
    }
}

pub(super) fn tlsrpt(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    let name = format!("_smtp._tls.{}", evidence.domain);
    let lookup = evidence.tlsrpt.as_ref();
    match posture.tlsrpt {
        Some(Status::Error) => out.push(unresolved(Code::TlsrptUnresolved, name, lookup)),
        Some(Status::Invalid) => out.push(
            Finding::new(
                Code::TlsrptInvalid,
                format!(
                    "The TLS-RPT record at {name} is not usable: {}.",
                    reason(lookup, tlsrpt::select)
                ),
                "Senders find no valid reporting address, so TLS failures on the way to the \
                 domain go unreported.",
            )
            .fix("Publish exactly one `v=TLSRPTv1; rua=mailto:<address>` record."),
        ),
        Some(Status::Absent) => {
            let enforced: Vec<&str> = [
                ("MTA-STS", posture.mta_sts == Some(Status::Valid)),
                ("DANE", posture.dane == Some(Status::Valid)),
            ]
            .iter()
            .filter(|(_, on)| *on)
            .map(|(what, _)| *what)
            .collect();
            if !enforced.is_empty() {
                out.push(
                    Finding::new(
                        Code::TlsrptMissing,
                        format!(
                            "The domain uses {} but publishes no TLS-RPT record at {name}.",
                            enforced.join(" and ")
                        ),
                        "Without it senders have nowhere to report TLS failures, so an expired \
                         certificate or a stale policy goes unnoticed until mail is refused.",
                    )
                    .fix(format!(
                        "Publish `v=TLSRPTv1; rua=mailto:<address>` at {name}."
                    )),
                );
            }
        }
        _ => {}
    }
}

pub(super) fn bimi(evidence: &DomainEvidence, posture: &Posture, out: &mut Vec<Finding>) {
    let name = format!("default._bimi.{}", evidence.domain);
    let lookup = evidence.bimi.as_ref();
    match posture.bimi.as_ref().map(|b| b.status) {
        Some(BimiStatus::Error) => out.push(unresolved(Code::BimiUnresolved, name, lookup)),
        Some(BimiStatus::Invalid) => out.push(
            Finding::new(
                Code::BimiInvalid,
                format!(
                    "The BIMI record at {name} is not usable: {}.",
                    reason(lookup, bimi::select)
                ),
                "Receivers that support BIMI ignore a broken or ambiguous record and show no logo.",
            )
            .fix(
                "Publish exactly one `v=BIMI1; l=https://…/logo.svg; a=https://…/vmc.pem;` record.",
            ),
        ),
        _ => {}
    }
}

pub(super) fn dkim(posture: &Posture, out: &mut Vec<Finding>) {
    let no_mail = posture
        .mx
        .as_ref()
        .is_some_and(|mx| mx.status == MxStatus::NullMx);
    match posture.dkim {
        Some(DkimStatus::Error) => out.push(
            Finding::new(
                Code::DkimUnresolved,
                "The DKIM hint could not be determined: a query at or below _domainkey failed.",
                "Whether DKIM keys are published is unknown; nothing is reported missing.",
            )
            .fix("Run the check again."),
        ),
        // A domain that receives no mail usually sends none: no key expected.
        Some(DkimStatus::Absent) if !no_mail => out.push(
            Finding::new(
                Code::DkimAbsent,
                "_domainkey does not exist (NXDOMAIN): the domain publishes no DKIM key under any selector.",
                "NXDOMAIN means nothing exists below the name. Without DKIM, DMARC can pass only \
                 through SPF, which breaks when mail is forwarded.",
            )
            .fix("Sign outgoing mail with DKIM and publish its key at <selector>._domainkey."),
        ),
        Some(DkimStatus::Unknown) => out.push(
            Finding::new(
                Code::DkimUnknown,
                "The zone answers for names that cannot exist below _domainkey (a wildcard, or \
                 compact denial of existence, RFC 9824): whether DKIM keys are published cannot \
                 be told from DNS.",
                "DKIM selectors cannot be listed; the hint relies on NXDOMAIN below the name, \
                 which this zone never gives.",
            ),
        ),
        _ => {}
    }
}
