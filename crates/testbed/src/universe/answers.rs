//! What the served universe answers, and the truth columns read from it.
//!
//! Once every record is planted, some columns depend on how records combine
//! rather than on one planted choice: the SPF walk reaches other domains'
//! records (include targets, `a`/`mx` targets), a wildcard answers at
//! `_domainkey`, DANE depends on where each MX host's zone is signed. Those
//! columns are derived here from the final records, by answering questions the
//! way an authoritative server does (RFC 1034 §4.3.2, wildcards per RFC 4592)
//! and a validating resolver reports them — never by running the posture
//! classifiers.
//!
//! * A name under a domain that is not served is NXDOMAIN (deleted between the
//!   dump and the scan, or never delegated); under a lame or bogus domain the
//!   resolver answers SERVFAIL (`Failed`).
//! * DKIM hint (DESIGN.md probe plan): `_domainkey.<d>` NXDOMAIN = `absent`
//!   (RFC 8020 §2); otherwise the name [`NONEXISTENT_LABEL`]`._domainkey.<d>`,
//!   which no one publishes, is asked: NXDOMAIN there, or a `v=DKIM1` answer,
//!   = `likely`; any other NOERROR = `unknown` (a wildcard answers every name,
//!   so the NOERROR at `_domainkey.<d>` says nothing; RFC 9824 compact denial
//!   does the same).
//! * DANE (RFC 7672): a TLSA RRset is usable only when the resolver validated
//!   it (§2.2), i.e. the MX host's zone is secure, and it holds a DANE-TA(2) or
//!   DANE-EE(3) record (§3.1.3). Lead's decision on §2.2.1: an MX RRset that
//!   is not validated can be forged, so DANE is not end-to-end; `valid` needs a
//!   secure domain whose every MX host has a validated, usable TLSA RRset. No
//!   host publishing TLSA = `absent`; TLSA published otherwise = `invalid`
//!   (unsigned MX RRset, unsigned TLSA, PKIX-only, or some host uncovered).

use std::collections::HashMap;

use super::model::{Domain, Health, Rr};
use crate::spfwalk::{self, Answer, Resolve};

/// The label asked below `_domainkey.<d>` to learn whether the zone answers
/// names that do not exist. Must equal `mailcensus_posture::dkim::NONEXISTENT_LABEL`
/// (the testbed does not depend on posture; the planted zones never use it).
pub(super) const NONEXISTENT_LABEL: &str = "mc-q7vx3k9z2w-none";

/// The planned domains as DNS serves them.
pub(super) struct Answers<'a> {
    by_label: HashMap<&'a str, &'a Domain>,
    tld: String,
}

impl<'a> Answers<'a> {
    #[cfg(test)]
    pub(super) fn new(doms: &'a [Domain], tld: &str) -> Self {
        Self::with_infra(doms, &[], tld)
    }

    /// `doms` and the infrastructure domains of another block that they point
    /// at (a universe planned in blocks has them in its first block only).
    pub(super) fn with_infra(doms: &'a [Domain], infra: &'a [Domain], tld: &str) -> Self {
        Answers {
            by_label: doms
                .iter()
                .chain(infra)
                .map(|d| (d.label.as_str(), d))
                .collect(),
            tld: tld.to_owned(),
        }
    }

    /// The planned domain `name` belongs to, and `name` relative to its apex
    /// (`@` for the apex itself).
    fn locate(&self, name: &str) -> Option<(&'a Domain, String)> {
        let rest = name.strip_suffix(&format!(".{}", self.tld))?;
        let (rel, label) = match rest.rsplit_once('.') {
            Some((rel, label)) => (rel.to_owned(), label),
            None => ("@".to_owned(), rest),
        };
        let &d = self.by_label.get(label)?;
        Some((d, rel))
    }

    /// The domain that serves `name` is signed with a chain of trust.
    pub(super) fn secure(&self, name: &str) -> bool {
        self.locate(name).is_some_and(|(d, _)| d.secure())
    }
}

