//! MTA-STS policy discovery records (RFC 8461 §3.1) at `_mta-sts.<d>`.
//!
//! ```text
//! sts-text-record = sts-version 1*(sts-sep sts-field) [sts-sep]
//! sts-field       = sts-id / sts-extension
//! sts-version     = %s"v=STSv1"
//! sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
//! sts-sep         = *WSP %x3B *WSP
//! sts-extension   = sts-ext-name "=" sts-ext-value
//! sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//! sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
//! ```
//!
//! Record selection (§3.1): "records that do not begin with "v=STSv1;" are
//! discarded. If the number of resulting records is not one, or if the
//! resulting record is syntactically invalid, senders MUST assume the recipient
//! domain does not have an available MTA-STS Policy." We classify that as:
//! no record left → `absent`; several → `invalid`; one that does not parse →
//! `invalid`. A record is selected when it begins with `v=STSv1` and the
//! `sts-sep` the grammar requires after it (`*WSP ";"`), so `v=STSv1 ; id=1`
//! is selected and valid, while `v=STSv10`, a bare `v=STSv1` and
//! `v=STSv1 id=1` are discarded like any other TXT: with nothing else there,
//! `absent`.
//!
//! Decisions: `id` is required (§3.1 "id: ... (plain-text; required)"), a
//! repeated `id` is invalid (which one would a sender cache?), and an extension
//! value must be non-empty (`1*(...)`).

use std::fmt;

use crate::error::RecordError;
use crate::evidence::{Lookup, TxtRecord};
use crate::status::{Status, status_of_selection};
use crate::tags;

/// A parsed MTA-STS TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtaStsRecord {
    /// `id`: 1–32 alphanumerics identifying the policy version.
    pub id: String,
    /// Extension tags, in order, as `(name, value)`.
    pub extensions: Vec<(String, String)>,
}

impl fmt::Display for MtaStsRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v=STSv1; id={}", self.id)?;
        tags::fmt_extensions(f, &self.extensions)
    }
}

const VERSION: &str = "v=STSv1";

/// True when `text` begins with the version tag (selection, RFC 8461 §3.1).
pub fn is_candidate(text: &str) -> bool {
    tags::starts_with_version(text, VERSION)
}

/// Parses one MTA-STS TXT record (strings already joined).
pub fn parse(text: &str) -> Result<MtaStsRecord, RecordError> {
    let list = tags::parse_versioned(text, VERSION)?;
    let mut id = None;
    let mut extensions = Vec::new();
    for tag in &list[1..] {
        if tag.name == "id" {
            let ok = (1..=32).contains(&tag.value.len())
                && tag.value.chars().all(|c| c.is_ascii_alphanumeric());
            if !ok {
                return Err(RecordError::BadValue {
                    tag: "id",
                    value: tag.value.to_owned(),
                });
            }
            id = Some(tag.value.to_owned());
        } else {
            tags::push_extension(&mut extensions, tag)?;
        }
    }
    let id = id.ok_or(RecordError::MissingTag("id"))?;
    Ok(MtaStsRecord { id, extensions })
}

/// Selects and parses the MTA-STS record of a TXT RRset: `Ok(None)` when
/// there is none.
pub fn select(lookup: &Lookup<TxtRecord>) -> Result<Option<MtaStsRecord>, RecordError> {
    tags::select_one(lookup, is_candidate, parse)
}

/// Classifies the TXT RRset of the policy-discovery name.
pub fn classify(lookup: &Lookup<TxtRecord>) -> Status {
    status_of_selection(lookup, select)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Failure;

    fn txt(records: &[&str]) -> Lookup<TxtRecord> {
        Lookup::from_records(records.iter().map(|r| TxtRecord::single(*r)).collect())
    }

    /// RFC 8461 §3.1 grammar, record by record.
    #[test]
    fn rfc8461_3_1_parse_table() {
        let table: &[(&str, bool)] = &[
            ("v=STSv1; id=20160831085700Z;", true),
            ("v=STSv1; id=20160831085700Z", true),
            ("v=STSv1;id=1", true),
            ("v=STSv1 ; id=abc ;", true),
            ("v=STSv1; id=12345678901234567890123456789012", true),
            ("v=STSv1; id=1; ext-1.a=x", true),
            ("v=STSv1; id=123456789012345678901234567890123", false),
            ("v=STSv1; id=", false),
            ("v=STSv1; id=2016-08-31", false),
            ("v=STSv1", false),
            ("v=STSv1;", false),
            ("v=stsv1; id=1", false),
            ("v=STSv1; id =1", false),
            ("id=1; v=STSv1", false),
            ("v=STSv1; id=1; id=2", false),
            ("v=STSv1; id=1; ext=", false),
        ];
        for (text, valid) in table {
            assert_eq!(parse(text).is_ok(), *valid, "{text:?}: {:?}", parse(text));
        }
    }

    /// RFC 8461 §3.1 record selection and the failure rule.
    #[test]
    fn rfc8461_3_1_classify_table() {
        let table: &[(Lookup<TxtRecord>, Status)] = &[
            (txt(&["v=STSv1; id=1"]), Status::Valid),
            (txt(&["v=spf1 -all", "v=STSv1; id=1"]), Status::Valid),
            (txt(&["v=STSv10; id=1"]), Status::Absent),
            (txt(&["unrelated"]), Status::Absent),
            (txt(&[" v=STSv1; id=1"]), Status::Absent),
            (txt(&["v=STSv1; id=1", "v=STSv1; id=2"]), Status::Invalid),
            (txt(&["v=STSv1; id=bad-id"]), Status::Invalid),
            (txt(&["v=STSv1;"]), Status::Invalid),
            // §3.1: "v=STSv1;" is the prefix; without the `;` the grammar
            // requires, a record is discarded.
            (txt(&["v=STSv1"]), Status::Absent),
            (txt(&["v=STSv1 "]), Status::Absent),
            (txt(&["v=STSv1 id=1"]), Status::Absent),
            (txt(&["v=STSv1", "v=STSv1; id=2"]), Status::Valid),
            (txt(&["v=STSv1 ; id=1"]), Status::Valid),
            (txt(&["v=STSv1\t;id=1"]), Status::Valid),
            (Lookup::NoData, Status::Absent),
            (Lookup::NxDomain, Status::Absent),
            (Lookup::Failed(Failure::Timeout), Status::Error),
        ];
        for (lookup, want) in table {
            assert_eq!(classify(lookup), *want, "{lookup:?}");
        }
    }

    /// RFC 8461 §3.1 via RFC 7208 §3.3-style joining: strings concatenate.
    #[test]
    fn split_strings_join_without_separator() {
        let lookup = Lookup::Records(vec![TxtRecord::from_strings(["v=STSv1; ", "id=42"])]);
        assert_eq!(classify(&lookup), Status::Valid);
    }

    #[test]
    fn display_round_trips() {
        let record = parse("v=STSv1;id=7 ;x=y").unwrap();
        assert_eq!(parse(&record.to_string()).unwrap(), record);
    }
}
