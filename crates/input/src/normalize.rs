//! Domain-name normalisation: lowercase A-labels, no trailing dot.
//!
//! Names that are already lowercase-able LDH ASCII (RFC 1123 §2.1 host names)
//! take a fast path that never touches the IDNA tables. Everything else goes
//! through UTS-46 processing (`idna` crate) with the STD3 ASCII deny list, so a
//! U-label becomes its `xn--` A-label (RFC 5891 §4) and characters that cannot
//! appear in a host name are refused.

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
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reject::Empty => "empty name",
            Reject::EmptyLabel => "empty label",
            Reject::LabelTooLong => "label longer than 63 octets",
            Reject::NameTooLong => "name longer than 253 octets",
            Reject::IllegalCharacter => "illegal character or invalid IDN",
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
    out.push_str(&mapped);
    Ok(())
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
    for (i, &b) in name.iter().enumerate() {
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
        if !label
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return Err(Reject::IllegalCharacter);
        }
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
