//! From `TXT _dmarc.<d>` (and the report authorisation lookups) to the
//! `dmarc_*` columns.
//!
//! Record selection is the receiver's (RFC 7489 §6.6.3 steps 2 and 4, the
//! same rule at the Organizational Domain): "Records that do not start with a
//! "v=" tag that identifies the current version of DMARC are discarded" —
//! unrelated text (`google-site-verification=…`), a record whose `v` is not
//! first, one with a leading space, a wildcard's `v=spf1` answering at
//! `_dmarc`. Each TXT record's strings are joined first (RFC 7489 §6.6.3,
//! as RFC 7208 §3.3). Then:
//! * NODATA / NXDOMAIN → `absent`; a failed query → `error`;
//! * no `v=DMARC1` record left → `absent`, and `dmarc_error` names what was
//!   discarded (how many, and a short escaped excerpt of each);
//! * two or more left → `invalid` (step 5: "policy discovery terminates and
//!   DMARC processing is not applied"), so no policy: `dmarc_p`, `dmarc_sp`,
//!   `dmarc_np` and `dmarc_record` are null;
//! * one left: `valid` when it parses ([`parse`]), `invalid` otherwise, with
//!   every malformed part named in `dmarc_error`. Either way the record is
//!   read as receivers read it ([`read`]): a malformed tag is dropped on its
//!   own and the rest applies, so `dmarc_p`, `dmarc_sp` and `dmarc_np` hold
//!   the policy receivers apply (RFC 7489 §6.3, §6.6.3 step 6, RFC 9989;
//!   `v=DMARC1; p=reject; rua=dmarc@x.example` is `invalid` with `p=reject`),
//!   `dmarc_rua`/`dmarc_ruf` list the URIs as published, and the
//!   authorisation below is checked for the URIs that are valid.
//!
//! (The first contract made every look-alike `invalid`; DESIGN.md changed
//! it to what receivers do.)
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

use super::parse::{is_candidate, read};
use super::types::{DmarcPosture, DmarcReading, DmarcRecord, Policy};
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

/// What record selection (RFC 7489 §6.6.3 steps 2, 4 and 5) leaves of a TXT
/// RRset: the texts of the `v=DMARC1` records and of the discarded ones, each
/// with its strings joined.
struct Selection {
    candidates: Vec<String>,
    discarded: Vec<String>,
}

fn select(txt: &Lookup<TxtRecord>) -> Selection {
    let (candidates, discarded) = txt
        .records()
        .iter()
        .map(TxtRecord::joined)
        .partition(|text| is_candidate(text));
    Selection {
        candidates,
        discarded,
    }
}