/// Whether `rel` (relative to the apex) exists in `d`: it owns records or is an
/// empty non-terminal above some owner (RFC 4592 §2.2.2).
fn exists(d: &Domain, rel: &str) -> bool {
    rel == "@"
        || d.records
            .iter()
            .any(|r| r.owner == rel || r.owner.ends_with(&format!(".{rel}")))
}

fn records_of<'d>(d: &'d Domain, owner: &str, rtype: &str) -> Vec<&'d Rr> {
    d.records
        .iter()
        .filter(|r| r.owner == owner && r.rtype == rtype)
        .collect()
}

/// RFC 1034 §4.3.2 step 3 within one zone, with RFC 4592 §3.3.1 wildcard
/// synthesis from the closest encloser's `*` child.
fn answer_in(d: &Domain, rel: &str, rtype: &str) -> Answer {
    let owner = if exists(d, rel) {
        rel.to_owned()
    } else {
        let mut encloser = rel;
        loop {
            encloser = match encloser.split_once('.') {
                Some((_, up)) => up,
                None => "@",
            };
            if exists(d, encloser) {
                break;
            }
        }
        let star = if encloser == "@" {
            "*".to_owned()
        } else {
            format!("*.{encloser}")
        };
        if !exists(d, &star) {
            return Answer::NxDomain;
        }
        star
    };
    let rrs = records_of(d, &owner, rtype);
    if rrs.is_empty() {
        return Answer::NoData;
    }
    Answer::Records(
        rrs.iter()
            .map(|r| r.text.clone().unwrap_or_else(|| r.rdata.clone()))
            .collect(),
    )
}

impl Resolve for Answers<'_> {
    fn answer(&self, name: &str, rtype: &str) -> Answer {
        let Some((d, rel)) = self.locate(name) else {
            return Answer::NxDomain;
        };
        match d.health {
            Health::NxDomain => Answer::NxDomain,
            Health::LameNoAddr | Health::LameDead | Health::BogusDs | Health::Expired => {
                Answer::Failed
            }
            Health::Ok => answer_in(d, &rel, rtype),
        }
    }
}

/// The columns derived from the served records for one healthy domain.
#[derive(Debug, Clone)]
pub(super) struct Derived {
    pub(super) spf: Option<spfwalk::Walk>,
    pub(super) dkim: &'static str,
    pub(super) dane: &'static str,
}

impl Derived {
    /// Writes the derived columns into `d`'s truth.
    pub(super) fn apply(self, d: &mut Domain) {
        if let Some(w) = self.spf {
            // A broken tree is `invalid` whatever else failed; a failure
            // alone leaves the verdict unknown (DESIGN.md "Decisions").
            d.truth.spf_status = if w.invalid.is_some() {
                "invalid"
            } else if w.unresolved.is_some() {
                "error"
            } else {
                "valid"
            }
            .into();
            d.truth.spf_lookups = Some(w.lookups);
            d.truth.spf_void_lookups = Some(w.voids);
            d.truth.spf_all = w.all;
        }
        d.truth.dkim_status = self.dkim.into();
        d.truth.dane_status = self.dane.into();
    }
}

pub(super) fn derive(d: &Domain, a: &Answers<'_>) -> Derived {
    Derived {
        spf: d.spf.as_deref().map(|text| spfwalk::walk(text, &d.name, a)),
        dkim: dkim(d, a),
        dane: dane(d, a),
    }
}

