//! Domain-name normalisation: lowercase A-labels, no trailing dot.
//!
//! Names that are already lowercase-able LDH ASCII (RFC 1123 §2.1 host names)
//! take a fast path that never touches the IDNA tables. Everything else goes
//! through UTS-46 processing (`idna` crate) with the STD3 ASCII deny list, so a
//! U-label becomes its `xn--` A-label (RFC 5891 §4) and characters that cannot
//! appear in a host name are refused.
//!
//! Host-name rules apply to every name alike, zone owners, NS hosts and list
//! lines (issue 18): a label neither begins nor ends with a hyphen (RFC 952,
//! RFC 1123 §2.1); the last label is not all digits, which would make the
//! name an address (RFC 1123 §2.1, RFC 3696 §2); and an `xn--` label must
//! decode to a U-label whose code points IDNA2008 allows (RFC 5892 §2.1:
//! letters, marks and digits, plus its exceptions), which UTS-46 alone does
//! not check: `xn--zz-invalid` decodes to mathematical operators, and an
//! emoji label is refused the same way. A list line must also hold two
//! labels at least (a bare TLD is not a registration); see the list reader.

use std::fmt;

/// Longest label in octets (RFC 1035 §2.3.4).
pub const MAX_LABEL: usize = 63;
/// Longest name in presentation form without the trailing dot: 255 octets of
/// wire form (RFC 1035 §2.3.4) leave 253 printable characters.
pub const MAX_NAME: usize = 253;

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reject {
    /// Nothing left after removing the trailing dot.
    Empty,
    /// Two dots in a row, or a leading dot.
    EmptyLabel,
    /// A label longer than 63 octets.
    LabelTooLong,
    /// A name longer than 253 octets.
    NameTooLong,
    /// A character that cannot appear in a host name (after IDNA mapping),
    /// bytes that are not UTF-8, or an escaped dot inside a label.
    IllegalCharacter,
    /// A label begins or ends with a hyphen (RFC 952, RFC 1123 §2.1).
    Hyphen,
    /// The last label is all digits: an address, not a name (RFC 3696 §2).
    NumericTld,
    /// An `xn--` label that is not a valid IDNA2008 A-label (RFC 5891 §5.4,
    /// RFC 5892 §2.1): it does not decode, or holds a disallowed code point.
    InvalidIdn,
    /// A single label where a registered domain is expected (a bare TLD).
    SingleLabel,
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reject::Empty => "empty name",
            Reject::EmptyLabel => "empty label",
            Reject::LabelTooLong => "label longer than 63 octets",
            Reject::NameTooLong => "name longer than 253 octets",
            Reject::IllegalCharacter => "illegal character or invalid IDN",
            Reject::Hyphen => "a label begins or ends with a hyphen",
            Reject::NumericTld => "the last label is all digits (an address, not a name)",
            Reject::InvalidIdn => "not a valid IDNA2008 A-label",
            Reject::SingleLabel => "a single label (a bare TLD), not a registered domain",
        })
    }
}

impl std::error::Error for Reject {}

/// Normalises `input` (presentation form, escapes already decoded) into `out`
/// (cleared first): lowercase, A-labels, no trailing dot.
pub fn normalize_into(input: &[u8], out: &mut String) -> Result<(), Reject> {
    out.clear();
    let name = input.strip_suffix(b".").unwrap_or(input);
    if name.is_empty() {
        return Err(Reject::Empty);
    }
    if fast_path_ok(name)? {
        // Plain ASCII (checked just above), so this is valid UTF-8; copying
        // it whole and lowercasing in place beats pushing char by char.
        if let Ok(s) = std::str::from_utf8(name) {
            out.push_str(s);
            out.make_ascii_lowercase();
            return Ok(());
        }
    }
    let mapped = idna::uts46::Uts46::new()
        .to_ascii(
            name,
            idna::uts46::AsciiDenyList::STD3,
            idna::uts46::Hyphens::Allow,
            idna::uts46::DnsLength::Ignore,
        )
        .map_err(|_| Reject::IllegalCharacter)?;
    // UTS-46 may map characters to dots (U+3002) or drop them: check the result.
    check_shape(mapped.as_bytes())?;
    for label in mapped.split('.') {
        if label.starts_with("xn--") {
            check_a_label(label)?;
        }
    }
    out.push_str(&mapped);
    Ok(())
}

