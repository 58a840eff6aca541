//! A planned domain: its health, signing, records and truth, and the
//! infrastructure names every universe has.

use std::fmt::Write as _;

use rand::Rng;
use rand::rngs::StdRng;

use super::truth::Truth;
use crate::signing::Algorithm;

// ---------------------------------------------------------------------------
// The plan.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Health {
    Ok,
    NxDomain,
    LameNoAddr,
    LameDead,
    BogusDs,
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signing {
    None,
    Secure(Algorithm),
    Island(Algorithm),
    BogusDs,
    Expired,
}

#[derive(Debug, Clone)]
pub(super) struct Rr {
    /// `@` (the apex) or a name relative to it.
    pub(super) owner: String,
    pub(super) rtype: &'static str,
    /// RDATA in master-file syntax.
    pub(super) rdata: String,
    /// For TXT: the text, its strings joined (RFC 7208 §3.3).
    pub(super) text: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Domain {
    pub(super) label: String,
    pub(super) name: String,
    pub(super) ns: Vec<String>,
    /// In-bailiwick name servers and their glue address.
    pub(super) glue: Vec<(String, &'static str)>,
    pub(super) health: Health,
    pub(super) signing: Signing,
    pub(super) infra: bool,
    pub(super) records: Vec<Rr>,
    /// The single SPF record at the apex whose truth the walk derives from
    /// the served records once the plan is complete (see `answers`).
    pub(super) spf: Option<String>,
    pub(super) truth: Truth,
    pub(super) sector: &'static str,
    pub(super) size: &'static str,
}

impl Domain {
    pub(super) fn add(&mut self, owner: &str, rtype: &'static str, rdata: impl Into<String>) {
        self.records.push(Rr {
            owner: owner.to_owned(),
            rtype,
            rdata: rdata.into(),
            text: None,
        });
    }
    pub(super) fn txt(&mut self, owner: &str, text: &str) {
        self.records.push(Rr {
            owner: owner.to_owned(),
            rtype: "TXT",
            rdata: txt_rdata(text),
            text: Some(text.to_owned()),
        });
    }
    pub(super) fn served(&self) -> bool {
        !matches!(
            self.health,
            Health::NxDomain | Health::LameNoAddr | Health::LameDead
        )
    }
    pub(super) fn healthy(&self) -> bool {
        self.health == Health::Ok
    }
    /// Whether a validating resolver authenticates this domain's answers
    /// (chain of trust from the TLD's trust anchor, RFC 4035 §5).
    pub(super) fn secure(&self) -> bool {
        self.health == Health::Ok && matches!(self.signing, Signing::Secure(_))
    }
}

/// Infrastructure domains every universe has (they are ordinary domains of the
/// dump too, with extra records their customers point at).
pub(super) const MAILHOST_A: &str = "mailhost-a";
pub(super) const MAILHOST_B: &str = "mailhost-b";
pub(super) const BULKMAIL_C: &str = "bulkmail-c";
pub(super) const OLDHOST: &str = "oldhost";
pub(super) const DMARC_REPORTS: &str = "dmarc-reports";
pub(super) const AGENCY_Z: &str = "agency-z";
pub(super) const DNSOPS_A: &str = "dnsops-a";
pub(super) const DNSOPS_B: &str = "dnsops-b";
pub(super) const REGISTRAR_X: &str = "registrar-x";
pub(super) const INFRA: [&str; 9] = [
    MAILHOST_A,
    MAILHOST_B,
    BULKMAIL_C,
    OLDHOST,
    DMARC_REPORTS,
    AGENCY_Z,
    DNSOPS_A,
    DNSOPS_B,
    REGISTRAR_X,
];
/// Names that must not exist: NS hosts of lame delegations, a dead SPF include.
pub(super) const GONE_DNS: &str = "gone-dns";
pub(super) const GONE_PROVIDER: &str = "gone-provider";
pub(super) const RESERVED: [&str; 3] = ["nic", GONE_DNS, GONE_PROVIDER];

pub(super) fn hex(rng: &mut StdRng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes * 2);
    for _ in 0..bytes {
        let _ = write!(s, "{:02x}", rng.random::<u8>());
    }
    s
}

/// TXT RDATA in master-file syntax: strings of at most 255 bytes, quoted
/// (RFC 1035 §3.3.14, §5.1).
pub(super) fn txt_rdata(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    for chunk in bytes.chunks(255) {
        let mut q = String::from("\"");
        for &b in chunk {
            match b {
                b'"' | b'\\' => {
                    q.push('\\');
                    q.push(b as char);
                }
                0x20..=0x7e => q.push(b as char),
                _ => {
                    let _ = write!(q, "\\{b:03}");
                }
            }
        }
        q.push('"');
        parts.push(q);
    }
    if parts.is_empty() {
        parts.push("\"\"".into());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_rdata_quotes_and_splits_rfc1035() {
        assert_eq!(txt_rdata("v=spf1 -all"), "\"v=spf1 -all\"");
        assert_eq!(txt_rdata("a\"b\\c"), "\"a\\\"b\\\\c\"");
        let long = "x".repeat(300);
        let r = txt_rdata(&long);
        assert_eq!(r.matches('"').count(), 4, "two strings: {r}");
    }
}
