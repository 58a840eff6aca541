//! SMTP TLS Reporting policy records (RFC 8460 §3) at `_smtp._tls.<d>`.
//!
//! ```text
//! tlsrpt-record     = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//! field-delim       = *WSP ";" *WSP
//! tlsrpt-field      = tlsrpt-rua / tlsrpt-extension
//! tlsrpt-version    = %s"v=TLSRPTv1"
//! tlsrpt-rua        = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//! tlsrpt-uri        = URI
//! tlsrpt-extension  = tlsrpt-ext-name "=" tlsrpt-ext-value
//! tlsrpt-ext-name   = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//! tlsrpt-ext-value  = 1*(%x21-3A / %x3C / %x3E-7E)
//! ```
//!
//! Record selection (§3): "If multiple TXT records for "_smtp._tls" are
//! returned by the resolver, records that do not begin with "v=TLSRPTv1;" are
//! discarded. If the number of resulting records is not one, senders MUST
//! assume the recipient domain does not implement TLSRPT." Several → `invalid`,
//! none → `absent`, as for MTA-STS. A record is selected when it begins with
//! `v=TLSRPTv1` and the `field-delim` the grammar requires after it
//! (`*WSP ";"`): a bare `v=TLSRPTv1` is discarded like any other TXT.
//! Decision: the discarding applies to one record as to several (§3 words it
//! for "multiple TXT records"), so a lone unrelated or bare-version record
//! is `absent`, not an invalid TLS-RPT record, as at every other name.
//!
//! Decisions: `rua` is required (§3 "rua: ... (plain-text; required)"); §3
//! names two schemes, "mailto" and "https", so a URI of another scheme makes
//! the record `invalid` (a sender could not deliver to it).

use std::fmt;

use crate::error::RecordError;
use crate::evidence::{Lookup, TxtRecord};
use crate::status::{Status, status_of_selection};
use crate::tags;
use crate::uri::{self, Scheme};

/// A parsed TLS-RPT TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRptRecord {
    /// `rua`: the report URIs, in order.
    pub rua: Vec<String>,
    /// Extension tags, in order, as `(name, value)`.
    pub extensions: Vec<(String, String)>,
}

impl fmt::Display for TlsRptRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v=TLSRPTv1; rua={}", self.rua.join(","))?;
        tags::fmt_extensions(f, &self.extensions)
    }
}

const VERSION: &str = "v=TLSRPTv1";

/// True when `text` begins with the version tag (selection, RFC 8460 §3).
pub fn is_candidate(text: &str) -> bool {
    tags::starts_with_version(text, VERSION)
}

/// Parses one TLS-RPT TXT record (strings already joined).
pub fn parse(text: &str) -> Result<TlsRptRecord, RecordError> {
    let list = tags::parse_versioned(text, VERSION)?;
    let mut rua = None;
    let mut extensions = Vec::new();
    for tag in &list[1..] {
        if tag.name == "rua" {
            let mut uris = Vec::new();
            for item in tags::split_list(tag.value) {
                match uri::check(item) {
                    Some(Scheme::Mailto | Scheme::Https) => uris.push(item.to_owned()),
                    _ => {
                        return Err(RecordError::BadUri {
                            tag: "rua",
                            uri: item.to_owned(),
                        });
                    }
                }
            }
            rua = Some(uris);
        } else {
            tags::push_extension(&mut extensions, tag)?;
        }
    }
    let rua = rua.ok_or(RecordError::MissingTag("rua"))?;
    Ok(TlsRptRecord { rua, extensions })
}

/// Selects and parses the TLS-RPT record of a TXT RRset: `Ok(None)` when
/// there is none.
pub fn select(lookup: &Lookup<TxtRecord>) -> Result<Option<TlsRptRecord>, RecordError> {
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

    /// RFC 8460 §3 grammar, record by record.
    #[test]
    fn rfc8460_3_parse_table() {
        let table: &[(&str, bool)] = &[
            ("v=TLSRPTv1; rua=mailto:reports@example.com", true),
            (
                "v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt;",
                true,
            ),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.com/x",
                true,
            ),
            ("v=TLSRPTv1; rua=mailto:a@example.com; x-ext=1", true),
            ("v=TLSRPTv1", false),
            ("v=TLSRPTv1;", false),
            ("v=TLSRPTv1; rua=", false),
            ("v=TLSRPTv1; rua=reports@example.com", false),
            ("v=TLSRPTv1; rua=http://example.com/r", false),
            ("v=TLSRPTv1; rua=mailto:a@example.com,", false),
            ("v=tlsrptv1; rua=mailto:a@example.com", false),
            ("rua=mailto:a@example.com; v=TLSRPTv1", false),
            ("v=TLSRPTv1; rua = mailto:a@example.com", false),
        ];
        for (text, valid) in table {
            assert_eq!(parse(text).is_ok(), *valid, "{text:?}: {:?}", parse(text));
        }
    }

    /// RFC 8460 §3 record selection.
    #[test]
    fn rfc8460_3_classify_table() {
        let table: &[(Lookup<TxtRecord>, Status)] = &[
            (
                txt(&["v=TLSRPTv1; rua=mailto:a@example.com"]),
                Status::Valid,
            ),
            (
                txt(&["other", "v=TLSRPTv1; rua=mailto:a@example.com"]),
                Status::Valid,
            ),
            (
                txt(&["v=TLSRPTv10; rua=mailto:a@example.com"]),
                Status::Absent,
            ),
            (txt(&["v=STSv1; id=1"]), Status::Absent),
            // §3: "v=TLSRPTv1;" is the prefix; a bare version is discarded.
            (txt(&["v=TLSRPTv1"]), Status::Absent),
            (
                txt(&["v=TLSRPTv1 rua=mailto:a@example.com"]),
                Status::Absent,
            ),
            (txt(&["v=TLSRPTv1;"]), Status::Invalid),
            (
                txt(&["v=TLSRPTv1 ;rua=mailto:a@example.com"]),
                Status::Valid,
            ),
            (
                txt(&["v=TLSRPTv1", "v=TLSRPTv1; rua=mailto:a@example.com"]),
                Status::Valid,
            ),
            (
                txt(&[
                    "v=TLSRPTv1; rua=mailto:a@example.com",
                    "v=TLSRPTv1; rua=mailto:b@example.com",
                ]),
                Status::Invalid,
            ),
            (txt(&["v=TLSRPTv1; rua=nope"]), Status::Invalid),
            (Lookup::NoData, Status::Absent),
            (Lookup::NxDomain, Status::Absent),
            (Lookup::Failed(Failure::ServFail), Status::Error),
        ];
        for (lookup, want) in table {
            assert_eq!(classify(lookup), *want, "{lookup:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        let record = parse("v=TLSRPTv1;rua=mailto:a@example.com , https://x.example/r").unwrap();
        assert_eq!(parse(&record.to_string()).unwrap(), record);
    }
}
