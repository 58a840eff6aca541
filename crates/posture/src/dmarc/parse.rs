//! The DMARC record parser (RFC 7489 §6.3/§6.4, RFC 9989 §4.7), in two
//! readings of the same grammar.
//!
//! [`parse`] answers "does the record parse per its RFC" (`dmarc_status`
//! valid or invalid). Strictness, decided for the census:
//! * `v=DMARC1` must be the very first thing in the record: no leading
//!   whitespace, `DMARC1` exactly (RFC 7489 §6.4 spells it with `%x` codes);
//!   WSP around `=` is allowed (`"v" *WSP "=" *WSP`).
//! * A repeated tag, a value outside its ABNF, an empty `rua=`, or a tag-list
//!   that breaks RFC 6376 §3.2 makes the record invalid, with the first such
//!   error as the reason.
//! * Unknown tags are ignored (RFC 7489 §6.3, RFC 9989 §4.7).
//! * `p` may appear anywhere after `v` (RFC 9989 dropped RFC 7489's "v and p
//!   ... MUST appear in that order") and may be missing (RFC 9989 §4.7 makes
//!   `p` RECOMMENDED): such a record still parses.
//!
//! [`read`] answers "what do receivers apply" (`dmarc_p`, `dmarc_sp`,
//! `dmarc_np`, the report addresses), the way RFC 7489 §6.3 asks them to read
//! a record: "Syntax errors in the remainder of the record SHOULD be
//! discarded in favor of default values (if any) or ignored outright." So a
//! malformed tag (`adkim=relaxed`, `p=rejected`, a bare `rua=dmarc@x`
//! without `mailto:`) is dropped on its own and named in
//! [`DmarcReading::errors`]; the rest applies. Then the policy (RFC 7489
//! §6.6.3 step 6, and RFC 9989, which adds `np`): "If a retrieved policy
//! record does not contain a valid "p" tag, or contains an "sp" [or "np"]
//! tag that is not valid", then with at least one syntactically valid `rua`
//! URI receivers act as if the record were `v=DMARC1; p=none`, and otherwise
//! apply no DMARC processing. Decisions:
//! * A missing `p` is "not a valid p tag" too: with a valid `rua` it applies
//!   `none`, without one nothing (RFC 9989 §4.7 calls a record without `p`
//!   `p=none`, but its policy-discovery text keeps the rule above; a record
//!   that only says `v=DMARC1` makes receivers do nothing).
//! * An invalid `sp` or `np` is not dropped on its own, although DESIGN.md
//!   says a malformed tag is: both RFCs name it beside an invalid `p` in step
//!   6, receivers that follow them (OpenDMARC, Mail::DMARC, MimeKit) fall back
//!   to `p=none` or to nothing, and the columns hold what receivers apply. So
//!   `v=DMARC1; p=reject; sp=bogus; rua=mailto:d@x.example` applies `none`,
//!   and without the `rua`, nothing.
//! * A repeated tag (RFC 6376 §3.2 forbids it, and voids the whole tag-list
//!   for DKIM) is an error. Receivers keep the first or the last occurrence;
//!   when every occurrence has the same value that is the value either way,
//!   and it applies; when they differ nothing certain applies, so the tag is
//!   dropped (a dropped `p` then falls under step 6).
//! * A malformed tag-spec (`;;`, a part without `=`, a bad tag name or
//!   character) is dropped with its error; a bad character in a known tag's
//!   value drops that tag.

use super::types::{Alignment, DmarcReading, DmarcRecord, Policy, Psd, ReportUri};
use crate::error::RecordError;
use crate::tags::{self, Syntax, Tag};
use crate::uri;

/// The version tag, exactly.
pub const VERSION: &str = "v=DMARC1";

/// True when the record starts with the DMARC version tag (`v`, optional WSP,
/// `=`, optional WSP, `DMARC1`, then optional WSP and `;` or the end): RFC
/// 7489 §6.6.3 steps 2 and 4, "Records that do not start with a "v=" tag that identifies the
/// current version of DMARC are discarded".
pub fn is_candidate(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(['v', 'V']) else {
        return false;
    };
    let Some(rest) = rest.trim_start_matches(tags::is_wsp).strip_prefix('=') else {
        return false;
    };
    rest.trim_start_matches(tags::is_wsp)
        .strip_prefix("DMARC1")
        .map(|rest| rest.trim_start_matches(tags::is_wsp))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(';'))
}

fn bad(tag: &'static str, value: &str) -> RecordError {
    RecordError::BadValue {
        tag,
        value: value.to_owned(),
    }
}

fn policy(tag: &'static str, value: &str) -> Result<Policy, RecordError> {
    match value.to_ascii_lowercase().as_str() {
        "none" => Ok(Policy::None),
        "quarantine" => Ok(Policy::Quarantine),
        "reject" => Ok(Policy::Reject),
        _ => Err(bad(tag, value)),
    }
}

