//! Record selection (RFC 7208 §4.5) and the term parser (RFC 7208 §4.6.1,
//! §5, §6, §7.1, ABNF in §12).
//!
//! The parser works on the record's text as one string and never panics:
//! every index it takes comes from `find`/`char_indices` on that string, and
//! every failure is an [`SpfError`] that says where and why.

use std::net::{Ipv4Addr, Ipv6Addr};

use thiserror::Error;

use super::types::{
    Directive, DomainSpec, DualCidr, MacroExpand, MacroPart, MacroString, Mechanism, Modifier,
    Qualifier, SpfRecord, Term,
};
use crate::evidence::TxtRecord;

/// The longest term text an [`SpfError`] keeps: `spf_error` is a column, and a
/// hostile record must not make it large.
const MAX_TERM_IN_ERROR: usize = 64;

/// Why a record failed to parse, and where.
///
/// Its `Display` is what `spf_error` carries, e.g.
/// ``unknown mechanism `moo` (RFC 7208 §5) in term 3 `moo` at byte 28``.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind}{}", self.location())]
pub struct SpfError {
    /// What is wrong.
    pub kind: SpfErrorKind,
    /// The byte offset of the offending term in the record (0 for errors
    /// about the whole record).
    pub position: usize,
    /// The 1-based index of the offending term (0 for the version or the
    /// whole record).
    pub term_index: usize,
    /// The offending term's text, cut to 64 bytes; empty for errors about
    /// the whole record.
    pub term: String,
}

impl SpfError {
    fn location(&self) -> String {
        if self.term_index == 0 {
            String::new()
        } else {
            format!(
                " in term {} `{}` at byte {}",
                self.term_index,
                self.term.escape_debug(),
                self.position
            )
        }
    }
}

