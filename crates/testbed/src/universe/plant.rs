//! Planting one kind of record on a domain, with its truth.

use std::fmt::Write as _;

use rand::Rng;
use rand::rngs::StdRng;

use super::model::*;

// SPF, DMARC, MX… variants ---------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MxKind {
    OwnSingle,
    OwnTwo,
    ProviderA,
    ProviderB,
    Mixed,
    Absent,
    Null,
    NullMixed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SpfKind {
    MxOnly,
    AMx,
    ProviderA,
    ProviderB,
    Ip4Neutral,
    Bulk,
    Redirect,
    RedirectOwn,
    Reject,
    PassAll,
    Combined,
    LongSplit,
    VoidAOne,
    Multiple,
    OverLimit,
    VoidA,
    MxPool,
    SyntaxMoo,
    SyntaxBareInclude,
    IncludeNoSpf,
    IncludeGone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NoSpfKind {
    Nothing,
    OtherTxt,
    LookAlike10,
    LeadingSpace,
}

/// DMARC records of the domains that publish one (valid or invalid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DmarcKind {
    Valid,
    /// A valid record beside an unrelated TXT at `_dmarc`.
    Stray,
    Multiple,
    BareRua,
    AdkimRelaxed,
    InvalidP,
}

/// TXT at `_dmarc.<d>` that receivers discard (RFC 7489 §6.6.3 step 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DmarcLookAlike {
    VFirstWrong,
    LeadingSpace,
    Unrelated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rua {
    None,
    Internal,
    Authorized,
    Unauthorized,
    InternalAndAuthorized,
}

/// The SPF records of the infrastructure domains: (infra label, owner in that
/// zone, TXT text). `_spf2.mailhost-b` and `_s1`/`_s2.bulkmail-c` are
/// `v=spf1 a mx -all` with no A or MX behind them: two void lookups each
/// (RFC 7208 §4.6.4), so bulkmail-c's customers exceed the void limit — a
/// misconfiguration as found in the wild.
pub(super) fn infra_spf(tld: &str) -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            MAILHOST_A,
            "_spf",
            "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ~all".into(),
        ),
        (
            MAILHOST_B,
            "_spf",
            format!(
                "v=spf1 include:_spf1.{MAILHOST_B}.{tld} include:_spf2.{MAILHOST_B}.{tld} ~all"
            ),
        ),
        (MAILHOST_B, "_spf1", "v=spf1 ip4:203.0.113.0/24 -all".into()),
        (MAILHOST_B, "_spf2", "v=spf1 a mx -all".into()),
        (
            BULKMAIL_C,
            "_spf",
            format!("v=spf1 include:_s1.{BULKMAIL_C}.{tld} include:_s2.{BULKMAIL_C}.{tld} -all"),
        ),
        (BULKMAIL_C, "_s1", "v=spf1 a mx -all".into()),
        (BULKMAIL_C, "_s2", "v=spf1 a mx -all".into()),
        (
            OLDHOST,
            "_spf",
            "legacy sender list moved to the new platform".into(),
        ),
    ]
}