/// An `xn--` label is valid when its U-label holds only code points that
/// IDNA2008 makes PVALID or contextual (RFC 5892 §2.1, §2.6, Appendix A):
/// letters (Ll, Lo, Lm; Lu and Lt are mapped away by UTS-46 first), marks
/// (Mn, Mc), decimal digits (Nd), the hyphen, and the listed exceptions.
/// Symbols, punctuation, spaces and emoji are DISALLOWED. (The categories
/// approximate the derived property table: the rare letters it disallows for
/// stability, e.g. some compatibility characters, are already mapped away or
/// refused by UTS-46.)
fn check_a_label(label: &str) -> Result<(), Reject> {
    let (unicode, result) = idna::uts46::Uts46::new().to_unicode(
        label.as_bytes(),
        idna::uts46::AsciiDenyList::STD3,
        idna::uts46::Hyphens::Allow,
    );
    result.map_err(|_| Reject::InvalidIdn)?;
    use icu_properties::CodePointMapData;
    use icu_properties::props::GeneralCategory as Gc;
    let categories = CodePointMapData::<Gc>::new();
    // RFC 5892 §2.6 exceptions (PVALID / CONTEXTO) and the CONTEXTJ joiners.
    const EXCEPTIONS: &[char] = &[
        '\u{00DF}', '\u{03C2}', '\u{06FD}', '\u{06FE}', '\u{0F0B}', '\u{3007}', '\u{00B7}',
        '\u{0375}', '\u{05F3}', '\u{05F4}', '\u{30FB}', '\u{200C}', '\u{200D}',
    ];
    let allowed = |c: char| {
        c == '-'
            || EXCEPTIONS.contains(&c)
            || matches!(
                categories.get(c),
                Gc::LowercaseLetter
                    | Gc::OtherLetter
                    | Gc::ModifierLetter
                    | Gc::NonspacingMark
                    | Gc::SpacingMark
                    | Gc::DecimalNumber
            )
    };
    if unicode.chars().all(allowed) {
        Ok(())
    } else {
        Err(Reject::InvalidIdn)
    }
}

/// Convenience wrapper around [`normalize_into`].
pub fn normalize(input: &str) -> Result<String, Reject> {
    let mut out = String::new();
    normalize_into(input.as_bytes(), &mut out)?;
    Ok(out)
}

/// True when `name` is plain LDH ASCII with sane lengths and no `xn--` label
/// (A-labels are validated by the IDNA path). Length errors are final either
/// way, so they are returned here.
fn fast_path_ok(name: &[u8]) -> Result<bool, Reject> {
    if name.len() > MAX_NAME {
        return Err(Reject::NameTooLong);
    }
    let mut label_len = 0usize;
    let mut plain = true;
    let mut prev = b'.';
    for (i, &b) in name.iter().enumerate() {
        if (prev == b'.' && b == b'-') || (prev == b'-' && b == b'.') {
            return Err(Reject::Hyphen);
        }
        prev = b;
        if b == b'.' {
            if label_len == 0 {
                return Err(Reject::EmptyLabel);
            }
            label_len = 0;
            continue;
        }
        if label_len == 0 && name.len() - i >= 4 && name[i..i + 4].eq_ignore_ascii_case(b"xn--") {
            plain = false;
        }
        label_len += 1;
        if label_len > MAX_LABEL {
            return Err(Reject::LabelTooLong);
        }
        if !(b.is_ascii_alphanumeric() || b == b'-') {
            plain = false;
        }
    }
    if label_len == 0 {
        return Err(Reject::EmptyLabel);
    }
    if prev == b'-' {
        return Err(Reject::Hyphen);
    }
    if name[name.len() - label_len..]
        .iter()
        .all(u8::is_ascii_digit)
    {
        return Err(Reject::NumericTld);
    }
    Ok(plain)
}