/// The kinds of SPF syntax errors; each cites the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SpfErrorKind {
    /// The text does not start with `v=spf1` followed by a space or its end.
    #[error(
        "not an SPF record: no `v=spf1` version followed by a space or the end (RFC 7208 §4.5)"
    )]
    NotSpf,
    /// A term whose name is not a mechanism (and that is not `name=value`).
    #[error("unknown mechanism `{0}` (RFC 7208 §5)")]
    UnknownMechanism(String),
    /// A character outside the ABNF: a control character, a non-ASCII byte,
    /// or a separator other than a space.
    #[error(
        "invalid character {0:?}: records are 7-bit ASCII and terms are separated by spaces only (RFC 7208 §3.1, §4.6.1)"
    )]
    InvalidCharacter(char),
    /// `include`, `exists`, `redirect`, `exp` without a domain-spec, or an
    /// empty one after `:`.
    #[error("`{0}` needs a domain-spec (RFC 7208 §5, §6)")]
    MissingDomainSpec(&'static str),
    /// `ip4` or `ip6` without `:` and a network.
    #[error("`{0}` needs `:` and a network (RFC 7208 §5.6)")]
    MissingNetwork(&'static str),
    /// Something after a mechanism that its grammar does not allow
    /// (`all:x`, `ptr/24`, `include:x/24` is caught as a bad domain-spec).
    #[error("unexpected `{0}` after `{1}` (RFC 7208 §5)")]
    UnexpectedArgument(String, &'static str),
    /// A domain-spec that does not end in a macro or `.toplabel` (§7.1), or
    /// names a domain DNS cannot carry (RFC 1035 §2.3.4).
    #[error("invalid domain-spec: {0} (RFC 7208 §7.1)")]
    InvalidDomainSpec(&'static str),
    /// A bad macro (§7.1): `%` not followed by `{`, `%`, `_` or `-`; an
    /// unknown macro letter; an unterminated `%{`.
    #[error("invalid macro: {0} (RFC 7208 §7.1)")]
    InvalidMacro(&'static str),
    /// A macro letter allowed only in explanation text (`c`, `r`, `t`).
    #[error("macro letter `{0}` is allowed only in explanation text (RFC 7208 §7.2)")]
    ExpOnlyMacro(char),
    /// `ip4:` whose network is not a dotted quad without leading zeros.
    #[error("invalid ip4 network `{0}` (RFC 7208 §5.6)")]
    InvalidIp4(String),
    /// `ip6:` whose network is not an IPv6 address.
    #[error("invalid ip6 network `{0}` (RFC 7208 §5.6)")]
    InvalidIp6(String),
    /// A CIDR length out of range or with a leading zero.
    #[error("invalid CIDR length `{0}` (RFC 7208 §5.6)")]
    InvalidCidr(String),
    /// A modifier name that breaks `name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )`.
    #[error("invalid modifier name `{0}` (RFC 7208 §6)")]
    InvalidModifierName(String),
    /// `redirect` or `exp` twice.
    #[error("`{0}` appears more than once (RFC 7208 §6)")]
    DuplicateModifier(&'static str),
}

/// True when `text` starts with the SPF version section: `v=spf1`
/// (case-insensitively, as the suite's `multitxt2` and `case-insensitive`
/// tests expect) followed by a space or the end of the record (RFC 7208 §4.5:
/// "the version section is terminated by either an SP character or the end of
/// the record"). A leading space, `v=spf10` or `v=spf1\t` is not SPF.
pub fn is_spf(text: &[u8]) -> bool {
    match text.get(..6) {
        Some(version) if version.eq_ignore_ascii_case(b"v=spf1") => {
            matches!(text.get(6), None | Some(b' '))
        }
        _ => false,
    }
}

/// The outcome of record selection (RFC 7208 §4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// No record of the RRset is SPF: `none`.
    None,
    /// Exactly one SPF record (its strings joined, RFC 7208 §3.3).
    One(String),
    /// More than one SPF record: `permerror` ("If the resultant record set
    /// includes more than one record, check_host() produces the "permerror"
    /// result"). Holds every one, joined.
    Several(Vec<String>),
}

/// Selects the SPF record from a TXT RRset (RFC 7208 §4.5).
///
/// The strings of each TXT record are concatenated with no separator
/// (§3.3); records that do not begin with the version section are discarded;
/// zero left is `none`, more than one is `permerror`. Duplicate identical
/// records still count twice (suite test `multispf1`).
pub fn select(txt: &[TxtRecord]) -> Selection {
    let mut found: Vec<String> = Vec::new();
    for record in txt {
        let joined: Vec<u8> = record.strings.concat();
        if is_spf(&joined) {
            found.push(record.joined());
        }
    }
    match found.len() {
        0 => Selection::None,
        1 => Selection::One(found.swap_remove(0)),
        _ => Selection::Several(found),
    }
}

/// Parses an SPF record (RFC 7208 §4.6.1).
///
/// ```text
/// record           = version terms *SP
/// version          = "v=spf1"
/// terms            = *( 1*SP ( directive / modifier ) )
/// ```
///
/// The version is matched case-insensitively (see [`is_spf`]); terms are
/// separated by one or more spaces, trailing spaces are allowed. Mechanism and
/// modifier names are case-insensitive (ABNF strings are). Every term is
/// checked, not only those evaluation would reach ("any syntax errors anywhere
/// in the record MUST be detected", §4.6), and `redirect` or `exp` may appear
/// at most once each (§6).
pub fn parse(record: &str) -> Result<SpfRecord, SpfError> {
    if !is_spf(record.as_bytes()) {
        return Err(SpfError {
            kind: SpfErrorKind::NotSpf,
            position: 0,
            term_index: 0,
            term: String::new(),
        });
    }
    // `is_spf` guarantees six ASCII bytes, so 6 is a char boundary.
    let body = record.get(6..).unwrap_or_default();
    let mut terms = Vec::new();
    let mut redirect_seen = false;
    let mut exp_seen = false;
    let mut offset = 6;
    let mut index = 0;
    for piece in body.split(' ') {
        let position = offset;
        offset += piece.len() + 1;
        if piece.is_empty() {
            continue;
        }
        index += 1;
        let error = |kind| SpfError {
            kind,
            position,
            term_index: index,
            term: truncate(piece),
        };
        let term = parse_term(piece).map_err(error)?;
        if let Term::Modifier(modifier) = &term {
            let seen = match modifier {
                Modifier::Redirect(_) => Some((&mut redirect_seen, "redirect")),
                Modifier::Exp(_) => Some((&mut exp_seen, "exp")),
                Modifier::Unknown { .. } => None,
            };
            if let Some((seen, name)) = seen {
                if *seen {
                    return Err(error(SpfErrorKind::DuplicateModifier(name)));
                }
                *seen = true;
            }
        }
        terms.push(term);
    }
    Ok(SpfRecord { terms })
}

/// A term fragment for an error payload: control characters escaped, cut.
fn shown(text: &str) -> String {
    truncate(&text.escape_debug().to_string())
}

fn truncate(text: &str) -> String {
    if text.len() <= MAX_TERM_IN_ERROR {
        return text.to_owned();
    }
    let mut end = MAX_TERM_IN_ERROR;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// One term: a modifier when `=` follows a name immediately ("before any `:`
/// or `/`", RFC 7208 §4.6.1), else a directive.
fn parse_term(text: &str) -> Result<Term, SpfErrorKind> {
    let name_end = text.find(|c: char| !is_name_char(c)).unwrap_or(text.len());
    if text[name_end..].starts_with('=') {
        let name = &text[..name_end];
        let value = &text[name_end + 1..];
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(SpfErrorKind::InvalidModifierName(shown(name)));
        }
        return parse_modifier(name, value).map(Term::Modifier);
    }
    parse_directive(text).map(Term::Directive)
}

/// ```text
/// modifier         = redirect / explanation / unknown-modifier
/// redirect         = "redirect" "=" domain-spec
/// explanation      = "exp" "=" domain-spec
/// unknown-modifier = name "=" macro-string
/// ```
/// Unknown modifiers are ignored by evaluation (§6) but must still match the
/// grammar; any macro letter is accepted in their value, since what they mean
/// is unknown.
fn parse_modifier(name: &str, value: &str) -> Result<Modifier, SpfErrorKind> {
    if name.eq_ignore_ascii_case("redirect") {
        return parse_domain_spec(value, "redirect").map(Modifier::Redirect);
    }
    if name.eq_ignore_ascii_case("exp") {
        return parse_domain_spec(value, "exp").map(Modifier::Exp);
    }
    Ok(Modifier::Unknown {
        name: name.to_owned(),
        value: parse_macro_string(value, true)?,
    })
}

/// ```text
/// directive        = [ qualifier ] mechanism
/// ```
fn parse_directive(text: &str) -> Result<Directive, SpfErrorKind> {
    let (qualifier, rest) = match text.chars().next() {
        Some('+') => (Qualifier::Pass, &text[1..]),
        Some('-') => (Qualifier::Fail, &text[1..]),
        Some('~') => (Qualifier::SoftFail, &text[1..]),
        Some('?') => (Qualifier::Neutral, &text[1..]),
        _ => (Qualifier::Pass, text),
    };
    let name_end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let (name, args) = rest.split_at(name_end);
    let lower = name.to_ascii_lowercase();
    let known: &'static str = match lower.as_str() {
        "all" => "all",
        "include" => "include",
        "a" => "a",
        "mx" => "mx",
        "ptr" => "ptr",
        "ip4" => "ip4",
        "ip6" => "ip6",
        "exists" => "exists",
        _ => {
            // Name the bad character when the term breaks the charset rather
            // than naming an unknown word: it is the more precise reason.
            if let Some(bad) = rest.chars().find(|c| !c.is_ascii_graphic()) {
                return Err(SpfErrorKind::InvalidCharacter(bad));
            }
            return Err(SpfErrorKind::UnknownMechanism(shown(rest)));
        }
    };
    if !args.is_empty() && !args.starts_with([':', '/']) {
        if let Some(bad) = args.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(SpfErrorKind::InvalidCharacter(bad));
        }
        // `allx`, `a-b` …: not a mechanism name followed by arguments.
        return Err(SpfErrorKind::UnknownMechanism(shown(rest)));
    }
    let mechanism = match known {
        "all" => {
            if !args.is_empty() {
                return Err(SpfErrorKind::UnexpectedArgument(shown(args), "all"));
            }
            Mechanism::All
        }
        "include" => Mechanism::Include(required_domain(args, "include")?),
        "exists" => Mechanism::Exists(required_domain(args, "exists")?),
        "ptr" => Mechanism::Ptr(optional_domain(args, "ptr")?),
        "a" | "mx" => {
            let (spec, cidr) = split_dual_cidr(args)?;
            let domain = optional_domain(spec, known)?;
            if known == "a" {
                Mechanism::A { domain, cidr }
            } else {
                Mechanism::Mx { domain, cidr }
            }
        }
        "ip4" => {
            let network = network_arg(args, "ip4")?;
            let (addr, len) = split_prefix(network);
            let addr: Ipv4Addr = addr
                .parse()
                .map_err(|_| SpfErrorKind::InvalidIp4(shown(addr)))?;
            let prefix = len.map(|len| cidr_length(len, 32)).transpose()?;
            Mechanism::Ip4 { addr, prefix }
        }
        _ => {
            let network = network_arg(args, "ip6")?;
            let (addr, len) = split_prefix(network);
            let addr: Ipv6Addr = addr
                .parse()
                .map_err(|_| SpfErrorKind::InvalidIp6(shown(addr)))?;
            let prefix = len.map(|len| cidr_length(len, 128)).transpose()?;
            Mechanism::Ip6 { addr, prefix }
        }
    };
    Ok(Directive {
        qualifier,
        mechanism,
    })
}

fn network_arg<'a>(args: &'a str, mechanism: &'static str) -> Result<&'a str, SpfErrorKind> {
    match args.strip_prefix(':') {
        Some(network) => Ok(network),
        None if args.is_empty() => Err(SpfErrorKind::MissingNetwork(mechanism)),
        None => Err(SpfErrorKind::UnexpectedArgument(shown(args), mechanism)),
    }
}

fn split_prefix(network: &str) -> (&str, Option<&str>) {
    match network.split_once('/') {
        Some((addr, len)) => (addr, Some(len)),
        None => (network, None),
    }
}

/// `":" domain-spec`, required.
fn required_domain(args: &str, mechanism: &'static str) -> Result<DomainSpec, SpfErrorKind> {
    match args.strip_prefix(':') {
        Some(spec) => parse_domain_spec(spec, mechanism),
        None if args.is_empty() => Err(SpfErrorKind::MissingDomainSpec(mechanism)),
        None => Err(SpfErrorKind::UnexpectedArgument(shown(args), mechanism)),
    }
}

/// `[ ":" domain-spec ]`.
fn optional_domain(
    args: &str,
    mechanism: &'static str,
) -> Result<Option<DomainSpec>, SpfErrorKind> {
    if args.is_empty() {
        return Ok(None);
    }
    required_domain(args, mechanism).map(Some)
}

/// Splits a trailing `dual-cidr-length` off the arguments of `a`/`mx`.
///
/// The ABNF is ambiguous where a domain-spec ends in `/digits` (`/` is a
/// macro-literal); like other implementations, a trailing `[/n][//m]` is the
/// CIDR part. A domain-spec cannot end in `/n` anyway (its domain-end is a
/// macro or a top label).
fn split_dual_cidr(args: &str) -> Result<(&str, DualCidr), SpfErrorKind> {
    let mut rest = args;
    let mut cidr = DualCidr::default();
    if let Some((head, tail)) = rest.rsplit_once("//")
        && is_digits(tail)
    {
        cidr.v6 = Some(cidr_length(tail, 128)?);
        rest = head;
    }
    if let Some((head, tail)) = rest.rsplit_once('/')
        && is_digits(tail)
    {
        cidr.v4 = Some(cidr_length(tail, 32)?);
        rest = head;
    }
    Ok((rest, cidr))
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// ```text
/// ip4-cidr-length  = "/" ("0" / %x31-39 0*1DIGIT) ; value range 0-32
/// ip6-cidr-length  = "/" ("0" / %x31-39 0*2DIGIT) ; value range 0-128
/// ```
fn cidr_length(text: &str, max: u8) -> Result<u8, SpfErrorKind> {
    let bad = || SpfErrorKind::InvalidCidr(shown(text));
    if !is_digits(text) || (text.len() > 1 && text.starts_with('0')) || text.len() > 3 {
        return Err(bad());
    }
    let value: u8 = text.parse().map_err(|_| bad())?;
    if value > max {
        return Err(bad());
    }
    Ok(value)
}

/// Parses a macro-string (RFC 7208 §7.1). `exp_letters` admits `c`, `r`, `t`,
/// which §7.2 allows only in explanation text (and which an unknown modifier
/// may use, since its meaning is unknown).
pub(crate) fn parse_macro_string(
    text: &str,
    exp_letters: bool,
) -> Result<MacroString, SpfErrorKind> {
    let mut parts: Vec<MacroPart> = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => {
                let part = match chars.next() {
                    Some('%') => MacroPart::Percent,
                    Some('_') => MacroPart::Space,
                    Some('-') => MacroPart::UrlSpace,
                    Some('{') => MacroPart::Expand(parse_expand(&mut chars, exp_letters)?),
                    _ => {
                        return Err(SpfErrorKind::InvalidMacro(
                            "`%` must be followed by `{`, `%`, `_` or `-`",
                        ));
                    }
                };
                if !literal.is_empty() {
                    parts.push(MacroPart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(part);
            }
            // macro-literal = %x21-24 / %x26-7E
            '\x21'..='\x7e' => literal.push(c),
            other => return Err(SpfErrorKind::InvalidCharacter(other)),
        }
    }
    if !literal.is_empty() {
        parts.push(MacroPart::Literal(literal));
    }
    Ok(MacroString { parts })
}

/// The inside of `%{…}` after the brace.
fn parse_expand(
    chars: &mut std::str::Chars<'_>,
    exp_letters: bool,
) -> Result<MacroExpand, SpfErrorKind> {
    let letter = chars
        .next()
        .ok_or(SpfErrorKind::InvalidMacro("unterminated `%{`"))?;
    match letter.to_ascii_lowercase() {
        's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'h' | 'v' => {}
        'c' | 'r' | 't' if exp_letters => {}
        'c' | 'r' | 't' => return Err(SpfErrorKind::ExpOnlyMacro(letter)),
        _ => {
            return Err(SpfErrorKind::InvalidMacro(
                "unknown macro letter (allowed: s l o d i p h v, and c r t in exp text)",
            ));
        }
    }
    let mut digits = String::new();
    let mut reverse = false;
    let mut delimiters = String::new();
    loop {
        let c = chars
            .next()
            .ok_or(SpfErrorKind::InvalidMacro("unterminated `%{`"))?;
        match c {
            '}' => break,
            '0'..='9' if !reverse && delimiters.is_empty() => digits.push(c),
            'r' | 'R' if !reverse && delimiters.is_empty() => reverse = true,
            '.' | '-' | '+' | ',' | '/' | '_' | '=' => delimiters.push(c),
            _ => {
                return Err(SpfErrorKind::InvalidMacro(
                    "bad transformer or delimiter in `%{…}`",
                ));
            }
        }
    }
    Ok(MacroExpand {
        letter,
        digits,
        reverse,
        delimiters,
    })
}

/// Parses a domain-spec (RFC 7208 §7.1), for the term named `owner`.
///
/// ```text
/// domain-spec      = macro-string domain-end
/// domain-end       = ( "." toplabel [ "." ] ) / macro-expand
/// ```
fn parse_domain_spec(text: &str, owner: &'static str) -> Result<DomainSpec, SpfErrorKind> {
    if text.is_empty() {
        return Err(SpfErrorKind::MissingDomainSpec(owner));
    }
    let spec = parse_macro_string(text, false)?;
    match spec.parts.last() {
        Some(MacroPart::Literal(tail)) => check_domain_end(tail)?,
        Some(_) => {} // ends in a macro-expand
        None => return Err(SpfErrorKind::MissingDomainSpec(owner)),
    }
    let spec = DomainSpec { spec };
    if let Some(name) = spec.target() {
        check_dns_name(&name)?;
    }
    Ok(spec)
}

/// `"." toplabel [ "." ]` at the end of the literal tail.
///
/// ```text
/// toplabel         = ( *alphanum ALPHA *alphanum ) /
///                    ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
/// ```
fn check_domain_end(tail: &str) -> Result<(), SpfErrorKind> {
    let without_dot = tail.strip_suffix('.').unwrap_or(tail);
    let (_, toplabel) = without_dot
        .rsplit_once('.')
        .ok_or(SpfErrorKind::InvalidDomainSpec(
            "must end in a macro or `.` and a top label",
        ))?;
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    let bytes = toplabel.as_bytes();
    let ok = match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if bytes.contains(&b'-') => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        (Some(_), Some(_)) => bytes.iter().all(alnum) && bytes.iter().any(u8::is_ascii_alphabetic),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(SpfErrorKind::InvalidDomainSpec(
            "the top label must be alphanumeric with a letter, or hyphenated",
        ))
    }
}

/// RFC 1035 §2.3.4: labels of 1–63 octets, names of at most 253 octets in
/// text form (255 on the wire).
fn check_dns_name(name: &str) -> Result<(), SpfErrorKind> {
    if name.len() > 253 {
        return Err(SpfErrorKind::InvalidDomainSpec(
            "the name is longer than 253 octets (RFC 1035 §2.3.4)",
        ));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(SpfErrorKind::InvalidDomainSpec(
                "the name has an empty label (RFC 1035 §2.3.4)",
            ));
        }
        if label.len() > 63 {
            return Err(SpfErrorKind::InvalidDomainSpec(
                "the name has a label longer than 63 octets (RFC 1035 §2.3.4)",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_section_rfc7208_4_5() {
        let cases: &[(&[u8], bool)] = &[
            (b"v=spf1", true),
            (b"v=spf1 -all", true),
            (b"V=SpF1 ~all", true),
            (b"v=spf1  ", true),
            (b"v=spf10", false),
            (b"v=spf1-all", false),
            (b" v=spf1 -all", false),
            (b"v=spf1\t-all", false),
            (b"v=spf2.0/pra", false),
            (b"spf1", false),
            (b"", false),
            (b"\x96", false),
        ];
        for (text, want) in cases {
            assert_eq!(is_spf(text), *want, "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn selection_joins_strings_and_counts_records_rfc7208_3_3_and_4_5() {
        let one = |s: &str| TxtRecord::single(s);
        let cases: Vec<(Vec<TxtRecord>, Selection)> = vec![
            (vec![], Selection::None),
            (vec![one("google-site-verification=x")], Selection::None),
            (vec![one("v=spf10"), one(" v=spf1 -all")], Selection::None),
            (
                vec![one("hello"), one("v=spf1 -all")],
                Selection::One("v=spf1 -all".into()),
            ),
            // §3.3: strings joined with no separator.
            (
                vec![TxtRecord::from_strings(["v=spf1 ip4:", "192.0.2.5 -all"])],
                Selection::One("v=spf1 ip4:192.0.2.5 -all".into()),
            ),
            // The version itself split across strings still counts.
            (
                vec![TxtRecord::from_strings(["v=sp", "f1 mx"])],
                Selection::One("v=spf1 mx".into()),
            ),
            // Joining without a space makes `v=spf1mx`: not SPF (suite nospace1).
            (
                vec![TxtRecord::from_strings(["v=spf1", "mx"])],
                Selection::None,
            ),
            // §4.5: identical records still count twice.
            (
                vec![one("v=spf1 -all"), one("v=spf1 -all")],
                Selection::Several(vec!["v=spf1 -all".into(), "v=spf1 -all".into()]),
            ),
            (
                vec![one("v=spf1 -all"), one("V=sPf1 +all")],
                Selection::Several(vec!["v=spf1 -all".into(), "V=sPf1 +all".into()]),
            ),
        ];
        for (records, want) in cases {
            assert_eq!(select(&records), want, "{records:?}");
        }
    }

    /// Valid records and their normalised form (RFC 7208 §4.6.1, §5, §6, §7.1).
    #[test]
    fn valid_records_and_normal_form() {
        let cases = [
            ("v=spf1", "v=spf1"),
            ("v=spf1 ", "v=spf1"),
            ("V=SPF1 -ALL", "v=spf1 -all"),
            ("v=spf1  a   -all  ", "v=spf1 a -all"),
            ("v=spf1 +all", "v=spf1 all"),
            ("v=spf1 ?all ~all -all", "v=spf1 ?all ~all -all"),
            (
                "v=spf1 include:_spf.Example.COM -all",
                "v=spf1 include:_spf.Example.COM -all",
            ),
            ("v=spf1 a mx ptr", "v=spf1 a mx ptr"),
            ("v=spf1 a/24 mx//64 a/24//64", "v=spf1 a/24 mx//64 a/24//64"),
            (
                "v=spf1 a:mail.example.com/0//0",
                "v=spf1 a:mail.example.com/0//0",
            ),
            (
                "v=spf1 MX:example.org. ptr:example.org",
                "v=spf1 mx:example.org. ptr:example.org",
            ),
            (
                "v=spf1 ip4:192.0.2.0/24 ip4:192.0.2.1",
                "v=spf1 ip4:192.0.2.0/24 ip4:192.0.2.1",
            ),
            (
                "v=spf1 ip6:2001:DB8::/32 ip6:::1/128",
                "v=spf1 ip6:2001:db8::/32 ip6:::1/128",
            ),
            ("v=spf1 ip6:::ffff:192.0.2.1", "v=spf1 ip6:::ffff:192.0.2.1"),
            (
                "v=spf1 exists:%{i}.%{l1r+-}._spf.%{d}",
                "v=spf1 exists:%{i}.%{l1r+-}._spf.%{d}",
            ),
            (
                "v=spf1 exists:%{IR}.%{v}._spf.%{d2}",
                "v=spf1 exists:%{Ir}.%{v}._spf.%{d2}",
            ),
            (
                "v=spf1 redirect=_spf.example.com",
                "v=spf1 redirect=_spf.example.com",
            ),
            (
                "v=spf1 REDIRECT=x.example exp=explain.%{d}",
                "v=spf1 redirect=x.example exp=explain.%{d}",
            ),
            (
                "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
                "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
            ),
            ("v=spf1 foo= bar=%{c}%%%_%-", "v=spf1 foo= bar=%{c}%%%_%-"),
            (
                "v=spf1 a:macro%%percent%_%_space%-url-space.example.com",
                "v=spf1 a:macro%%percent%_%_space%-url-space.example.com",
            ),
            (
                "v=spf1 a:123-4.example.123-4",
                "v=spf1 a:123-4.example.123-4",
            ),
        ];
        for (input, normal) in cases {
            let parsed = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed.to_string(), normal, "{input}");
            assert_eq!(parse(normal).as_ref(), Ok(&parsed), "{input}: round trip");
        }
    }

    /// Syntax errors, each with the rule it breaks.
    #[test]
    fn invalid_records_name_their_reason() {
        use SpfErrorKind as K;
        type Check = fn(&SpfErrorKind) -> bool;
        let cases: &[(&str, &str, Check)] = &[
            ("§4.5", "v=spf10 -all", |k| matches!(k, K::NotSpf)),
            (
                "§4.6",
                "v=spf1 ip4:1.2.3.4 -all moo",
                |k| matches!(k, K::UnknownMechanism(m) if m == "moo"),
            ),
            ("§4.6.1", "v=spf1 moo.cow/far_out=man:dog/cat", |k| {
                matches!(k, K::UnknownMechanism(_))
            }),
            ("§4.6.1", "v=spf1 moo.cow:far_out=man:dog/cat", |k| {
                matches!(k, K::UnknownMechanism(_))
            }),
            ("§4.6.1", "v=spf1 redirect:t2.example.com", |k| {
                matches!(k, K::UnknownMechanism(_))
            }),
            ("§4.6.1", "v=spf1 -redirect=t2.example.com", |k| {
                matches!(k, K::InvalidModifierName(_))
            }),
            ("§4.6.1", "v=spf1 +redirect=t2.example.com", |k| {
                matches!(k, K::UnknownMechanism(_))
            }),
            ("§4.6.1", "v=spf1 1foo=bar", |k| {
                matches!(k, K::InvalidModifierName(_))
            }),
            ("§4.6.1", "v=spf1 =bar", |k| {
                matches!(k, K::InvalidModifierName(_))
            }),
            ("§4.6.1", "v=spf1 a:ctrl.example.com\rptr -all", |k| {
                matches!(k, K::InvalidCharacter('\r'))
            }),
            ("§4.6.1", "v=spf1 ip4:192.0.2.5\n include:x.example", |k| {
                matches!(k, K::InvalidIp4(_))
            }),
            ("§4.6.1", "v=spf1 a\t-all", |k| {
                matches!(k, K::InvalidCharacter('\t'))
            }),
            ("§3.1", "v=spf1 a:\u{feff}garbage.example.net -all", |k| {
                matches!(k, K::InvalidCharacter('\u{feff}'))
            }),
            ("§3.1", "v=spf1 \u{80}a:example.net -all", |k| {
                matches!(k, K::InvalidCharacter('\u{80}'))
            }),
            ("§5", "v=spf1 +", |k| matches!(k, K::UnknownMechanism(_))),
            ("§5", "v=spf1 allx", |k| {
                matches!(k, K::UnknownMechanism(_))
            }),
            ("§5.1", "v=spf1 all:foo", |k| {
                matches!(k, K::UnexpectedArgument(_, "all"))
            }),
            ("§5.1", "v=spf1 -all/24", |k| {
                matches!(k, K::UnexpectedArgument(_, "all"))
            }),
            ("§5.2", "v=spf1 include", |k| {
                matches!(k, K::MissingDomainSpec("include"))
            }),
            ("§5.2", "v=spf1 include: -all", |k| {
                matches!(k, K::MissingDomainSpec("include"))
            }),
            ("§5.2", "v=spf1 include:ip5.example.com/24", |k| {
                matches!(k, K::InvalidDomainSpec(_))
            }),
            ("§5.3", "v=spf1 a:", |k| {
                matches!(k, K::MissingDomainSpec("a"))
            }),
            ("§5.3", "v=spf1 a/33", |k| matches!(k, K::InvalidCidr(_))),
            ("§5.3", "v=spf1 a//129", |k| matches!(k, K::InvalidCidr(_))),
            ("§5.3", "v=spf1 a/024", |k| matches!(k, K::InvalidCidr(_))),
            ("§5.3", "v=spf1 a:foo-bar -all", |k| {
                matches!(k, K::InvalidDomainSpec(_))
            }),
            ("§5.3", "v=spf1 a:1.2.3.4", |k| {
                matches!(k, K::InvalidDomainSpec(_))
            }),
            ("§5.3", "v=spf1 a:mail.example...com", |k| {
                matches!(k, K::InvalidDomainSpec(_))
            }),
            ("§5.4", "v=spf1 mx:example.com:8", |k| {
                matches!(k, K::InvalidDomainSpec(_))
            }),
            ("§5.5", "v=spf1 ptr/24", |k| {
                matches!(k, K::UnexpectedArgument(_, "ptr"))
            }),
            ("§5.6", "v=spf1 ip4", |k| {
                matches!(k, K::MissingNetwork("ip4"))
            }),
            ("§5.6", "v=spf1 ip4:", |k| matches!(k, K::InvalidIp4(_))),
            ("§5.6", "v=spf1 ip4:1.2.3", |k| {
                matches!(k, K::InvalidIp4(_))
            }),
            ("§5.6", "v=spf1 ip4:01.2.3.4", |k| {
                matches!(k, K::InvalidIp4(_))
            }),
            ("§5.6", "v=spf1 ip4:1.2.3.4/33", |k| {
                matches!(k, K::InvalidCidr(_))
            }),
            ("§5.6", "v=spf1 ip4:1.2.3.4/", |k| {
                matches!(k, K::InvalidCidr(_))
            }),
            ("§5.6", "v=spf1 ip4:1.2.3.4//32", |k| {
                matches!(k, K::InvalidCidr(_))
            }),
            ("§5.6", "v=spf1 ip6:1.2.3.4", |k| {
                matches!(k, K::InvalidIp6(_))
            }),
            ("§5.6", "v=spf1 ip6:::1/129", |k| {
                matches!(k, K::InvalidCidr(_))
            }),
            ("§5.6", "v=spf1 ip6:fe80::1%eth0", |k| {
                matches!(k, K::InvalidIp6(_))
            }),
            ("§5.7", "v=spf1 exists", |k| {
                matches!(k, K::MissingDomainSpec("exists"))
            }),
            ("§6", "v=spf1 redirect=", |k| {
                matches!(k, K::MissingDomainSpec("redirect"))
            }),
            ("§6", "v=spf1 redirect=a.example redirect=b.example", |k| {
                matches!(k, K::DuplicateModifier("redirect"))
            }),
            ("§6", "v=spf1 exp=a.example EXP=b.example", |k| {
                matches!(k, K::DuplicateModifier("exp"))
            }),
            ("§6", "v=spf1 foo=bar baz", |k| {
                matches!(k, K::UnknownMechanism(_))
            }),
            ("§6", "v=spf1 foo=%", |k| matches!(k, K::InvalidMacro(_))),
            ("§7.1", "v=spf1 -exists:%(ir).sbl.example.com", |k| {
                matches!(k, K::InvalidMacro(_))
            }),
            ("§7.1", "v=spf1 exists:foo%.sbl.example.com", |k| {
                matches!(k, K::InvalidMacro(_))
            }),
            ("§7.1", "v=spf1 a:%{a}.example.com", |k| {
                matches!(k, K::InvalidMacro(_))
            }),
            ("§7.1", "v=spf1 a:%{d", |k| matches!(k, K::InvalidMacro(_))),
            ("§7.1", "v=spf1 a:%{d2x}.example.com", |k| {
                matches!(k, K::InvalidMacro(_))
            }),
            ("§7.1", "v=spf1 a:%{dr2}.example.com", |k| {
                matches!(k, K::InvalidMacro(_))
            }),
            ("§7.1", "v=spf1 a:%{d}com", |k| {
                matches!(k, K::InvalidDomainSpec(_))
            }),
            ("§7.2", "v=spf1 -all exp=%{r}.example.com", |k| {
                matches!(k, K::ExpOnlyMacro('r'))
            }),
            ("§7.2", "v=spf1 exists:%{C}.example.com", |k| {
                matches!(k, K::ExpOnlyMacro('C'))
            }),
        ];
        for (section, input, check) in cases {
            match parse(input) {
                Ok(record) => panic!("RFC 7208 {section}: {input:?} parsed as {record}"),
                Err(err) => assert!(check(&err.kind), "RFC 7208 {section}: {input:?} gave {err}"),
            }
        }
    }

    #[test]
    fn error_names_term_and_position() {
        let err = parse("v=spf1 a  bogus:x -all").err();
        let err = err
            .as_ref()
            .map(|e| (e.term_index, e.position, e.term.as_str()));
        assert_eq!(err, Some((2, 10, "bogus:x")));
        let text = parse("v=spf1 a bogus -all").map_err(|e| e.to_string());
        assert_eq!(
            text,
            Err("unknown mechanism `bogus` (RFC 7208 §5) in term 2 `bogus` at byte 9".into())
        );
    }

    #[test]
    fn long_terms_are_cut_in_errors() {
        let record = format!("v=spf1 {}é", "x".repeat(200));
        let err = parse(&record).err().map(|e| e.term);
        assert!(err.is_some_and(|t| t.len() <= MAX_TERM_IN_ERROR + '…'.len_utf8()));
    }

    /// §6.1/§5.1: the record-level accessors.
    #[test]
    fn all_and_redirect_accessors() {
        let cases = [
            ("v=spf1 -all", Some(Qualifier::Fail), None),
            ("v=spf1 all -all", Some(Qualifier::Pass), None),
            ("v=spf1 redirect=x.example", None, Some("x.example")),
            // §6.1: redirect ignored when an `all` is present.
            (
                "v=spf1 redirect=x.example ~all",
                Some(Qualifier::SoftFail),
                None,
            ),
            ("v=spf1 mx", None, None),
        ];
        for (input, all, redirect) in cases {
            let record = parse(input).unwrap_or_default();
            assert_eq!(record.all(), all, "{input}");
            let target = record.effective_redirect().and_then(DomainSpec::target);
            assert_eq!(target.as_deref(), redirect, "{input}");
        }
    }

    #[test]
    fn targets_are_lowercase_without_trailing_dot() {
        let cases = [
            ("v=spf1 include:_SPF.Example.COM.", Some("_spf.example.com")),
            ("v=spf1 include:%{d}.example.com", None),
            ("v=spf1 include:a%%b.example.com", Some("a%b.example.com")),
        ];
        for (input, want) in cases {
            let record = parse(input).unwrap_or_default();
            let got = record.directives().find_map(|d| match &d.mechanism {
                Mechanism::Include(spec) => Some(spec.target()),
                _ => None,
            });
            assert_eq!(got.flatten().as_deref(), want, "{input}");
        }
    }
}