/// Plants the MX RRset and any TLSA of the domain's own hosts; `dane_status`
/// is derived later from where the records end up (`answers`). TLSA shares
/// depend on signing: an operator who signs publishes DANE far more often,
/// and TLSA in an unsigned zone (not usable, RFC 7672 §2.2) is rarer.
pub(super) fn plant_mx(d: &mut Domain, kind: MxKind, tld: &str, secure: bool, rng: &mut StdRng) {
    let own = |h: &str, d: &Domain| format!("{h}.{}", d.name);
    let tlsa_roll = rng.random_range(0..1000);
    // Per mille: (full DANE-EE coverage, PKIX-EE only or one host of two).
    let (full, partial) = match (kind, secure) {
        (MxKind::OwnSingle, true) => (400, 30),
        (MxKind::OwnSingle, false) => (30, 5),
        (MxKind::OwnTwo, true) => (350, 80),
        (MxKind::OwnTwo, false) => (30, 10),
        (MxKind::Mixed, true) => (300, 0),
        (MxKind::Mixed, false) => (30, 0),
        _ => (0, 0),
    };
    let t = |rng: &mut StdRng| format!("3 1 1 {}", hex(rng, 32));
    match kind {
        MxKind::OwnSingle => {
            d.add("@", "MX", "10 mail");
            d.add("mail", "A", "127.0.0.1");
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![own("mail", d)];
            if tlsa_roll < full {
                let v = t(rng);
                d.add("_25._tcp.mail", "TLSA", v);
            } else if tlsa_roll < full + partial {
                // PKIX-EE is unusable for SMTP (RFC 7672 §3.1.3).
                let v = format!("1 0 1 {}", hex(rng, 32));
                d.add("_25._tcp.mail", "TLSA", v);
            }
        }
        MxKind::OwnTwo => {
            d.add("@", "MX", "10 mx1");
            d.add("@", "MX", "20 mx2");
            d.add("mx1", "A", "127.0.0.1");
            d.add("mx2", "A", "127.0.0.1");
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![own("mx1", d), own("mx2", d)];
            if tlsa_roll < full {
                for h in ["mx1", "mx2"] {
                    let v = t(rng);
                    d.add(&format!("_25._tcp.{h}"), "TLSA", v);
                }
            } else if tlsa_roll < full + partial {
                // Only one exchange protected: "every MX host" fails.
                let v = t(rng);
                d.add("_25._tcp.mx1", "TLSA", v);
            }
        }
        MxKind::ProviderA => {
            d.add("@", "MX", format!("10 mx1.{MAILHOST_A}.{tld}."));
            d.add("@", "MX", format!("20 mx2.{MAILHOST_A}.{tld}."));
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![
                format!("mx1.{MAILHOST_A}.{tld}"),
                format!("mx2.{MAILHOST_A}.{tld}"),
            ];
        }
        MxKind::ProviderB => {
            d.add("@", "MX", format!("10 mx.{MAILHOST_B}.{tld}."));
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![format!("mx.{MAILHOST_B}.{tld}")];
        }
        MxKind::Mixed => {
            d.add("@", "MX", "10 mail");
            d.add("@", "MX", format!("50 mx.{MAILHOST_B}.{tld}."));
            d.add("mail", "A", "127.0.0.1");
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![own("mail", d), format!("mx.{MAILHOST_B}.{tld}")];
            if tlsa_roll < full {
                // The provider's backup has no TLSA: never every host.
                let v = t(rng);
                d.add("_25._tcp.mail", "TLSA", v);
            }
        }
        MxKind::Absent => {}
        MxKind::Null => {
            d.add("@", "MX", "0 .");
            d.truth.mx_status = "null_mx".into();
        }
        MxKind::NullMixed => {
            // RFC 7505 §3: a null MX must be the only MX record.
            d.add("@", "MX", "0 .");
            d.add("@", "MX", "10 mail");
            d.add("mail", "A", "127.0.0.1");
            d.truth.mx_status = "invalid".into();
            d.truth.mx_hosts = vec![own("mail", d)];
        }
    }
}

/// Plants one SPF record at the apex. Its status, lookups, voids and `all`
/// are derived from the served records once the plan is complete
/// ([`crate::spfwalk`] over `answers`).
pub(super) fn plant_spf_text(d: &mut Domain, text: &str) {
    d.txt("@", text);
    d.spf = Some(text.to_owned());
    d.truth.spf_record = Some(text.to_owned());
}

