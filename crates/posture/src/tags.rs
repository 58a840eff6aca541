//! Tag-value lists shared by DMARC, BIMI, MTA-STS and TLS-RPT records.
//!
//! The grammar is DKIM's (RFC 6376 §3.2), which DMARC (RFC 7489 §6.4), BIMI
//! (draft-brand-indicators-for-message-identification §4.2), MTA-STS
//! (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3) all borrow:
//!
//! ```text
//! tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//! tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//! tag-name  =  ALPHA *ALNUMPUNC
//! tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//! tval      =  1*VALCHAR
//! VALCHAR   =  %x21-3A / %x3C-7E       ; EXCLAMATION to TILDE except SEMICOLON
//! ALNUMPUNC =  ALPHA / DIGIT / "_"
//! ```
//!
//! Departures, each deliberate:
//! * FWS is read as WSP (space, tab): a TXT record carries no folded lines, and a
//!   CR or LF in one is a publishing mistake, reported as a bad character.
//! * MTA-STS and TLS-RPT write `%s"v=STSv1"` and `sts-ext-name "=" sts-ext-value`
//!   with no whitespace around `=`; [`Syntax::Strict`] enforces that, and allows
//!   the `-` and `.` their extension names may contain (RFC 8461 §3.1,
//!   RFC 8460 §3).
//! * A repeated tag name is an error here ([`TagError::Duplicate`]), compared
//!   ASCII-case-insensitively: RFC 6376 §3.2 says "Tags with duplicate names
//!   MUST NOT occur within a single tag-list", and the DMARC/BIMI tag names are
//!   ABNF literals, which RFC 5234 §2.3 makes case-insensitive.
//! * One trailing `;` (with whitespace around it) is accepted, as every one of
//!   the four grammars allows; an empty tag-spec elsewhere (`a=1;;b=2`) is not.

use std::fmt;

use crate::error::RecordError;
pub use crate::error::TagError;
use crate::evidence::{Lookup, TxtRecord};

/// Which variant of the tag grammar to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// RFC 6376 §3.2 / RFC 7489 §6.4: whitespace allowed around `=` and `;`,
    /// names `ALPHA *(ALPHA / DIGIT / "_")`.
    Dkim,
    /// RFC 8461 §3.1 / RFC 8460 §3: whitespace only around `;`, names
    /// `(ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`.
    Strict,
}

/// One `name=value` pair; the value is trimmed of surrounding whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The name, as published.
    pub name: &'a str,
    /// The value, as published, without leading or trailing whitespace.
    pub value: &'a str,
}

impl fmt::Display for Tag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

/// Whitespace as DKIM/DMARC mean it: WSP = SP / HTAB (RFC 5234 appendix B.1).
pub(crate) fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn trim_wsp(s: &str) -> &str {
    s.trim_matches(is_wsp)
}

fn valid_name(name: &str, syntax: Syntax) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    match syntax {
        Syntax::Dkim => {
            first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        Syntax::Strict => {
            first.is_ascii_alphanumeric()
                && name.len() <= 32
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        }
    }
}

/// VALCHAR (RFC 6376 §3.2) or WSP between tvals; `;` never reaches here.
fn valid_value(value: &str) -> bool {
    value
        .chars()
        .all(|c| matches!(c, '\x21'..='\x7e') || is_wsp(c))
}

/// Parses a tag-list into its tags, in order: the first error, in record
/// order, fails the whole list (what "parses per its RFC" means).
pub fn parse(text: &str, syntax: Syntax) -> Result<Vec<Tag<'_>>, TagError> {
    let mut tags: Vec<Tag<'_>> = Vec::new();
    for segment in segments(text, syntax) {
        let tag = segment?;
        if tags.iter().any(|t| t.name.eq_ignore_ascii_case(tag.name)) {
            return Err(TagError::Duplicate(tag.name.to_owned()));
        }
        tags.push(tag);
    }
    Ok(tags)
}

/// Parses each tag-spec of a tag-list on its own, in order: one result per
/// `;`-separated part (the empty part after a final `;` excepted), so a
/// reader can keep the tags that parse and drop the ones that do not, as
/// RFC 7489 §6.3 asks of DMARC receivers. Duplicates are not checked here:
/// every occurrence is returned, and the caller decides (see [`parse`]).
pub fn segments(text: &str, syntax: Syntax) -> Vec<Result<Tag<'_>, TagError>> {
    if trim_wsp(text).is_empty() {
        return vec![Err(TagError::Empty)];
    }
    let parts: Vec<&str> = text.split(';').collect();
    let last = parts.len() - 1;
    let mut out = Vec::with_capacity(parts.len());
    let mut offset = 0;
    for (index, part) in parts.iter().enumerate() {
        let here = offset;
        offset += part.len() + 1;
        // Only the part after a final ';' may be empty.
        if trim_wsp(part).is_empty() && index == last && index > 0 {
            continue;
        }
        out.push(tag_spec(part, here, syntax));
    }
    out
}

