//! From `TXT _dmarc.<d>` (and the report authorisation lookups) to the
//! `dmarc_*` columns.
//!
//! Record selection follows DESIGN.md, which is stricter than RFC 7489 §6.6.3
//! step 3 (that step discards TXT records not starting with `v=DMARC1`): at
//! `_dmarc.<d>` every TXT record must be the DMARC record. So:
//! * NODATA / NXDOMAIN → `absent`; a failed query → `error`;
//! * several TXT records → `invalid` (`N DMARC records` when all are
//!   candidates, otherwise "TXT record that is not a DMARC record");
//! * one TXT record that does not parse (including one that is not DMARC at
//!   all: `v` not first, unrelated text, a leading space) → `invalid`;
//! * one that parses → `valid`.
//!
//! External report destinations (RFC 7489 §7.1): for each `mailto:` in `rua`
//! or `ruf` whose host's Organizational Domain differs from the domain's, the
//! destination must publish `TXT <d>._report._dmarc.<host>` beginning with
//! `v=DMARC1`. `dmarc_rua_authorized` is:
//! * `None` when no destination is external (nothing to authorise);
//! * `Some(false)` when any such lookup came back without a `v=DMARC1` record
//!   (NODATA, NXDOMAIN, or other TXT): definitely not every one is authorised;
//! * `None` otherwise when a lookup failed or is missing from the evidence: a
//!   resolver failure is never reported as "unauthorised";
//! * `Some(true)` when every lookup found a `v=DMARC1` record.
//!
//! Organizational Domains come from the Public Suffix List (`psl` crate,
//! RFC 7489 §3.2); a name the list cannot split is compared whole.

use std::collections::HashMap;

use super::parse::{is_candidate, parse};
use super::types::{DmarcPosture, DmarcRecord};
use crate::error::RecordError;
use crate::evidence::{Lookup, TxtRecord};
use crate::status::{Status, negative_status};
use crate::uri;

/// The Organizational Domain of `name` (RFC 7489 §3.2), lowercase.
fn organizational_domain(name: &str) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    match psl::domain_str(&name) {
        Some(org) => org.to_owned(),
        None => name,
    }
}

/// The authorisation query names for the external destinations of `record`.
fn names_for(domain: &str, record: &DmarcRecord) -> Vec<String> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let own = organizational_domain(&domain);
    let mut names: Vec<String> = record
        .rua
        .iter()
        .chain(&record.ruf)
        .filter_map(|dest| uri::mailto_host(&dest.uri))
        .filter(|host| organizational_domain(host) != own)
        .map(|host| format!("{domain}._report._dmarc.{host}"))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The single DMARC record of a TXT RRset, per the selection rules above:
/// `Ok(None)` for NODATA/NXDOMAIN or a failure (the caller tells them apart).
fn select(txt: &Lookup<TxtRecord>) -> Result<Option<(String, DmarcRecord)>, RecordError> {
    let texts: Vec<String> = txt.records().iter().map(TxtRecord::joined).collect();
    match texts.as_slice() {
        [] => Ok(None),
        [one] => parse(one).map(|record| Some((one.clone(), record))),
        many if many.iter().all(|t| is_candidate(t)) => Err(RecordError::Multiple(many.len())),
        _ => Err(RecordError::NotARecord),
    }
}

/// The authorisation query names (`<d>._report._dmarc.<dest>`, RFC 7489 §7.1)
/// for the external report destinations of the DMARC record in `txt`; empty
/// unless `txt` holds exactly one valid DMARC record.
pub fn authorization_names(domain: &str, txt: &Lookup<TxtRecord>) -> Vec<String> {
    match select(txt) {
        Ok(Some((_, record))) => names_for(domain, &record),
        _ => Vec::new(),
    }
}

/// Whether one authorisation lookup authorises: `None` when it failed or was
/// not made.
fn authorized(lookup: Option<&Lookup<TxtRecord>>) -> Option<bool> {
    match lookup? {
        Lookup::Records(records) => Some(records.iter().any(|r| is_candidate(&r.joined()))),
        Lookup::NoData | Lookup::NxDomain => Some(false),
        Lookup::Failed(_) => None,
    }
}

fn rua_authorized(
    domain: &str,
    record: &DmarcRecord,
    authorizations: &HashMap<String, Lookup<TxtRecord>>,
) -> Option<bool> {
    let names = names_for(domain, record);
    if names.is_empty() {
        return None;
    }
    let verdicts: Vec<Option<bool>> = names
        .iter()
        .map(|name| authorized(authorizations.get(name)))
        .collect();
    if verdicts.contains(&Some(false)) {
        Some(false)
    } else if verdicts.contains(&None) {
        None
    } else {
        Some(true)
    }
}