fn dkim(d: &Domain, a: &Answers<'_>) -> &'static str {
    let base = format!("_domainkey.{}", d.name);
    match a.answer(&base, "TXT") {
        Answer::NxDomain => "absent",
        Answer::Failed => "error",
        Answer::NoData | Answer::Records(_) => {
            match a.answer(&format!("{NONEXISTENT_LABEL}.{base}"), "TXT") {
                Answer::NxDomain => "likely",
                Answer::Records(r) if r.iter().any(|t| t.starts_with("v=DKIM1")) => "likely",
                Answer::Failed => "error",
                Answer::NoData | Answer::Records(_) => "unknown",
            }
        }
    }
}

/// A TLSA record usable for SMTP (RFC 7672 §3.1; RFC 6698 §2.1): usage
/// DANE-TA(2) or DANE-EE(3), selector 0/1, a digest of the matching type's size.
fn usable_tlsa(rdata: &str) -> bool {
    let f: Vec<&str> = rdata.split_whitespace().collect();
    let [usage, selector, mtype, data] = f.as_slice() else {
        return false;
    };
    let len_ok = match *mtype {
        "0" => !data.is_empty(),
        "1" => data.len() == 64,
        "2" => data.len() == 128,
        _ => false,
    };
    matches!(*usage, "2" | "3") && matches!(*selector, "0" | "1") && len_ok
}

fn dane(d: &Domain, a: &Answers<'_>) -> &'static str {
    if !matches!(d.truth.mx_status.as_str(), "present" | "invalid") || d.truth.mx_hosts.is_empty() {
        return "absent";
    }
    let mut published = 0;
    let mut usable = 0;
    for host in &d.truth.mx_hosts {
        match a.answer(&format!("_25._tcp.{host}"), "TLSA") {
            Answer::Records(r) => {
                published += 1;
                // RFC 7672 §2.2: only a validated RRset is usable.
                if a.secure(host) && r.iter().any(|x| usable_tlsa(x)) {
                    usable += 1;
                }
            }
            Answer::Failed => return "error",
            Answer::NxDomain | Answer::NoData => {}
        }
    }
    if published == 0 {
        "absent"
    } else if d.secure() && usable == d.truth.mx_hosts.len() {
        // RFC 7672 §2.2.1: the MX RRset itself validated (lead's decision).
        "valid"
    } else {
        "invalid"
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Health, Signing};
    use super::super::truth::Truth;
    use super::*;
    use crate::signing::Algorithm;

    fn dom(label: &str, signing: Signing, records: &[(&str, &'static str, &str)]) -> Domain {
        let name = format!("{label}.mctest");
        let mut d = Domain {
            truth: Truth::blank(&name, "mctest", vec![], "ok", "absent"),
            label: label.into(),
            name,
            ns: vec![],
            glue: vec![],
            health: Health::Ok,
            signing,
            infra: false,
            records: vec![],
            spf: None,
            sector: "",
            size: "",
        };
        for (owner, rtype, data) in records {
            if *rtype == "TXT" {
                d.txt(owner, data);
            } else {
                d.add(owner, rtype, *data);
            }
        }
        d
    }

    #[test]
    fn wildcards_answer_what_does_not_exist_rfc4592() {
        let d = dom(
            "park",
            Signing::None,
            &[
                ("*", "A", "127.0.0.3"),
                ("*", "TXT", "v=spf1 -all"),
                ("mail", "A", "127.0.0.1"),
                ("selector1._domainkey.shop", "TXT", "v=DKIM1; p=x"),
            ],
        );
        let doms = [d];
        let a = Answers::new(&doms, "mctest");
        let txt = |n: &str| a.answer(n, "TXT");
        let spf = Answer::Records(vec!["v=spf1 -all".into()]);
        // Synthesised below the apex, also several labels down (§3.3.1).
        assert_eq!(txt("_dmarc.park.mctest"), spf);
        assert_eq!(txt("x._domainkey.park.mctest"), spf);
        assert_eq!(a.answer("_dmarc.park.mctest", "MX"), Answer::NoData);
        // Not at the apex, not below an existing name (its `*` child is absent).
        assert_eq!(txt("park.mctest"), Answer::NoData);
        assert_eq!(txt("_25._tcp.mail.park.mctest"), Answer::NxDomain);
        // An empty non-terminal exists and blocks the wildcard (§2.2.2).
        assert_eq!(txt("_domainkey.shop.park.mctest"), Answer::NoData);
        assert_eq!(txt("nope._domainkey.shop.park.mctest"), Answer::NxDomain);
        // Other domains: not delegated.
        assert_eq!(txt("gone.mctest"), Answer::NxDomain);
    }

    #[test]
    fn dkim_hint_reads_a_wildcard_as_unknown() {
        for (records, want) in [
            (vec![], "absent"),
            (
                vec![("selector1._domainkey", "TXT", "v=DKIM1; p=x")],
                "likely",
            ),
            (vec![("_domainkey", "TXT", "o=~")], "likely"),
            (vec![("*", "A", "127.0.0.3")], "unknown"),
            (vec![("*", "TXT", "v=spf1 -all")], "unknown"),
            (vec![("*", "TXT", "v=DKIM1; p=x")], "likely"),
            // A real selector beside a wildcard: `_domainkey` exists, its `*`
            // child does not, so the name that cannot exist is NXDOMAIN.
            (
                vec![
                    ("*", "A", "127.0.0.3"),
                    ("selector1._domainkey", "TXT", "v=DKIM1; p=x"),
                ],
                "likely",
            ),
        ] {
            let doms = [dom("d", Signing::None, &records)];
            let a = Answers::new(&doms, "mctest");
            assert_eq!(dkim(&doms[0], &a), want, "{records:?}");
        }
    }

    #[test]
    fn dane_needs_a_validated_mx_and_tlsa_rfc7672_2_2() {
        let ee = format!("3 1 1 {}", "ab".repeat(32));
        let pkix = format!("1 0 1 {}", "ab".repeat(32));
        let secure = Signing::Secure(Algorithm::EcdsaP256);
        let provider = |signing| {
            dom(
                "prov",
                signing,
                &[
                    ("mx1", "A", "127.0.0.1"),
                    ("_25._tcp.mx1", "TLSA", ee.as_str()),
                ],
            )
        };
        let customer = |signing, own: &[(&str, &'static str, &str)], hosts: &[&str]| {
            let mut d = dom("cust", signing, own);
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = hosts.iter().map(|h| (*h).to_owned()).collect();
            d
        };
        let own_ee = [("_25._tcp.mail", "TLSA", ee.as_str())];
        let own_pkix = [("_25._tcp.mail", "TLSA", pkix.as_str())];
        for (what, prov, cust, want) in [
            (
                "secure domain, own host, DANE-EE",
                Signing::None,
                customer(secure, &own_ee, &["mail.cust.mctest"]),
                "valid",
            ),
            (
                "unsigned domain, own host: TLSA not validated",
                Signing::None,
                customer(Signing::None, &own_ee, &["mail.cust.mctest"]),
                "invalid",
            ),
            (
                "signed island: no chain of trust",
                Signing::None,
                customer(
                    Signing::Island(Algorithm::EcdsaP256),
                    &own_ee,
                    &["mail.cust.mctest"],
                ),
                "invalid",
            ),
            (
                "secure domain, PKIX-EE only (RFC 7672 §3.1.3)",
                Signing::None,
                customer(secure, &own_pkix, &["mail.cust.mctest"]),
                "invalid",
            ),
            (
                "secure domain at a signed provider",
                secure,
                customer(secure, &[], &["mx1.prov.mctest"]),
                "valid",
            ),
            (
                "unsigned MX RRset at a signed provider (§2.2.1)",
                secure,
                customer(Signing::None, &[], &["mx1.prov.mctest"]),
                "invalid",
            ),
            (
                "secure domain at an unsigned provider",
                Signing::None,
                customer(secure, &[], &["mx1.prov.mctest"]),
                "invalid",
            ),
            (
                "one host of two covered",
                secure,
                customer(secure, &[], &["mx1.prov.mctest", "mx2.prov.mctest"]),
                "invalid",
            ),
            (
                "no TLSA anywhere",
                secure,
                customer(secure, &[], &["mx2.prov.mctest"]),
                "absent",
            ),
        ] {
            let doms = [provider(prov), cust];
            let a = Answers::new(&doms, "mctest");
            assert_eq!(dane(&doms[1], &a), want, "{what}");
        }
    }
}