fn alignment(tag: &'static str, value: &str) -> Result<Alignment, RecordError> {
    match value {
        "r" | "R" => Ok(Alignment::Relaxed),
        "s" | "S" => Ok(Alignment::Strict),
        _ => Err(bad(tag, value)),
    }
}

fn digits(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}

/// `dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]` (RFC 7489 §6.4).
fn report_uri(tag: &'static str, item: &str) -> Result<ReportUri, RecordError> {
    let bad_uri = || RecordError::BadUri {
        tag,
        uri: item.to_owned(),
    };
    let (uri, size_limit) = match item.rsplit_once('!') {
        Some((uri, limit)) => {
            let number = limit.trim_end_matches(['k', 'm', 'g', 't', 'K', 'M', 'G', 'T']);
            let unit_len = limit.len() - number.len();
            if !digits(number) || unit_len > 1 {
                return Err(bad_uri());
            }
            (uri, Some(limit.to_owned()))
        }
        None => (item, None),
    };
    if uri::check(uri).is_none() {
        return Err(bad_uri());
    }
    Ok(ReportUri {
        uri: uri.to_owned(),
        size_limit,
    })
}

fn report_uris(tag: &'static str, value: &str) -> Result<Vec<ReportUri>, RecordError> {
    tags::split_list(value)
        .into_iter()
        .map(|item| report_uri(tag, item))
        .collect()
}

/// `*WSP ":" *WSP`-separated parts of `fo` and `rf`.
fn colon_list(value: &str) -> Vec<&str> {
    value
        .split(':')
        .map(|s| s.trim_matches(tags::is_wsp))
        .collect()
}

fn apply(record: &mut DmarcRecord, tag: &Tag<'_>) -> Result<(), RecordError> {
    let value = tag.value;
    match tag.name.to_ascii_lowercase().as_str() {
        "p" => record.p = Some(policy("p", value)?),
        "sp" => record.sp = Some(policy("sp", value)?),
        "np" => record.np = Some(policy("np", value)?),
        "adkim" => record.adkim = Some(alignment("adkim", value)?),
        "aspf" => record.aspf = Some(alignment("aspf", value)?),
        "pct" => {
            let pct = (digits(value) && value.len() <= 3)
                .then(|| value.parse::<u8>().ok())
                .flatten()
                .filter(|pct| *pct <= 100)
                .ok_or_else(|| bad("pct", value))?;
            record.pct = Some(pct);
        }
        "t" => {
            record.t = Some(match value {
                "y" | "Y" => true,
                "n" | "N" => false,
                _ => return Err(bad("t", value)),
            });
        }
        "psd" => {
            record.psd = Some(match value {
                "y" | "Y" => Psd::Yes,
                "n" | "N" => Psd::No,
                "u" | "U" => Psd::Unknown,
                _ => return Err(bad("psd", value)),
            });
        }
        "fo" => {
            let mut options = Vec::new();
            for part in colon_list(value) {
                match part {
                    "0" | "1" | "d" | "s" => options.extend(part.chars()),
                    "D" | "S" => options.extend(part.to_lowercase().chars()),
                    _ => return Err(bad("fo", value)),
                }
            }
            record.fo = Some(options);
        }
        "ri" => {
            let ri = digits(value)
                .then(|| value.parse::<u32>().ok())
                .flatten()
                .ok_or_else(|| bad("ri", value))?;
            record.ri = Some(ri);
        }
        "rf" => {
            // Keyword = ldh-str (RFC 5321 §4.1.2).
            let mut formats = Vec::new();
            for part in colon_list(value) {
                let ldh = part.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && !part.ends_with('-')
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if !ldh {
                    return Err(bad("rf", value));
                }
                formats.push(part.to_owned());
            }
            record.rf = Some(formats);
        }
        "rua" => record.rua = report_uris("rua", value)?,
        "ruf" => record.ruf = report_uris("ruf", value)?,
        // RFC 7489 §6.3: "Unknown tags MUST be ignored."
        _ => {}
    }
    Ok(())
}

/// Parses one DMARC record (strings already joined).
pub fn parse(text: &str) -> Result<DmarcRecord, RecordError> {
    if !is_candidate(text) {
        return Err(RecordError::Version { expected: VERSION });
    }
    let list = tags::parse(text, Syntax::Dkim)?;
    let mut record = DmarcRecord::default();
    for tag in &list[1..] {
        apply(&mut record, tag)?;
    }
    Ok(record)
}