impl Selection {
    /// The one `v=DMARC1` record, if exactly one is left.
    fn single(&self) -> Option<&str> {
        match self.candidates.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// `dmarc_error` for an RRset without a `v=DMARC1` record: how many TXT
/// records were discarded and the start of each, escaped (a column must stay
/// short and printable whatever was published).
fn discarded_error(discarded: &[String]) -> String {
    crate::discarded::describe("no v=DMARC1 record", " (RFC 7489 §6.6.3)", discarded)
}

/// The authorisation query names (`<d>._report._dmarc.<dest>`, RFC 7489 §7.1)
/// for the external report destinations among the valid `rua`/`ruf` URIs of
/// the DMARC record in `txt`; empty unless selection leaves exactly one
/// `v=DMARC1` record. A malformed tag elsewhere in the record does not stop
/// receivers from sending reports, so it does not stop the check either.
pub fn authorization_names(domain: &str, txt: &Lookup<TxtRecord>) -> Vec<String> {
    match select(txt).single().map(read) {
        Some(reading) => names_for(domain, &reading.record),
        None => Vec::new(),
    }
}

/// The longest `dmarc_error`, in characters: the column quotes published
/// values, and a hostile record must not make it large.
const MAX_ERROR_CHARS: usize = 300;

/// `dmarc_error` for a record with malformed parts: each reason, in record
/// order, `; `-separated, cut to [`MAX_ERROR_CHARS`].
fn errors_text(reading: &DmarcReading) -> String {
    let all: Vec<String> = reading.errors.iter().map(ToString::to_string).collect();
    let text = all.join("; ");
    if text.chars().count() <= MAX_ERROR_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_ERROR_CHARS).collect();
    cut.push('…');
    cut
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

fn notes(reading: &DmarcReading) -> Vec<String> {
    let record = &reading.record;
    let mut notes = Vec::new();
    if record.p.is_none() {
        notes.push(if reading.p == Some(Policy::None) {
            "no p tag: with a valid rua, receivers apply p=none (RFC 7489 §6.6.3 step 6, RFC 9989)"
                .to_owned()
        } else {
            "no p tag and no valid rua: receivers apply no policy (RFC 7489 §6.6.3 step 6)"
                .to_owned()
        });
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
    let selection = select(txt);
    let text = match selection.candidates.as_slice() {
        [] => {
            return DmarcPosture {
                error: Some(discarded_error(&selection.discarded)),
                ..DmarcPosture::absent()
            };
        }
        [one] => one.clone(),
        many => {
            return DmarcPosture {
                status: Status::Invalid,
                error: Some(RecordError::Multiple(many.len()).to_string()),
                ..DmarcPosture::absent()
            };
        }
    };
    let reading = read(&text);
    let valid = reading.errors.is_empty();
    DmarcPosture {
        status: if valid {
            Status::Valid
        } else {
            Status::Invalid
        },
        error: (!valid).then(|| errors_text(&reading)),
        p: reading.p,
        sp: reading.sp,
        np: reading.np,
        pct: reading.record.pct.map(i32::from),
        t: reading.record.t,
        rua_authorized: rua_authorized(domain, &reading.record, authorizations),
        notes: if valid { notes(&reading) } else { Vec::new() },
        rua: reading.rua,
        ruf: reading.ruf,
        record: Some(text),
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

    /// RFC 7489 §6.6.3 steps 2, 4 and 5: record selection as receivers do it.
    #[test]
    fn rfc7489_6_6_3_selection_table() {
        use Status::{Absent, Error, Invalid, Valid};
        type Row<'a> = (Lookup<TxtRecord>, Status, Option<&'a str>, Option<&'a str>);
        let table: Vec<Row<'_>> = vec![
            (
                txt(&["v=DMARC1; p=reject"]),
                Valid,
                None,
                Some("v=DMARC1; p=reject"),
            ),
            (Lookup::NoData, Absent, None, None),
            (Lookup::NxDomain, Absent, None, None),
            (Lookup::Failed(Failure::Timeout), Error, None, None),
            (Lookup::Failed(Failure::ServFail), Error, None, None),
            // Step 5: several v=DMARC1 records, no policy applies.
            (
                txt(&["v=DMARC1; p=none", "v=DMARC1; p=reject"]),
                Invalid,
                Some("2 records"),
                None,
            ),
            (
                txt(&["v=DMARC1; p=reject", "x", "v=DMARC1; p=reject"]),
                Invalid,
                Some("2 records"),
                None,
            ),
            // Step 2: unrelated TXT beside the record is discarded.
            (
                txt(&["google-site-verification=x", "v=DMARC1; p=none"]),
                Valid,
                None,
                Some("v=DMARC1; p=none"),
            ),
            // Step 2: nothing left is no DMARC record; the error says why.
            (
                txt(&["p=reject; v=DMARC1"]),
                Absent,
                Some(
                    "no v=DMARC1 record: 1 TXT record discarded (RFC 7489 §6.6.3): \
                     \"p=reject; v=DMARC1\"",
                ),
                None,
            ),
            (
                txt(&[" v=DMARC1; p=reject"]),
                Absent,
                Some("1 TXT record discarded (RFC 7489 §6.6.3): \" v=DMARC1; p=reject\""),
                None,
            ),
            (
                txt(&["v=dmarc1; p=reject"]),
                Absent,
                Some("\"v=dmarc1; p=reject\""),
                None,
            ),
            // A wildcard `*.example.com TXT "v=spf1 -all"` answers at _dmarc.
            (txt(&["v=spf1 -all"]), Absent, Some("\"v=spf1 -all\""), None),
            (
                txt(&["unrelated text", "more\ttext"]),
                Absent,
                Some(
                    "2 TXT records discarded (RFC 7489 §6.6.3): \"unrelated text\", \"more\\ttext\"",
                ),
                None,
            ),
            (
                txt(&["a", "b", "c", "d"]),
                Absent,
                Some("4 TXT records discarded (RFC 7489 §6.6.3): \"a\", \"b\", \"c\", …"),
                None,
            ),
            (
                txt(&["google-site-verification=0123456789abcdefghijklmnopqrstuvwxyz"]),
                Absent,
                Some("\"google-site-verification=0123456789abcde…\""),
                None,
            ),
            // One v=DMARC1 record that does not parse.
            (
                txt(&["v=DMARC1; p=none; p=reject", "other"]),
                Invalid,
                Some("duplicate tag \"p\""),
                Some("v=DMARC1; p=none; p=reject"),
            ),
        ];
        for (lookup, status, error, record) in table {
            let got = classify("example.com", &lookup, &none());
            assert_eq!(got.status, status, "{lookup:?}");
            match error {
                Some(want) => assert!(
                    got.error.as_deref().is_some_and(|e| e.contains(want)),
                    "{lookup:?}: {:?}",
                    got.error
                ),
                None => assert_eq!(got.error, None, "{lookup:?}"),
            }
            assert_eq!(got.record.as_deref(), record, "{lookup:?}");
            if status != Valid {
                assert_eq!((got.p, got.sp, got.np), (None, None, None), "{lookup:?}");
            }
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

    /// RFC 7489 §6.3 (malformed parts dropped on their own), §6.6.3 step 6
    /// and RFC 9989 (an invalid or missing p, or an invalid sp or np: p=none
    /// with a valid rua, nothing without), RFC 6376 §3.2 (repeated tags):
    /// `dmarc_status` says whether the record parses, `dmarc_p`/`sp`/`np`
    /// what receivers apply.
    #[test]
    fn rfc7489_6_6_3_step_6_applied_policy_table() {
        use Policy::{None as PNone, Quarantine, Reject};
        use Status::{Invalid, Valid};
        type Row<'a> = (&'a str, Status, [Option<Policy>; 3], &'a [&'a str]);
        let table: &[Row<'_>] = &[
            // §6.3: the malformed tag goes, the policy stays.
            (
                "v=DMARC1; p=reject; rua=dmarc@x.example",
                Invalid,
                [Some(Reject), None, None],
                &["bad URI in rua: \"dmarc@x.example\""],
            ),
            (
                "v=DMARC1; p=reject; adkim=relaxed",
                Invalid,
                [Some(Reject), None, None],
                &["bad value for adkim: \"relaxed\""],
            ),
            (
                "v=DMARC1; p=quarantine; sp=reject; np=none; pct=150",
                Invalid,
                [Some(Quarantine), Some(Reject), Some(PNone)],
                &["bad value for pct: \"150\""],
            ),
            (
                "v=DMARC1; p=reject;; adkim=s",
                Invalid,
                [Some(Reject), None, None],
                &["empty tag-spec at position 19"],
            ),
            (
                "v=DMARC1; p=reject; garbage; rua=mailto:a@example.com,dmarc@example.com",
                Invalid,
                [Some(Reject), None, None],
                &[
                    "tag-spec without '=': \"garbage\"",
                    "bad URI in rua: \"dmarc@example.com\"",
                ],
            ),
            // Step 6: invalid or missing p.
            (
                "v=DMARC1; p=rejected",
                Invalid,
                [None, None, None],
                &["bad value for p: \"rejected\""],
            ),
            (
                "v=DMARC1; p=rejected; rua=mailto:d@example.com",
                Invalid,
                [Some(PNone), None, None],
                &["bad value for p: \"rejected\""],
            ),
            (
                "v=DMARC1; p=rejected; rua=dmarc@example.com",
                Invalid,
                [None, None, None],
                &["bad value for p", "bad URI in rua"],
            ),
            (
                "v=DMARC1; p=re\u{e9}ject; rua=mailto:d@example.com",
                Invalid,
                [Some(PNone), None, None],
                &["bad character in the value of tag \"p\""],
            ),
            (
                "v=DMARC1; rua=mailto:d@example.com",
                Valid,
                [Some(PNone), None, None],
                &[],
            ),
            ("v=DMARC1", Valid, [None, None, None], &[]),
            ("v=DMARC1; sp=reject", Valid, [None, None, None], &[]),
            // Step 6: an invalid sp (RFC 7489) or np (RFC 9989) is not
            // dropped on its own; decided in `parse.rs`.
            (
                "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com",
                Invalid,
                [Some(PNone), None, None],
                &["bad value for sp: \"bogus\""],
            ),
            (
                "v=DMARC1; p=reject; sp=bogus",
                Invalid,
                [None, None, None],
                &["bad value for sp"],
            ),
            (
                "v=DMARC1; p=reject; np=bogus; rua=mailto:d@example.com",
                Invalid,
                [Some(PNone), None, None],
                &["bad value for np"],
            ),
            // RFC 6376 §3.2: repeated tags.
            (
                "v=DMARC1; p=reject; P=REJECT",
                Invalid,
                [Some(Reject), None, None],
                &["duplicate tag \"P\""],
            ),
            (
                "v=DMARC1; p=none; p=reject; rua=mailto:d@example.com",
                Invalid,
                [Some(PNone), None, None],
                &["duplicate tag \"p\""],
            ),
            (
                "v=DMARC1; p=reject; p=quarantine",
                Invalid,
                [None, None, None],
                &["duplicate tag \"p\""],
            ),
            (
                "v=DMARC1; p=reject; v=DMARC1",
                Invalid,
                [Some(Reject), None, None],
                &["duplicate tag \"v\""],
            ),
        ];
        for (text, status, [p, sp, np], errors) in table {
            let got = classify("example.com", &txt(&[text]), &none());
            assert_eq!(got.status, *status, "{text:?}: {got:?}");
            assert_eq!([got.p, got.sp, got.np], [*p, *sp, *np], "{text:?}: {got:?}");
            assert_eq!(got.record.as_deref(), Some(*text));
            let error = got.error.clone().unwrap_or_default();
            for want in *errors {
                assert!(error.contains(want), "{text:?}: {error:?} lacks {want:?}");
            }
            assert_eq!(errors.is_empty(), got.error.is_none(), "{text:?}: {got:?}");
        }
    }

    /// RFC 7489 §6.6.3 step 6 remarks on a valid record without `p`.
    #[test]
    fn rfc7489_6_6_3_missing_p_is_valid_and_noted() {
        let with_rua = classify(
            "example.com",
            &txt(&["v=DMARC1; rua=mailto:d@example.com"]),
            &none(),
        );
        assert_eq!(with_rua.status, Status::Valid);
        assert_eq!(with_rua.p, Some(Policy::None));
        assert_eq!(with_rua.notes.len(), 1);
        assert!(
            with_rua.notes[0].contains("apply p=none"),
            "{:?}",
            with_rua.notes
        );
        let bare = classify("example.com", &txt(&["v=DMARC1"]), &none());
        assert_eq!(bare.p, None);
        assert!(bare.notes[0].contains("no policy"), "{:?}", bare.notes);
    }

    /// `dmarc_rua`/`dmarc_ruf` list the URIs as published, malformed ones
    /// included; RFC 7489 §7.1 authorisation is checked for the valid ones,
    /// whatever else in the record is broken.
    #[test]
    fn rfc7489_7_1_report_uris_as_published() {
        let lookup = txt(&["v=DMARC1; p=reject; adkim=x; \
             rua=mailto:a@one.example!10m, dmarc@two.example,; ruf=mailto:f@example.com"]);
        assert_eq!(
            authorization_names("example.com", &lookup),
            vec!["example.com._report._dmarc.one.example".to_owned()]
        );
        let mut auths = HashMap::new();
        auths.insert(
            "example.com._report._dmarc.one.example".to_owned(),
            txt(&["v=DMARC1"]),
        );
        let got = classify("example.com", &lookup, &auths);
        assert_eq!(got.status, Status::Invalid);
        assert_eq!(got.p, Some(Policy::Reject));
        assert_eq!(
            got.rua,
            vec!["mailto:a@one.example!10m", "dmarc@two.example"]
        );
        assert_eq!(got.ruf, vec!["mailto:f@example.com"]);
        assert_eq!(got.rua_authorized, Some(true));
        assert!(got.notes.is_empty());
        auths.insert(
            "example.com._report._dmarc.one.example".to_owned(),
            Lookup::NxDomain,
        );
        let got = classify("example.com", &lookup, &auths);
        assert_eq!(got.rua_authorized, Some(false));
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
        assert!(
            authorization_names(
                "example.com",
                &txt(&["v=DMARC1; rua=mailto:a@x.example", "v=DMARC1; p=none"])
            )
            .is_empty(),
            "RFC 7489 §6.6.3 step 5: several records, no reports"
        );
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