pub(super) fn plant_spf(d: &mut Domain, kind: SpfKind, tld: &str, rng: &mut StdRng) {
    let a = format!("_spf.{MAILHOST_A}.{tld}");
    let b = format!("_spf.{MAILHOST_B}.{tld}");
    let c = format!("_spf.{BULKMAIL_C}.{tld}");
    let octet = rng.random_range(1..255);
    let text = match kind {
        SpfKind::MxOnly => "v=spf1 mx -all".to_owned(),
        SpfKind::AMx => "v=spf1 a mx ~all".to_owned(),
        SpfKind::ProviderA => format!("v=spf1 include:{a} ~all"),
        SpfKind::ProviderB => format!("v=spf1 include:{b} -all"),
        SpfKind::Ip4Neutral => format!("v=spf1 ip4:203.0.113.{octet} ?all"),
        SpfKind::Bulk => format!("v=spf1 mx include:{c} -all"),
        // No own `all`: the redirect target's ends evaluation (RFC 7208 §6.1).
        SpfKind::Redirect => format!("v=spf1 redirect={a}"),
        SpfKind::RedirectOwn => {
            d.txt("_spf", &format!("v=spf1 ip4:198.51.100.{octet} -all"));
            format!("v=spf1 redirect=_spf.{}", d.name)
        }
        // A domain that sends no mail.
        SpfKind::Reject => "v=spf1 -all".to_owned(),
        SpfKind::PassAll => "v=spf1 +all".to_owned(),
        SpfKind::Combined => format!("v=spf1 a mx include:{a} ip4:198.51.100.{octet} ~all"),
        SpfKind::LongSplit => {
            // Longer than one TXT string: published as two, read joined (§3.3).
            let mut t = String::from("v=spf1");
            for k in 0..18 {
                let _ = write!(t, " ip4:198.51.{}.{}/32", 100 + k, octet);
            }
            t.push_str(" -all");
            t
        }
        // `smtp.<d>` does not exist: one void lookup (RFC 7208 §4.6.4), within
        // the limit unless the domain has no MX either.
        SpfKind::VoidAOne => format!("v=spf1 a:smtp.{} mx -all", d.name),
        SpfKind::Multiple => {
            // RFC 7208 §4.5: more than one record is a permerror.
            d.txt("@", "v=spf1 mx -all");
            d.txt("@", &format!("v=spf1 include:{a} ~all"));
            d.truth.spf_status = "invalid".into();
            return;
        }
        SpfKind::OverLimit => format!("v=spf1 include:{b} include:{c} ~all"),
        // A host that is gone plus mailhost-b's two voids: three (§4.6.4).
        SpfKind::VoidA => format!("v=spf1 a:oldmail.{} mx include:{b} -all", d.name),
        SpfKind::MxPool => {
            // §4.6.4: an `mx` target with more than 10 MX records.
            for k in 1..=11 {
                d.add("pool", "MX", format!("10 mx{k:02}.pool"));
                d.add(&format!("mx{k:02}.pool"), "A", "127.0.0.1");
            }
            format!("v=spf1 mx:pool.{} -all", d.name)
        }
        SpfKind::SyntaxMoo | SpfKind::SyntaxBareInclude => {
            let text = if kind == SpfKind::SyntaxMoo {
                "v=spf1 mx -all moo"
            } else {
                "v=spf1 include ~all"
            };
            d.txt("@", text);
            d.truth.spf_status = "invalid".into();
            d.truth.spf_record = Some(text.to_owned());
            return;
        }
        SpfKind::IncludeNoSpf => format!("v=spf1 include:_spf.{OLDHOST}.{tld} -all"),
        SpfKind::IncludeGone => format!("v=spf1 include:_spf.{GONE_PROVIDER}.{tld} ~all"),
    };
    if rng.random_bool(0.15) {
        d.txt("@", &format!("site-verification={}", hex(rng, 12)));
    }
    plant_spf_text(d, &text);
}

/// The DMARC columns of one record as receivers read it.
pub(super) struct DmarcTruth<'a> {
    pub(super) status: &'a str,
    pub(super) record: Option<&'a str>,
    pub(super) p: Option<&'a str>,
    pub(super) sp: Option<&'a str>,
    pub(super) np: Option<&'a str>,
    pub(super) pct: Option<i32>,
    pub(super) t: Option<bool>,
    pub(super) rua: Vec<String>,
    pub(super) ruf: Vec<String>,
    pub(super) authorized: Option<bool>,
}