fn notes(record: &DmarcRecord) -> Vec<String> {
    let mut notes = Vec::new();
    if record.p.is_none() {
        notes.push("no p tag: applied as p=none (RFC 9989)".to_owned());
    }
    for (tag, present) in [
        ("pct", record.pct.is_some()),
        ("ri", record.ri.is_some()),
        ("rf", record.rf.is_some()),
    ] {
        if present {
            notes.push(format!("{tag} is removed by RFC 9989"));
        }
    }
    notes
}

/// Classifies `TXT _dmarc.<domain>` and the authorisation lookups, keyed by
/// the names [`authorization_names`] returned.
pub fn classify(
    domain: &str,
    txt: &Lookup<TxtRecord>,
    authorizations: &HashMap<String, Lookup<TxtRecord>>,
) -> DmarcPosture {
    if let Some(status) = negative_status(txt) {
        return DmarcPosture {
            status,
            ..DmarcPosture::absent()
        };
    }
    let single = match txt.records() {
        [one] => Some(one.joined()),
        _ => None,
    };
    match select(txt) {
        Ok(Some((text, record))) => DmarcPosture {
            status: Status::Valid,
            record: Some(text),
            error: None,
            p: record.p,
            sp: record.sp,
            np: record.np,
            pct: record.pct.map(i32::from),
            t: record.t,
            rua: record.rua.iter().map(ToString::to_string).collect(),
            ruf: record.ruf.iter().map(ToString::to_string).collect(),
            rua_authorized: rua_authorized(domain, &record, authorizations),
            notes: notes(&record),
        },
        // Unreachable: records were present. Kept total rather than panicking.
        Ok(None) => DmarcPosture::absent(),
        Err(err) => DmarcPosture {
            status: Status::Invalid,
            record: single,
            error: Some(err.to_string()),
            ..DmarcPosture::absent()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dmarc::Policy;
    use crate::evidence::Failure;

    fn txt(records: &[&str]) -> Lookup<TxtRecord> {
        Lookup::from_records(records.iter().map(|r| TxtRecord::single(*r)).collect())
    }

    fn none() -> HashMap<String, Lookup<TxtRecord>> {
        HashMap::new()
    }

    /// RFC 7489 §6.6.3 and DESIGN.md record selection.
    #[test]
    fn rfc7489_6_6_3_selection_table() {
        let table: &[(Lookup<TxtRecord>, Status, Option<&str>)] = &[
            (txt(&["v=DMARC1; p=reject"]), Status::Valid, None),
            (Lookup::NoData, Status::Absent, None),
            (Lookup::NxDomain, Status::Absent, None),
            (Lookup::Failed(Failure::Timeout), Status::Error, None),
            (Lookup::Failed(Failure::ServFail), Status::Error, None),
            (
                txt(&["v=DMARC1; p=none", "v=DMARC1; p=reject"]),
                Status::Invalid,
                Some("2 records"),
            ),
            (
                txt(&["v=DMARC1; p=none", "google-site-verification=x"]),
                Status::Invalid,
                Some("TXT record that is not a DMARC record"),
            ),
            (
                txt(&["p=reject; v=DMARC1"]),
                Status::Invalid,
                Some("not a v=DMARC1 record: the first tag must be v=DMARC1"),
            ),
            (
                txt(&[" v=DMARC1; p=reject"]),
                Status::Invalid,
                Some("not a v=DMARC1 record: the first tag must be v=DMARC1"),
            ),
            (
                txt(&["unrelated text"]),
                Status::Invalid,
                Some("not a v=DMARC1 record: the first tag must be v=DMARC1"),
            ),
            (
                txt(&["v=DMARC1; p=none; p=reject"]),
                Status::Invalid,
                Some("duplicate tag \"p\""),
            ),
            (
                txt(&["v=DMARC1; p=rejected"]),
                Status::Invalid,
                Some("bad value for p: \"rejected\""),
            ),
        ];
        for (lookup, status, error) in table {
            let got = classify("example.com", lookup, &none());
            assert_eq!(got.status, *status, "{lookup:?}");
            assert_eq!(got.error.as_deref(), *error, "{lookup:?}");
        }
    }

    /// RFC 7489 §6.6.3 / RFC 7208 §3.3 style: the strings of one TXT record
    /// are joined with nothing between them.
    #[test]
    fn rfc7489_6_6_3_strings_are_joined() {
        let lookup = Lookup::Records(vec![TxtRecord::from_strings([
            "v=DMARC1; p=quar",
            "antine; pct=20",
        ])]);
        let got = classify("example.com", &lookup, &none());
        assert_eq!(got.status, Status::Valid);
        assert_eq!(got.p, Some(Policy::Quarantine));
        assert_eq!(got.pct, Some(20));
        assert_eq!(
            got.record.as_deref(),
            Some("v=DMARC1; p=quarantine; pct=20")
        );
        assert_eq!(got.notes, vec!["pct is removed by RFC 9989".to_owned()]);
    }

    #[test]
    fn valid_record_fills_the_columns() {
        let lookup = txt(&["v=DMARC1; p=reject; sp=quarantine; np=none; t=y; \
             rua=mailto:d@example.com!10m,mailto:e@example.com; ruf=mailto:f@example.com"]);
        let got = classify("example.com", &lookup, &none());
        assert_eq!(got.status, Status::Valid);
        assert_eq!(got.p, Some(Policy::Reject));
        assert_eq!(got.sp, Some(Policy::Quarantine));
        assert_eq!(got.np, Some(Policy::None));
        assert_eq!(got.t, Some(true));
        assert_eq!(got.pct, None);
        assert_eq!(
            got.rua,
            vec!["mailto:d@example.com!10m", "mailto:e@example.com"]
        );
        assert_eq!(got.ruf, vec!["mailto:f@example.com"]);
        assert_eq!(got.rua_authorized, None);
        assert!(got.notes.is_empty());
    }

    /// RFC 9989 §4.7: no `p` is applied as `p=none`; the census keeps it null.
    #[test]
    fn rfc9989_4_7_missing_p_is_valid_and_noted() {
        let got = classify(
            "example.com",
            &txt(&["v=DMARC1; rua=mailto:d@example.com"]),
            &none(),
        );
        assert_eq!(got.status, Status::Valid);
        assert_eq!(got.p, None);
        assert_eq!(got.notes.len(), 1);
    }

    /// RFC 7489 §7.1: which destinations need authorisation.
    #[test]
    fn rfc7489_7_1_authorization_names() {
        let lookup = txt(&[
            "v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@Reports.Example.NET,\
             mailto:c@sub.example.com!10m, https://example.org/r; ruf=mailto:d@x.example.co.uk,\
             mailto:e@reports.example.net",
        ]);
        assert_eq!(
            authorization_names("Example.com.", &lookup),
            vec![
                "example.com._report._dmarc.reports.example.net".to_owned(),
                "example.com._report._dmarc.x.example.co.uk".to_owned(),
            ]
        );
        assert!(authorization_names("example.com", &txt(&["v=DMARC1; p=bad"])).is_empty());
        assert!(authorization_names("example.com", &Lookup::NoData).is_empty());
        // A subdomain's destination at its own Organizational Domain is internal.
        assert!(
            authorization_names(
                "mail.example.com",
                &txt(&["v=DMARC1; rua=mailto:a@example.com"])
            )
            .is_empty()
        );
    }

    /// RFC 7489 §7.1 verdicts, and the rule that a failure is not "unauthorised".
    #[test]
    fn rfc7489_7_1_rua_authorized_table() {
        let record = txt(&["v=DMARC1; p=none; rua=mailto:a@one.example, mailto:b@two.example"]);
        let one = "example.com._report._dmarc.one.example";
        let two = "example.com._report._dmarc.two.example";
        let yes = || txt(&["v=DMARC1"]);
        type Row<'a> = (Vec<(&'a str, Lookup<TxtRecord>)>, Option<bool>);
        let table: Vec<Row<'_>> = vec![
            (vec![(one, yes()), (two, yes())], Some(true)),
            (vec![(one, yes()), (two, txt(&["v=DMARC1;"]))], Some(true)),
            (vec![(one, yes()), (two, Lookup::NxDomain)], Some(false)),
            (vec![(one, yes()), (two, Lookup::NoData)], Some(false)),
            (vec![(one, yes()), (two, txt(&["hello"]))], Some(false)),
            (
                vec![(one, yes()), (two, Lookup::Failed(Failure::Timeout))],
                None,
            ),
            (vec![(one, yes())], None),
            (
                vec![
                    (one, Lookup::NxDomain),
                    (two, Lookup::Failed(Failure::ServFail)),
                ],
                Some(false),
            ),
        ];
        for (answers, want) in table {
            let map: HashMap<String, Lookup<TxtRecord>> = answers
                .iter()
                .map(|(name, lookup)| ((*name).to_owned(), lookup.clone()))
                .collect();
            let got = classify("example.com", &record, &map);
            assert_eq!(got.rua_authorized, want, "{answers:?}");
        }
    }
}