/// One tag-spec (`name=value` between separators) at byte `position`.
fn tag_spec(segment: &str, position: usize, syntax: Syntax) -> Result<Tag<'_>, TagError> {
    if trim_wsp(segment).is_empty() {
        return Err(TagError::EmptyTag(position));
    }
    let Some((raw_name, raw_value)) = segment.split_once('=') else {
        return Err(TagError::MissingEquals(trim_wsp(segment).to_owned()));
    };
    let name = trim_wsp(raw_name);
    if !valid_name(name, syntax) {
        return Err(TagError::BadName(name.to_owned()));
    }
    if syntax == Syntax::Strict && (raw_name.ends_with(is_wsp) || raw_value.starts_with(is_wsp)) {
        return Err(TagError::SpaceAroundEquals(name.to_owned()));
    }
    let value = trim_wsp(raw_value);
    if !valid_value(value) {
        return Err(TagError::BadValue(name.to_owned()));
    }
    Ok(Tag { name, value })
}

/// Finds a tag by name, ASCII-case-insensitively (RFC 5234 §2.3).
pub fn find<'a>(tags: &[Tag<'a>], name: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
        .map(|t| t.value)
}

/// Splits a comma-separated list value (`rua`, `ruf`, `l`, TLS-RPT `rua`),
/// trimming WSP around each item. An empty item (`a,,b`, trailing `,`) is
/// returned as `""` so the caller can reject it.
pub fn split_list(value: &str) -> Vec<&str> {
    value.split(',').map(trim_wsp).collect()
}

/// True when `text` begins with `version` (such as `v=STSv1`) and the
/// separator the grammar requires after it, `*WSP ";"`: how MTA-STS (RFC 8461
/// §3.1, `sts-sep`) and TLS-RPT (RFC 8460 §3, `field-delim`) tell their record
/// from other TXT at the same name ("records that do not begin with
/// "v=STSv1;" are discarded"). A bare `v=STSv1`, or one followed by a space
/// and a tag, is discarded like any other look-alike.
pub(crate) fn starts_with_version(text: &str, version: &str) -> bool {
    text.strip_prefix(version)
        .is_some_and(|rest| rest.trim_start_matches(is_wsp).starts_with(';'))
}

/// Parses a strict tag list whose first tag must be exactly `version`
/// (`v=STSv1`, `v=TLSRPTv1`).
pub(crate) fn parse_versioned<'a>(
    text: &'a str,
    version: &'static str,
) -> Result<Vec<Tag<'a>>, RecordError> {
    let list = parse(text, Syntax::Strict)?;
    let expected = version.strip_prefix("v=").unwrap_or(version);
    let version_ok = list
        .first()
        .is_some_and(|tag| tag.name == "v" && tag.value == expected);
    if !version_ok {
        return Err(RecordError::Version { expected: version });
    }
    Ok(list)
}

/// Checks and keeps an extension tag of MTA-STS or TLS-RPT:
///
/// ```text
/// sts-ext-value     = 1*(%x21-3A / %x3C / %x3E-7E)   ; RFC 8461 §3.1
/// tlsrpt-ext-value  = 1*(%x21-3A / %x3C / %x3E-7E)   ; RFC 8460 §3
/// ```
///
/// that is, non-empty, visible ASCII, no `;` (the tag parser already split on
/// it) and no `=`.
pub(crate) fn push_extension(
    extensions: &mut Vec<(String, String)>,
    tag: &Tag<'_>,
) -> Result<(), RecordError> {
    let ok = !tag.value.is_empty() && tag.value.chars().all(|c| c.is_ascii_graphic() && c != '=');
    if !ok {
        return Err(RecordError::BadValue {
            tag: "extension",
            value: tag.value.to_owned(),
        });
    }
    extensions.push((tag.name.to_owned(), tag.value.to_owned()));
    Ok(())
}

/// Writes extension tags back as `; name=value` each, in order.
pub(crate) fn fmt_extensions(
    f: &mut fmt::Formatter<'_>,
    extensions: &[(String, String)],
) -> fmt::Result {
    for (name, value) in extensions {
        write!(f, "; {name}={value}")?;
    }
    Ok(())
}