impl<'a> DmarcTruth<'a> {
    pub(super) fn new(status: &'a str) -> Self {
        DmarcTruth {
            status,
            record: None,
            p: None,
            sp: None,
            np: None,
            pct: None,
            t: None,
            rua: vec![],
            ruf: vec![],
            authorized: None,
        }
    }
}

pub(super) fn set_dmarc(d: &mut Domain, v: DmarcTruth<'_>) {
    let tr = &mut d.truth;
    tr.dmarc_status = v.status.into();
    tr.dmarc_record = v.record.map(str::to_owned);
    tr.dmarc_p = v.p.map(str::to_owned);
    tr.dmarc_sp = v.sp.map(str::to_owned);
    tr.dmarc_np = v.np.map(str::to_owned);
    tr.dmarc_pct = v.pct;
    tr.dmarc_t = v.t;
    tr.dmarc_rua = v.rua;
    tr.dmarc_ruf = v.ruf;
    tr.dmarc_rua_authorized = v.authorized;
}

/// The parked domains' `v=DMARC1; p=reject`.
pub(super) fn plant_reject_dmarc(d: &mut Domain) {
    let text = "v=DMARC1; p=reject";
    d.txt("_dmarc", text);
    set_dmarc(
        d,
        DmarcTruth {
            record: Some(text),
            p: Some("reject"),
            ..DmarcTruth::new("valid")
        },
    );
}

pub(super) fn plant_valid_dmarc(
    d: &mut Domain,
    p: Option<&str>,
    rua: Rua,
    tld: &str,
    rng: &mut StdRng,
) {
    let mut text = String::from("v=DMARC1");
    if let Some(p) = p {
        let _ = write!(text, "; p={p}");
    }
    // A record without `p` is planted as the reporting-only record it is in
    // practice: no other policy tags, always a `rua`, so that receivers apply
    // `p=none` (RFC 7489 §6.6.3 step 6; RFC 9989 agrees) without ambiguity.
    let rua = match (p, rua) {
        (None, Rua::None) => Rua::Internal,
        (_, rua) => rua,
    };
    let sp = (p.is_some() && rng.random_bool(0.10))
        .then(|| ["none", "quarantine", "reject"][rng.random_range(0..3)]);
    if let Some(sp) = sp {
        let _ = write!(text, "; sp={sp}");
    }
    let np = (p.is_some() && rng.random_bool(0.05)).then_some("reject");
    if let Some(np) = np {
        let _ = write!(text, "; np={np}");
    }
    let pct = (p.is_some() && rng.random_bool(0.15)).then(|| [25, 50, 100][rng.random_range(0..3)]);
    if let Some(pct) = pct {
        let _ = write!(text, "; pct={pct}");
    }
    let t = (p.is_some() && rng.random_bool(0.04)).then(|| rng.random_bool(0.7));
    if let Some(t) = t {
        let _ = write!(text, "; t={}", if t { "y" } else { "n" });
    }
    let internal = format!("mailto:dmarc@{}", d.name);
    let authorized_uri = format!("mailto:rua@{DMARC_REPORTS}.{tld}");
    let unauthorized_uri = format!("mailto:dmarc@{AGENCY_Z}.{tld}");
    let uris: Vec<String> = match rua {
        Rua::None => vec![],
        Rua::Internal => vec![internal],
        Rua::Authorized => vec![authorized_uri],
        Rua::Unauthorized => vec![unauthorized_uri],
        Rua::InternalAndAuthorized => vec![internal, authorized_uri],
    };
    // RFC 7489 §7.1: only destinations outside the domain's Organizational
    // Domain (here: another registered name under the TLD) need authorising;
    // dmarc-reports authorises everyone, agency-z no one.
    let external: Vec<bool> = uris
        .iter()
        .filter_map(|u| u.split_once('@').map(|(_, host)| host))
        .filter(|host| *host != d.name && !host.ends_with(&format!(".{}", d.name)))
        .map(|host| host == format!("{DMARC_REPORTS}.{tld}"))
        .collect();
    let auth = (!external.is_empty()).then(|| external.iter().all(|ok| *ok));
    if !uris.is_empty() {
        let _ = write!(text, "; rua={}", uris.join(","));
    }
    // Forensic reports only to the domain itself, so they never change the
    // authorisation verdict.
    let ruf = (!uris.is_empty() && rng.random_bool(0.1))
        .then(|| vec![format!("mailto:forensic@{}", d.name)]);
    if let Some(ruf) = &ruf {
        let _ = write!(text, "; ruf={}", ruf.join(","));
    }
    d.txt("_dmarc", &text);
    set_dmarc(
        d,
        DmarcTruth {
            record: Some(&text),
            // RFC 7489 §6.6.3 step 6: no `p`, a valid `rua`: `none` applies.
            p: Some(p.unwrap_or("none")),
            sp,
            np,
            pct,
            t,
            rua: uris,
            ruf: ruf.unwrap_or_default(),
            authorized: auth,
            ..DmarcTruth::new("valid")
        },
    );
}

