//! Planting one kind of record on a domain, with its truth.

use std::collections::HashMap;
use std::fmt::Write as _;

use rand::Rng;
use rand::rngs::StdRng;

use super::model::*;
use crate::spfwalk::{self, Targets};

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
    PassAll,
    Combined,
    LongSplit,
    Multiple,
    OverLimit,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DmarcKind {
    Valid,
    VFirstWrong,
    LeadingSpace,
    Unrelated,
    Multiple,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rua {
    None,
    Internal,
    Authorized,
    Unauthorized,
    InternalAndAuthorized,
}

pub(super) fn spf_targets(tld: &str) -> (Targets, Vec<(&'static str, &'static str, String)>) {
    // (infra label, owner in that zone, TXT text)
    let recs: Vec<(&'static str, &'static str, String)> = vec![
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
    ];
    let mut targets: Targets = HashMap::new();
    for (label, owner, text) in &recs {
        targets
            .entry(format!("{owner}.{label}.{tld}"))
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(text.clone());
    }
    targets.insert(format!("_spf.{GONE_PROVIDER}.{tld}"), None);
    (targets, recs)
}

pub(super) fn plant_mx(d: &mut Domain, kind: MxKind, tld: &str, rng: &mut StdRng) {
    let own = |h: &str, d: &Domain| format!("{h}.{}", d.name);
    let tlsa_roll = rng.random_range(0..100);
    let t = |rng: &mut StdRng| format!("3 1 1 {}", hex(rng, 32));
    match kind {
        MxKind::OwnSingle => {
            d.add("@", "MX", "10 mail");
            d.add("mail", "A", "127.0.0.1");
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![own("mail", d)];
            if tlsa_roll < 20 {
                let v = t(rng);
                d.add("_25._tcp.mail", "TLSA", v);
                d.truth.dane_status = "valid".into();
            } else if tlsa_roll < 23 {
                // PKIX-EE is unusable for SMTP (RFC 7672 §3.1.3): invalid.
                let v = format!("1 0 1 {}", hex(rng, 32));
                d.add("_25._tcp.mail", "TLSA", v);
                d.truth.dane_status = "invalid".into();
            }
        }
        MxKind::OwnTwo => {
            d.add("@", "MX", "10 mx1");
            d.add("@", "MX", "20 mx2");
            d.add("mx1", "A", "127.0.0.1");
            d.add("mx2", "A", "127.0.0.1");
            d.truth.mx_status = "present".into();
            d.truth.mx_hosts = vec![own("mx1", d), own("mx2", d)];
            if tlsa_roll < 15 {
                for h in ["mx1", "mx2"] {
                    let v = t(rng);
                    d.add(&format!("_25._tcp.{h}"), "TLSA", v);
                }
                d.truth.dane_status = "valid".into();
            } else if tlsa_roll < 23 {
                // Only one exchange protected: "every MX host" fails.
                let v = t(rng);
                d.add("_25._tcp.mx1", "TLSA", v);
                d.truth.dane_status = "invalid".into();
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
            d.truth.dane_status = "valid".into();
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
            if tlsa_roll < 30 {
                let v = t(rng);
                d.add("_25._tcp.mail", "TLSA", v);
                d.truth.dane_status = "invalid".into();
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

/// Plants one SPF record and its truth, counted by [`spfwalk`].
pub(super) fn plant_spf_text(d: &mut Domain, text: &str, targets: &Targets) {
    d.txt("@", text);
    let w = spfwalk::walk(text, targets);
    d.truth.spf_status = if w.invalid.is_some() {
        "invalid"
    } else {
        "valid"
    }
    .into();
    d.truth.spf_record = Some(text.to_owned());
    d.truth.spf_all = spf_all(text);
    d.truth.spf_lookups = Some(w.lookups);
    d.truth.spf_void_lookups = Some(w.voids);
}

/// The qualifier of the record's own first `all` (RFC 7208 §5.1).
pub(super) fn spf_all(text: &str) -> Option<String> {
    text.split_ascii_whitespace().skip(1).find_map(|t| {
        let q = match t {
            "-all" => "-all",
            "~all" => "~all",
            "?all" => "?all",
            "+all" | "all" => "+all",
            _ => return None,
        };
        Some(q.to_owned())
    })
}

pub(super) fn plant_spf(
    d: &mut Domain,
    kind: SpfKind,
    tld: &str,
    targets: &Targets,
    rng: &mut StdRng,
) {
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
        SpfKind::Redirect => format!("v=spf1 redirect={a}"),
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
        SpfKind::Multiple => {
            // RFC 7208 §4.5: more than one record is a permerror.
            d.txt("@", "v=spf1 mx -all");
            d.txt("@", &format!("v=spf1 include:{a} ~all"));
            d.truth.spf_status = "invalid".into();
            return;
        }
        SpfKind::OverLimit => format!("v=spf1 include:{b} include:{c} ~all"),
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
    plant_spf_text(d, &text, targets);
}

#[allow(clippy::too_many_arguments)] // one argument per DMARC column
pub(super) fn plant_dmarc(
    d: &mut Domain,
    text: &str,
    p: Option<&str>,
    sp: Option<&str>,
    np: Option<&str>,
    pct: Option<i32>,
    t: Option<bool>,
    rua: Vec<String>,
    ruf: Vec<String>,
    authorized: Option<bool>,
) {
    d.txt("_dmarc", text);
    let tr = &mut d.truth;
    tr.dmarc_status = "valid".into();
    tr.dmarc_record = Some(text.to_owned());
    tr.dmarc_p = p.map(str::to_owned);
    tr.dmarc_sp = sp.map(str::to_owned);
    tr.dmarc_np = np.map(str::to_owned);
    tr.dmarc_pct = pct;
    tr.dmarc_t = t;
    tr.dmarc_rua = rua;
    tr.dmarc_ruf = ruf;
    tr.dmarc_rua_authorized = authorized;
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
    let sp = rng
        .random_bool(0.10)
        .then(|| ["none", "quarantine", "reject"][rng.random_range(0..3)]);
    if let Some(sp) = sp {
        let _ = write!(text, "; sp={sp}");
    }
    let np = rng.random_bool(0.05).then_some("reject");
    if let Some(np) = np {
        let _ = write!(text, "; np={np}");
    }
    let pct = (p.is_some() && rng.random_bool(0.15)).then(|| [25, 50, 100][rng.random_range(0..3)]);
    if let Some(pct) = pct {
        let _ = write!(text, "; pct={pct}");
    }
    let t = rng.random_bool(0.04).then(|| rng.random_bool(0.7));
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
    plant_dmarc(
        d,
        &text,
        p,
        sp,
        np,
        pct,
        t,
        uris,
        ruf.unwrap_or_default(),
        auth,
    );
}

pub(super) fn plant_invalid_dmarc(d: &mut Domain, texts: &[&str]) {
    for t in texts {
        d.txt("_dmarc", t);
    }
    d.truth.dmarc_status = "invalid".into();
    // One record that does not parse is kept as published; several: none is "the" record.
    d.truth.dmarc_record = (texts.len() == 1).then(|| texts[0].to_owned());
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

    use super::super::model::{Health, Signing};
    use super::super::truth::Truth;
    use super::*;

    #[test]
    fn spf_all_is_the_records_own() {
        for (t, want) in [
            ("v=spf1 -all", Some("-all")),
            ("v=spf1 mx all", Some("+all")),
            ("v=spf1 redirect=x.mctest", None),
            ("v=spf1 ?all -all", Some("?all")),
        ] {
            assert_eq!(spf_all(t).as_deref(), want, "{t}");
        }
    }

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
            sector: "",
            size: "",
        }
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
    fn planted_spf_kinds_have_their_intended_status() {
        // Regression guard for the include tree: each kind's RFC reading.
        let (targets, _) = spf_targets("mctest");
        let mut rng = StdRng::seed_from_u64(1);
        for (kind, status, lookups) in [
            (SpfKind::ProviderB, "valid", Some(5)),
            (SpfKind::Bulk, "valid", Some(8)),
            (SpfKind::OverLimit, "invalid", Some(11)),
            (SpfKind::IncludeNoSpf, "invalid", Some(1)),
            (SpfKind::IncludeGone, "invalid", Some(1)),
            (SpfKind::Redirect, "valid", Some(1)),
            (SpfKind::Multiple, "invalid", None),
            (SpfKind::SyntaxMoo, "invalid", None),
        ] {
            let mut d = bare("x");
            plant_spf(&mut d, kind, "mctest", &targets, &mut rng);
            assert_eq!(
                (d.truth.spf_status.as_str(), d.truth.spf_lookups),
                (status, lookups),
                "{kind:?}"
            );
        }
    }
}