/// Picks the one record of a TXT RRset that `is_candidate` accepts (by its
/// version tag) and parses it: `Ok(None)` when there is none, an error when
/// there are several. MTA-STS (RFC 8461 §3.1), TLS-RPT (RFC 8460 §3) and BIMI
/// (draft-brand-indicators-for-message-identification §4.2) share this rule:
/// with more than one candidate a receiver must not pick one.
pub(crate) fn select_one<R>(
    lookup: &Lookup<TxtRecord>,
    is_candidate: impl Fn(&str) -> bool,
    parse: impl Fn(&str) -> Result<R, RecordError>,
) -> Result<Option<R>, RecordError> {
    let texts: Vec<String> = lookup
        .records()
        .iter()
        .map(TxtRecord::joined)
        .filter(|text| is_candidate(text))
        .collect();
    match texts.as_slice() {
        [] => Ok(None),
        [one] => parse(one).map(Some),
        many => Err(RecordError::Multiple(many.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, syntax: Syntax) -> Vec<(String, String)> {
        parse(text, syntax)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .into_iter()
            .map(|t| (t.name.to_owned(), t.value.to_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// RFC 6376 §3.2 and RFC 7489 §6.4 (`dmarc-sep = *WSP %x3b *WSP`).
    #[test]
    fn rfc6376_3_2_accepted_forms() {
        let table: &[(&str, &[(&str, &str)])] = &[
            ("v=DMARC1", &[("v", "DMARC1")]),
            ("v=DMARC1;", &[("v", "DMARC1")]),
            ("v=DMARC1; ", &[("v", "DMARC1")]),
            ("v=DMARC1 ;\tp=none", &[("v", "DMARC1"), ("p", "none")]),
            ("v = DMARC1 ; p = none ;", &[("v", "DMARC1"), ("p", "none")]),
            ("a=; b=", &[("a", ""), ("b", "")]),
            ("n=two words", &[("n", "two words")]),
            ("x_1=a=b", &[("x_1", "a=b")]),
        ];
        for (text, want) in table {
            assert_eq!(ok(text, Syntax::Dkim), pairs(want), "{text:?}");
        }
    }

    /// RFC 6376 §3.2: what a tag-list may not contain.
    #[test]
    fn rfc6376_3_2_rejected_forms() {
        let table: &[(&str, TagError)] = &[
            ("", TagError::Empty),
            ("  ", TagError::Empty),
            (";", TagError::EmptyTag(0)),
            ("a=1;;b=2", TagError::EmptyTag(4)),
            ("a=1; ;", TagError::EmptyTag(4)),
            ("a=1;b", TagError::MissingEquals("b".into())),
            ("1a=1", TagError::BadName("1a".into())),
            ("a-b=1", TagError::BadName("a-b".into())),
            ("=1", TagError::BadName(String::new())),
            ("a=\u{e9}", TagError::BadValue("a".into())),
            ("a=x\ny", TagError::BadValue("a".into())),
            ("p=none; p=reject", TagError::Duplicate("p".into())),
            ("p=none; P=reject", TagError::Duplicate("P".into())),
        ];
        for (text, want) in table {
            assert_eq!(parse(text, Syntax::Dkim).as_ref(), Err(want), "{text:?}");
        }
    }

    /// RFC 8461 §3.1 / RFC 8460 §3: `%s"v=STSv1"`, no WSP around `=`, names
    /// may hold `-` and `.`.
    #[test]
    fn rfc8461_3_1_strict_syntax() {
        assert_eq!(
            ok("v=STSv1; id=20160831085700Z;", Syntax::Strict),
            pairs(&[("v", "STSv1"), ("id", "20160831085700Z")])
        );
        assert_eq!(
            ok("v=STSv1;x-ext.1=y", Syntax::Strict),
            pairs(&[("v", "STSv1"), ("x-ext.1", "y")])
        );
        assert_eq!(
            parse("v =STSv1", Syntax::Strict),
            Err(TagError::SpaceAroundEquals("v".into()))
        );
        assert_eq!(
            parse("v= STSv1", Syntax::Strict),
            Err(TagError::SpaceAroundEquals("v".into()))
        );
        let long = format!("{}=1", "a".repeat(33));
        assert!(matches!(
            parse(&long, Syntax::Strict),
            Err(TagError::BadName(_))
        ));
    }

    #[test]
    fn list_items_are_trimmed_and_empty_items_kept() {
        assert_eq!(split_list("a, b ,c"), vec!["a", "b", "c"]);
        assert_eq!(split_list("a,,b,"), vec!["a", "", "b", ""]);
        assert_eq!(split_list(""), vec![""]);
    }

    #[test]
    fn find_is_case_insensitive() {
        let tags = parse("V=DMARC1; P=none", Syntax::Dkim).unwrap();
        assert_eq!(find(&tags, "p"), Some("none"));
        assert_eq!(find(&tags, "sp"), None);
    }

    #[test]
    fn display_round_trips() {
        let text = "v=DMARC1; p=none; rua=mailto:a@b.example";
        let tags = parse(text, Syntax::Dkim).unwrap();
        let shown: Vec<String> = tags.iter().map(ToString::to_string).collect();
        let again = shown.join("; ");
        assert_eq!(parse(&again, Syntax::Dkim).unwrap(), tags);
    }
}