/// The invalid DMARC records: the record is published and broken, but
/// receivers still apply what they can read (RFC 7489 §6.3: a malformed tag is
/// dropped on its own; §6.6.3 step 6: an invalid `p` with a valid `rua` applies
/// `none`; several records apply nothing).
pub(super) fn plant_invalid_dmarc(d: &mut Domain, kind: DmarcKind) {
    let internal = format!("mailto:dmarc@{}", d.name);
    let (texts, p, rua): (Vec<String>, Option<&str>, Vec<String>) = match kind {
        DmarcKind::Multiple => (
            vec!["v=DMARC1; p=none".into(), "v=DMARC1; p=reject".into()],
            None,
            vec![],
        ),
        // `rua` must hold URIs (RFC 7489 §6.4 dmarc-uri): a bare address is a
        // malformed tag, dropped; the policy stands. `dmarc_rua` still lists
        // it: the column holds the URIs as published (DESIGN.md).
        DmarcKind::BareRua => (
            vec![format!("v=DMARC1; p=reject; rua=dmarc@{}", d.name)],
            Some("reject"),
            vec![format!("dmarc@{}", d.name)],
        ),
        // adkim is `r` or `s` (RFC 7489 §6.3).
        DmarcKind::AdkimRelaxed => (
            vec![format!(
                "v=DMARC1; p=quarantine; adkim=relaxed; rua={internal}"
            )],
            Some("quarantine"),
            vec![internal],
        ),
        DmarcKind::InvalidP => (
            vec![format!("v=DMARC1; p=block; rua={internal}")],
            Some("none"),
            vec![internal],
        ),
        DmarcKind::Valid | DmarcKind::Stray => return,
    };
    for t in &texts {
        d.txt("_dmarc", t);
    }
    // One record that does not parse is kept as published; several: none is
    // "the" record.
    let record = (texts.len() == 1).then(|| texts[0].clone());
    set_dmarc(
        d,
        DmarcTruth {
            status: "invalid",
            record: record.as_deref(),
            p,
            rua,
            ..DmarcTruth::new("invalid")
        },
    );
}

/// TXT at `_dmarc.<d>` that is not DMARC: discarded, the status stays `absent`
/// (RFC 7489 §6.6.3 step 3).
pub(super) fn plant_dmarc_look_alike(d: &mut Domain, kind: DmarcLookAlike) {
    let text = match kind {
        DmarcLookAlike::VFirstWrong => "p=reject; v=DMARC1",
        DmarcLookAlike::LeadingSpace => " v=DMARC1; p=none",
        DmarcLookAlike::Unrelated => "google-site-verification=Xq3t7dmarc",
    };
    d.txt("_dmarc", text);
}

