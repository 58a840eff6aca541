//! BIMI assertion records (draft-brand-indicators-for-message-identification).
//!
//! Draft -08 §4.2 (with the tag-list grammar of RFC 6376 §3.2):
//!
//! ```text
//! bimi-record            = bimi-version (bimi-sep bimi-location)
//!                          [(bimi-sep bimi-evidence-location)] [bimi-sep]
//! bimi-version           = "v" *WSP "=" *WSP "BIMI1"
//! bimi-location          = "l" *WSP "=" *WSP [bimi-uri *("," bimi-uri)]
//! bimi-evidence-location = "a" *WSP "=" *WSP [bimi-uri]
//! bimi-sep               = *WSP ";" *WSP
//! bimi-uri               = [FWS] URI [FWS]   ; "https" only
//! ```
//!
//! "v= ... It MUST have the value of "BIMI1" ... if it does not or it is
//! absent, the entire retrieved record MUST be ignored. It MUST be the first
//! tag." Discovery (§7.3, "Assertion Record Discovery"): records that do not
//! start with a `v=` tag naming BIMI1 are discarded, and "if the set now
//! contains more than one record or no records, processing terminates".
//!
//! So: other TXT records at `default._bimi.<d>` are ignored (neither valid nor
//! invalid); none left → `absent`; several → `invalid`; one that breaks the
//! grammar (a non-https URI, a duplicate tag, a bad tag-list) → `invalid`.
//! Unknown tags are ignored, as in DMARC.
//!
//! Decisions:
//! * `l` empty or missing and `a` empty or missing → `declined` (§4.2.1
//!   "Declination to Publish": `v=BIMI1; l=; a=;`; `v=BIMI1;` says the same).
//! * `l` empty but `a` set → `valid`: the evidence document (a VMC) carries
//!   the indicator itself, so a receiver can still show a logo.
//! * `bimi_logo` is the `l` value as published (one or several URIs), trimmed.

use std::fmt;

use crate::error::RecordError;
use crate::evidence::{Lookup, TxtRecord};
use crate::status::negative_status;
use crate::tags::{self, Syntax};
use crate::uri::{self, Scheme};

/// `bimi_status`: the common vocabulary plus `declined`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BimiStatus {
    /// A valid assertion record with a logo.
    Valid,
    /// `v=BIMI1; l=; a=;`: the domain declines to participate.
    Declined,
    /// Found but broken.
    Invalid,
    /// Authoritatively absent.
    Absent,
    /// The query failed.
    Error,
}

impl BimiStatus {
    /// The stable label the store writes.
    pub fn label(&self) -> &'static str {
        match self {
            BimiStatus::Valid => "valid",
            BimiStatus::Declined => "declined",
            BimiStatus::Invalid => "invalid",
            BimiStatus::Absent => "absent",
            BimiStatus::Error => "error",
        }
    }
}

/// `bimi_status`, `bimi_logo`, `bimi_authority`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BimiPosture {
    /// The status.
    pub status: BimiStatus,
    /// The `l=` URI, when the record is valid and it is not empty.
    pub logo: Option<String>,
    /// The `a=` URI, when the record is valid and it is not empty.
    pub authority: Option<String>,
}

impl BimiPosture {
    /// An authoritative absence.
    pub fn absent() -> Self {
        BimiPosture {
            status: BimiStatus::Absent,
            logo: None,
            authority: None,
        }
    }
}

/// A parsed BIMI assertion record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BimiRecord {
    /// `l`: the indicator URIs, in order (empty: none published).
    pub logos: Vec<String>,
    /// `a`: the evidence document URI, if not empty.
    pub authority: Option<String>,
}

impl BimiRecord {
    /// True for a declination to publish (§4.2.1): neither `l` nor `a`.
    pub fn is_declined(&self) -> bool {
        self.logos.is_empty() && self.authority.is_none()
    }
}

impl fmt::Display for BimiRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "v=BIMI1; l={}; a={};",
            self.logos.join(","),
            self.authority.as_deref().unwrap_or_default()
        )
    }
}

/// True when the record's first tag is `v=BIMI1` (discovery, §7.3).
pub fn is_candidate(text: &str) -> bool {
    let text = text.trim_start_matches(tags::is_wsp);
    let Some(rest) = text.strip_prefix(['v', 'V']) else {
        return false;
    };
    let Some(rest) = rest.trim_start_matches(tags::is_wsp).strip_prefix('=') else {
        return false;
    };
    rest.trim_start_matches(tags::is_wsp)
        .strip_prefix("BIMI1")
        .is_some_and(|rest| {
            rest.trim_start_matches(tags::is_wsp).is_empty()
                || rest.trim_start_matches(tags::is_wsp).starts_with(';')
        })
}

fn https_uri(tag: &'static str, item: &str) -> Result<String, RecordError> {
    match uri::check(item) {
        Some(Scheme::Https) => Ok(item.to_owned()),
        _ => Err(RecordError::BadUri {
            tag,
            uri: item.to_owned(),
        }),
    }
}

/// Parses one BIMI assertion record (strings already joined).
pub fn parse(text: &str) -> Result<BimiRecord, RecordError> {
    let list = tags::parse(text, Syntax::Dkim)?;
    let version_ok = list
        .first()
        .is_some_and(|t| t.name.eq_ignore_ascii_case("v") && t.value == "BIMI1");
    if !version_ok {
        return Err(RecordError::Version {
            expected: "v=BIMI1",
        });
    }
    let logos = match tags::find(&list, "l") {
        None | Some("") => Vec::new(),
        Some(value) => tags::split_list(value)
            .into_iter()
            .map(|item| https_uri("l", item))
            .collect::<Result<_, _>>()?,
    };
    let authority = match tags::find(&list, "a") {
        None | Some("") => None,
        Some(value) => Some(https_uri("a", value)?),
    };
    Ok(BimiRecord { logos, authority })
}