fn check_shape(name: &[u8]) -> Result<(), Reject> {
    if name.is_empty() {
        return Err(Reject::Empty);
    }
    if name.len() > MAX_NAME {
        return Err(Reject::NameTooLong);
    }
    for label in name.split(|&b| b == b'.') {
        if label.is_empty() {
            return Err(Reject::EmptyLabel);
        }
        if label.len() > MAX_LABEL {
            return Err(Reject::LabelTooLong);
        }
        if label.starts_with(b"-") || label.ends_with(b"-") {
            return Err(Reject::Hyphen);
        }
        if !label
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return Err(Reject::IllegalCharacter);
        }
    }
    if name
        .rsplit(|&b| b == b'.')
        .next()
        .is_some_and(|tld| tld.iter().all(u8::is_ascii_digit))
    {
        return Err(Reject::NumericTld);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let long_label = "a".repeat(64);
        let ok_label = "a".repeat(63);
        let long_name = format!("{0}.{0}.{0}.{0}", "b".repeat(63)); // 255
        let cases: &[(&str, Result<&str, Reject>)] = &[
            ("Example.BE", Ok("example.be")),
            ("example.be.", Ok("example.be")),
            ("xn--bcher-kva.de", Ok("xn--bcher-kva.de")),
            ("XN--BCHER-KVA.de", Ok("xn--bcher-kva.de")),
            ("bücher.de", Ok("xn--bcher-kva.de")),
            ("BÜCHER.de", Ok("xn--bcher-kva.de")),
            ("a-b.be", Ok("a-b.be")),
            ("", Err(Reject::Empty)),
            (".", Err(Reject::Empty)),
            ("a..be", Err(Reject::EmptyLabel)),
            (".be", Err(Reject::EmptyLabel)),
            (&long_label, Err(Reject::LabelTooLong)),
            (&ok_label, Ok(&ok_label)),
            (&long_name, Err(Reject::NameTooLong)),
            ("under_score.be", Err(Reject::IllegalCharacter)),
            ("sp ace.be", Err(Reject::IllegalCharacter)),
            ("xn--zz.be", Err(Reject::IllegalCharacter)),
            ("a*b.be", Err(Reject::IllegalCharacter)),
            // Issue 18: host-name and IDNA2008 rules, for zones and lists alike.
            ("-lead.ex", Err(Reject::Hyphen)),
            ("trail-.ex", Err(Reject::Hyphen)),
            ("a.-b.ex", Err(Reject::Hyphen)),
            ("ex.b-", Err(Reject::Hyphen)),
            ("in-side.ex", Ok("in-side.ex")),
            ("1.2.3.4", Err(Reject::NumericTld)),
            ("123.be", Ok("123.be")),
            ("xn--zz-invalid.be", Err(Reject::InvalidIdn)),
            ("xn--ls8h.la", Err(Reject::InvalidIdn)), // an emoji: DISALLOWED
            ("XN--ZZ-INVALID.be", Err(Reject::InvalidIdn)),
            ("xn--mnchen-3ya.de", Ok("xn--mnchen-3ya.de")),
            ("xn--fiqs8s.cn", Ok("xn--fiqs8s.cn")), // 中国
        ];
        for (input, want) in cases {
            let got = normalize(input);
            assert_eq!(got.as_deref().map_err(|e| *e), *want, "input {input:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let mut out = String::new();
        assert_eq!(
            normalize_into(b"\xff\xfe.be", &mut out),
            Err(Reject::IllegalCharacter)
        );
    }
}