pub(super) fn plant_bimi(d: &mut Domain, kind: u8) {
    let logo = format!("https://www.{}/bimi/logo.svg", d.name);
    let vmc = format!("https://www.{}/bimi/vmc.pem", d.name);
    match kind {
        0 => {
            d.txt("default._bimi", &format!("v=BIMI1; l={logo}; a={vmc}"));
            d.truth.bimi_status = "valid".into();
            d.truth.bimi_logo = Some(logo);
            d.truth.bimi_authority = Some(vmc);
        }
        1 => {
            d.txt("default._bimi", &format!("v=BIMI1; l={logo}"));
            d.truth.bimi_status = "valid".into();
            d.truth.bimi_logo = Some(logo);
        }
        2 => {
            d.txt("default._bimi", "v=BIMI1; l=; a=;");
            d.truth.bimi_status = "declined".into();
        }
        _ => {
            // Draft §4.2: only https locations.
            d.txt(
                "default._bimi",
                &format!("v=BIMI1; l=http://www.{}/bimi/logo.svg", d.name),
            );
            d.truth.bimi_status = "invalid".into();
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::super::answers::{Answers, derive};
    use super::super::model::{Health, Signing};
    use super::super::truth::Truth;
    use super::*;

    fn bare(label: &str) -> Domain {
        let name = format!("{label}.mctest");
        Domain {
            truth: Truth::blank(&name, "mctest", vec![], "ok", "absent"),
            label: label.into(),
            name,
            ns: vec![],
            glue: vec![],
            health: Health::Ok,
            signing: Signing::None,
            infra: false,
            records: vec![],
            spf: None,
            sector: "",
            size: "",
        }
    }

    /// The infrastructure domains with their SPF records.
    fn infra() -> Vec<Domain> {
        let mut doms: Vec<Domain> = INFRA.iter().map(|l| bare(l)).collect();
        for (label, owner, text) in infra_spf("mctest") {
            let d = doms.iter_mut().find(|d| d.label == label).unwrap();
            d.txt(owner, &text);
        }
        doms
    }

    #[test]
    fn rua_at_the_domains_own_name_needs_no_authorisation() {
        // Regression: agency-z's own `rua=mailto:dmarc@agency-z.mctest` was
        // planted as unauthorised although it is not external (RFC 7489 §7.1).
        let mut rng = StdRng::seed_from_u64(1);
        for (label, rua, want) in [
            (AGENCY_Z, Rua::Unauthorized, None),
            (DMARC_REPORTS, Rua::Authorized, None),
            ("shop", Rua::Unauthorized, Some(false)),
            ("shop", Rua::Authorized, Some(true)),
            ("shop", Rua::InternalAndAuthorized, Some(true)),
            ("shop", Rua::Internal, None),
        ] {
            let mut d = bare(label);
            plant_valid_dmarc(&mut d, Some("none"), rua, "mctest", &mut rng);
            assert_eq!(d.truth.dmarc_rua_authorized, want, "{label} {rua:?}");
        }
    }

    #[test]
    fn dmarc_policy_is_what_receivers_apply_rfc7489_6_6_3() {
        let mut rng = StdRng::seed_from_u64(1);
        // No `p`: always planted with a rua, so `none` applies (step 6).
        let mut d = bare("shop");
        plant_valid_dmarc(&mut d, None, Rua::None, "mctest", &mut rng);
        assert_eq!(
            (d.truth.dmarc_status.as_str(), d.truth.dmarc_p.as_deref()),
            ("valid", Some("none"))
        );
        assert_eq!(d.truth.dmarc_rua, ["mailto:dmarc@shop.mctest"]);
        for (kind, p, rua, record) in [
            (DmarcKind::Multiple, None, 0, false),
            (DmarcKind::BareRua, Some("reject"), 1, true),
            (DmarcKind::AdkimRelaxed, Some("quarantine"), 1, true),
            (DmarcKind::InvalidP, Some("none"), 1, true),
        ] {
            let mut d = bare("shop");
            plant_invalid_dmarc(&mut d, kind);
            let t = &d.truth;
            assert_eq!(
                (
                    t.dmarc_status.as_str(),
                    t.dmarc_p.as_deref(),
                    t.dmarc_rua.len(),
                    t.dmarc_record.is_some()
                ),
                ("invalid", p, rua, record),
                "{kind:?}"
            );
        }
        // Look-alikes are discarded (step 3): nothing published, as before.
        let mut d = bare("shop");
        plant_dmarc_look_alike(&mut d, DmarcLookAlike::VFirstWrong);
        assert_eq!(
            (d.truth.dmarc_status.as_str(), d.truth.dmarc_p.as_deref()),
            ("absent", None)
        );
    }

    #[test]
    fn planted_spf_kinds_have_their_intended_status_rfc7208() {
        // Each kind's RFC 7208 reading (§4.6.4 lookups and voids, §6.1 `all`),
        // with the infrastructure's include targets served.
        type Row = (
            SpfKind,
            MxKind,
            &'static str,
            Option<i32>,
            Option<i32>,
            Option<&'static str>,
        );
        let rows: &[Row] = &[
            (
                SpfKind::ProviderB,
                MxKind::ProviderB,
                "valid",
                Some(5),
                Some(2),
                Some("-all"),
            ),
            (
                SpfKind::Bulk,
                MxKind::OwnSingle,
                "invalid",
                Some(8),
                Some(4),
                Some("-all"),
            ),
            (
                SpfKind::OverLimit,
                MxKind::OwnSingle,
                "invalid",
                Some(11),
                Some(4),
                Some("~all"),
            ),
            (
                SpfKind::IncludeNoSpf,
                MxKind::OwnSingle,
                "invalid",
                Some(1),
                Some(0),
                Some("-all"),
            ),
            (
                SpfKind::IncludeGone,
                MxKind::OwnSingle,
                "invalid",
                Some(1),
                Some(1),
                Some("~all"),
            ),
            (
                SpfKind::Redirect,
                MxKind::OwnSingle,
                "valid",
                Some(1),
                Some(0),
                Some("~all"),
            ),
            (
                SpfKind::RedirectOwn,
                MxKind::OwnSingle,
                "valid",
                Some(1),
                Some(0),
                Some("-all"),
            ),
            (
                SpfKind::VoidA,
                MxKind::OwnSingle,
                "invalid",
                Some(7),
                Some(3),
                Some("-all"),
            ),
            (
                SpfKind::VoidAOne,
                MxKind::OwnSingle,
                "valid",
                Some(2),
                Some(1),
                Some("-all"),
            ),
            (
                SpfKind::VoidAOne,
                MxKind::Absent,
                "valid",
                Some(2),
                Some(2),
                Some("-all"),
            ),
            (
                SpfKind::AMx,
                MxKind::Absent,
                "valid",
                Some(2),
                Some(2),
                Some("~all"),
            ),
            (
                SpfKind::MxPool,
                MxKind::OwnSingle,
                "invalid",
                Some(1),
                Some(0),
                Some("-all"),
            ),
            (
                SpfKind::Reject,
                MxKind::Null,
                "valid",
                Some(0),
                Some(0),
                Some("-all"),
            ),
            (
                SpfKind::Multiple,
                MxKind::OwnSingle,
                "invalid",
                None,
                None,
                None,
            ),
            (
                SpfKind::SyntaxMoo,
                MxKind::OwnSingle,
                "invalid",
                None,
                None,
                None,
            ),
        ];
        let mut rng = StdRng::seed_from_u64(1);
        for &(kind, mx, status, lookups, voids, all) in rows {
            let mut doms = infra();
            let mut d = bare("x");
            plant_mx(&mut d, mx, "mctest", false, &mut rng);
            plant_spf(&mut d, kind, "mctest", &mut rng);
            doms.push(d);
            let derived = derive(&doms[doms.len() - 1], &Answers::new(&doms, "mctest"));
            let mut d = doms.pop().unwrap();
            derived.apply(&mut d);
            let t = &d.truth;
            assert_eq!(
                (
                    t.spf_status.as_str(),
                    t.spf_lookups,
                    t.spf_void_lookups,
                    t.spf_all.as_deref()
                ),
                (status, lookups, voids, all),
                "{kind:?} with {mx:?}"
            );
        }
    }
}