/// Selects and parses the assertion record of a TXT RRset: `Ok(None)` when
/// there is none.
pub fn select(lookup: &Lookup<TxtRecord>) -> Result<Option<BimiRecord>, RecordError> {
    tags::select_one(lookup, is_candidate, parse)
}

/// Classifies `TXT default._bimi.<d>`.
pub fn classify(lookup: &Lookup<TxtRecord>) -> BimiPosture {
    let status = match negative_status(lookup) {
        Some(crate::status::Status::Error) => BimiStatus::Error,
        Some(_) => BimiStatus::Absent,
        None => match select(lookup) {
            Ok(Some(record)) if record.is_declined() => BimiStatus::Declined,
            Ok(Some(record)) => {
                return BimiPosture {
                    status: BimiStatus::Valid,
                    logo: (!record.logos.is_empty()).then(|| record.logos.join(",")),
                    authority: record.authority,
                };
            }
            Ok(None) => BimiStatus::Absent,
            Err(_) => BimiStatus::Invalid,
        },
    };
    BimiPosture {
        status,
        logo: None,
        authority: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Failure;

    fn txt(records: &[&str]) -> Lookup<TxtRecord> {
        Lookup::from_records(records.iter().map(|r| TxtRecord::single(*r)).collect())
    }

    const LOGO: &str = "https://example.com/logo.svg";
    const VMC: &str = "https://example.com/vmc.pem";

    /// Draft §4.2 grammar and §4.2.1 declination.
    #[test]
    fn draft_4_2_classify_table() {
        type Row<'a> = (Vec<&'a str>, BimiStatus, Option<&'a str>, Option<&'a str>);
        let table: &[Row<'_>] = &[
            (
                vec!["v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem"],
                BimiStatus::Valid,
                Some(LOGO),
                Some(VMC),
            ),
            (
                vec!["v=BIMI1; l=https://example.com/logo.svg;"],
                BimiStatus::Valid,
                Some(LOGO),
                None,
            ),
            (
                vec!["v=BIMI1; l=https://example.com/logo.svg; a=;"],
                BimiStatus::Valid,
                Some(LOGO),
                None,
            ),
            (
                vec!["v=BIMI1; l=; a=https://example.com/vmc.pem"],
                BimiStatus::Valid,
                None,
                Some(VMC),
            ),
            (
                vec!["v = BIMI1 ; l = https://example.com/logo.svg"],
                BimiStatus::Valid,
                Some(LOGO),
                None,
            ),
            (vec!["v=BIMI1; l=; a=;"], BimiStatus::Declined, None, None),
            (vec!["v=BIMI1; l=; a="], BimiStatus::Declined, None, None),
            (vec!["v=BIMI1;"], BimiStatus::Declined, None, None),
            (vec!["v=BIMI1"], BimiStatus::Declined, None, None),
            // §4.2: l and a are https only.
            (
                vec!["v=BIMI1; l=http://example.com/logo.svg"],
                BimiStatus::Invalid,
                None,
                None,
            ),
            (
                vec!["v=BIMI1; l=https://example.com/l.svg; a=ftp://x/y"],
                BimiStatus::Invalid,
                None,
                None,
            ),
            (vec!["v=BIMI1; l=x; l=y"], BimiStatus::Invalid, None, None),
            (
                vec!["v=BIMI1; l=https://example.com/l.svg;;"],
                BimiStatus::Invalid,
                None,
                None,
            ),
            // §7.3: several records → processing terminates.
            (
                vec!["v=BIMI1; l=;", "v=BIMI1; l=https://example.com/logo.svg"],
                BimiStatus::Invalid,
                None,
                None,
            ),
            // §7.3: records not starting with v=BIMI1 are discarded.
            (
                vec!["v=BIMI2; l=https://example.com/logo.svg"],
                BimiStatus::Absent,
                None,
                None,
            ),
            (
                vec!["v=bimi1; l=https://example.com/logo.svg"],
                BimiStatus::Absent,
                None,
                None,
            ),
            (
                vec!["l=https://example.com/logo.svg; v=BIMI1"],
                BimiStatus::Absent,
                None,
                None,
            ),
            (
                vec!["google-site-verification=abc"],
                BimiStatus::Absent,
                None,
                None,
            ),
            (
                vec!["other", "v=BIMI1; l=; a=;"],
                BimiStatus::Declined,
                None,
                None,
            ),
        ];
        for (records, status, logo, authority) in table {
            let got = classify(&txt(records));
            assert_eq!(got.status, *status, "{records:?}");
            assert_eq!(got.logo.as_deref(), *logo, "{records:?}");
            assert_eq!(got.authority.as_deref(), *authority, "{records:?}");
        }
    }

    #[test]
    fn negative_and_failed_lookups() {
        assert_eq!(classify(&Lookup::NoData).status, BimiStatus::Absent);
        assert_eq!(classify(&Lookup::NxDomain).status, BimiStatus::Absent);
        assert_eq!(
            classify(&Lookup::Failed(Failure::Timeout)).status,
            BimiStatus::Error
        );
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "v=BIMI1; l=https://a.example/l.svg,https://b.example/l.svg; a=https://a.example/v.pem",
            "v=BIMI1; l=; a=;",
        ] {
            let record = parse(text).unwrap();
            assert_eq!(parse(&record.to_string()).unwrap(), record);
        }
    }
}