/// Reads one `v=DMARC1` record (strings already joined) as a receiver does:
/// see the module docs. A text that is not a `v=DMARC1` record (selection
/// discards it before this) reads as nothing, with a version error.
pub fn read(text: &str) -> DmarcReading {
    let mut reading = DmarcReading::default();
    if !is_candidate(text) {
        reading
            .errors
            .push(RecordError::Version { expected: VERSION });
        return reading;
    }
    let segments = tags::segments(text, Syntax::Dkim);
    let tags: Vec<&Tag<'_>> = segments.iter().filter_map(|s| s.as_ref().ok()).collect();
    let occurrences = |name: &str| -> Vec<&Tag<'_>> {
        tags.iter()
            .copied()
            .filter(|t| t.name.eq_ignore_ascii_case(name))
            .collect()
    };
    // Published tags that do not apply (malformed, or repeated with
    // different values), by lowercase name: step 6 looks at p, sp and np.
    let mut dropped: Vec<String> = Vec::new();
    // `is_candidate` makes the first part the version tag: skip it.
    for segment in segments.iter().skip(1) {
        let tag = match segment {
            Ok(tag) => tag,
            Err(err) => {
                if let tags::TagError::BadValue(name) = err {
                    dropped.push(name.to_ascii_lowercase());
                }
                reading.errors.push(err.clone().into());
                continue;
            }
        };
        let name = tag.name.to_ascii_lowercase();
        if name == "v" {
            // A second version tag: the first one already decided.
            reading
                .errors
                .push(tags::TagError::Duplicate(tag.name.to_owned()).into());
            continue;
        }
        if name == "rua" || name == "ruf" {
            let published = if name == "rua" {
                &mut reading.rua
            } else {
                &mut reading.ruf
            };
            published.extend(
                tags::split_list(tag.value)
                    .into_iter()
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned),
            );
        }
        let same = occurrences(&name);
        if let [first, second, ..] = same.as_slice() {
            if !std::ptr::eq(*first, tag) {
                // Reported and decided once, at the first occurrence.
                continue;
            }
            reading
                .errors
                .push(tags::TagError::Duplicate(second.name.to_owned()).into());
            if same
                .iter()
                .any(|t| !t.value.eq_ignore_ascii_case(tag.value))
            {
                dropped.push(name);
                continue;
            }
        }
        match name.as_str() {
            "rua" | "ruf" => {
                let tag_name = if name == "rua" { "rua" } else { "ruf" };
                let mut valid = Vec::new();
                for item in tags::split_list(tag.value) {
                    match report_uri(tag_name, item) {
                        Ok(uri) => valid.push(uri),
                        Err(err) => reading.errors.push(err),
                    }
                }
                if name == "rua" {
                    reading.record.rua = valid;
                } else {
                    reading.record.ruf = valid;
                }
            }
            _ => {
                if let Err(err) = apply(&mut reading.record, tag) {
                    reading.errors.push(err);
                    dropped.push(name);
                }
            }
        }
    }
    // RFC 7489 §6.6.3 step 6 (RFC 9989 adds np), decided in the module docs.
    let broken = |tag: &str| dropped.iter().any(|d| d == tag);
    let record = &reading.record;
    if record.p.is_some() && !broken("sp") && !broken("np") {
        (reading.p, reading.sp, reading.np) = (record.p, record.sp, record.np);
    } else if !record.rua.is_empty() {
        reading.p = Some(Policy::None);
    }
    reading
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(uri: &str, size_limit: Option<&str>) -> ReportUri {
        ReportUri {
            uri: uri.into(),
            size_limit: size_limit.map(Into::into),
        }
    }

    /// RFC 7489 §6.4 / RFC 9989 §4.7: records that parse, and what they hold.
    #[test]
    fn rfc7489_6_4_accepted_records() {
        let full = parse(
            "v=DMARC1; p=reject; sp=quarantine; np=none; pct=50; t=y; psd=n; adkim=s; \
             aspf=r; fo=0:1:d:s; ri=3600; rf=afrf; \
             rua=mailto:a@example.com!10m, mailto:b@example.net; ruf=mailto:f@example.com",
        )
        .unwrap();
        assert_eq!(
            full,
            DmarcRecord {
                p: Some(Policy::Reject),
                sp: Some(Policy::Quarantine),
                np: Some(Policy::None),
                pct: Some(50),
                t: Some(true),
                psd: Some(Psd::No),
                adkim: Some(Alignment::Strict),
                aspf: Some(Alignment::Relaxed),
                fo: Some(vec!['0', '1', 'd', 's']),
                ri: Some(3600),
                rf: Some(vec!["afrf".into()]),
                rua: vec![
                    uri("mailto:a@example.com", Some("10m")),
                    uri("mailto:b@example.net", None)
                ],
                ruf: vec![uri("mailto:f@example.com", None)],
            }
        );
        let table: &[&str] = &[
            "v=DMARC1; p=none",
            "v=DMARC1;p=none;",
            "v=DMARC1 ; p = none ; ",
            "v = DMARC1; p=none",
            "V=DMARC1; P=Reject",
            "v=DMARC1\t;\tp=quarantine",
            // §6.3: unknown tags are ignored.
            "v=DMARC1; p=none; foo=bar",
            "v=DMARC1; p=none; x_y=",
            // RFC 9989 §4.7: p not right after v, or missing.
            "v=DMARC1; rua=mailto:a@example.com; p=none",
            "v=DMARC1; rua=mailto:a@example.com",
            "v=DMARC1",
            "v=DMARC1;",
            "v=DMARC1; p=none; pct=0",
            "v=DMARC1; p=none; pct=100",
            "v=DMARC1; p=none; pct=007",
            "v=DMARC1; p=none; fo=1 : d",
            "v=DMARC1; p=none; rua=mailto:a@example.com!1",
            "v=DMARC1; p=none; rua=https://example.com/dmarc",
        ];
        for text in table {
            assert!(parse(text).is_ok(), "{text:?}: {:?}", parse(text));
        }
    }

    /// RFC 7489 §6.4 / RFC 9989 §4.7: records that do not parse, and why.
    #[test]
    fn rfc7489_6_4_rejected_records() {
        let version = RecordError::Version { expected: VERSION };
        let table: &[(&str, RecordError)] = &[
            ("", version.clone()),
            (" v=DMARC1; p=none", version.clone()),
            ("v=DMARC2; p=none", version.clone()),
            ("v=dmarc1; p=none", version.clone()),
            ("v=DMARC1p=none", version.clone()),
            ("p=none; v=DMARC1", version.clone()),
            ("v=spf1 -all", version.clone()),
            (
                "v=DMARC1; p=none; p=reject",
                TagError::Duplicate("p".into()).into(),
            ),
            ("v=DMARC1; p=block", bad("p", "block")),
            ("v=DMARC1; p=", bad("p", "")),
            ("v=DMARC1; p=none; sp=all", bad("sp", "all")),
            ("v=DMARC1; p=none; np=no", bad("np", "no")),
            ("v=DMARC1; p=none; pct=101", bad("pct", "101")),
            ("v=DMARC1; p=none; pct=-1", bad("pct", "-1")),
            ("v=DMARC1; p=none; pct=1000", bad("pct", "1000")),
            ("v=DMARC1; p=none; pct=50%", bad("pct", "50%")),
            ("v=DMARC1; p=none; t=yes", bad("t", "yes")),
            ("v=DMARC1; p=none; psd=x", bad("psd", "x")),
            ("v=DMARC1; p=none; adkim=relaxed", bad("adkim", "relaxed")),
            ("v=DMARC1; p=none; aspf=", bad("aspf", "")),
            ("v=DMARC1; p=none; fo=2", bad("fo", "2")),
            ("v=DMARC1; p=none; fo=0,1", bad("fo", "0,1")),
            ("v=DMARC1; p=none; ri=1h", bad("ri", "1h")),
            ("v=DMARC1; p=none; ri=99999999999", bad("ri", "99999999999")),
            ("v=DMARC1; p=none; rf=a f", bad("rf", "a f")),
            (
                "v=DMARC1; p=none; rua=a@example.com",
                RecordError::BadUri {
                    tag: "rua",
                    uri: "a@example.com".into(),
                },
            ),
            (
                "v=DMARC1; p=none; rua=",
                RecordError::BadUri {
                    tag: "rua",
                    uri: String::new(),
                },
            ),
            (
                "v=DMARC1; p=none; ruf=mailto:a@example.com!10x",
                RecordError::BadUri {
                    tag: "ruf",
                    uri: "mailto:a@example.com!10x".into(),
                },
            ),
            (
                "v=DMARC1; p=none; rua=mailto:a@example.com,",
                RecordError::BadUri {
                    tag: "rua",
                    uri: String::new(),
                },
            ),
            ("v=DMARC1; p=none;;", TagError::EmptyTag(17).into()),
        ];
        for (text, want) in table {
            assert_eq!(parse(text).as_ref(), Err(want), "{text:?}");
        }
    }

    use crate::tags::TagError;

    #[test]
    fn display_round_trips() {
        for text in [
            "v=DMARC1; p=reject; sp=none; np=quarantine; pct=5; t=n; psd=u; adkim=r; aspf=s; \
             fo=d:s; ri=86400; rf=afrf:iodef; rua=mailto:a@x.example!5k; ruf=mailto:b@y.example",
            "v=DMARC1",
        ] {
            let record = parse(text).unwrap();
            assert_eq!(parse(&record.to_string()).unwrap(), record, "{text}");
        }
    }
}
