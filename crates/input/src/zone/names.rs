//! Domain names as length-prefixed labels, and RFC 1035 §5.1 name syntax.

use crate::normalize::{MAX_LABEL, MAX_NAME, Reject};

/// A domain name as length-prefixed, ASCII-lowercased labels (wire-like, without
/// the root label), so comparisons ignore escape spelling and case (RFC 4343).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Name {
    wire: Vec<u8>,
    labels: usize,
}

impl Name {
    pub(super) fn clear(&mut self) {
        self.wire.clear();
        self.labels = 0;
    }

    pub(super) fn copy_from(&mut self, other: &Name) {
        self.wire.clear();
        self.wire.extend_from_slice(&other.wire);
        self.labels = other.labels;
    }

    /// Presentation text without trailing dot; an escaped dot inside a label
    /// cannot be represented in a host name and is refused.
    pub(super) fn text_into(&self, out: &mut Vec<u8>) -> Result<(), Reject> {
        out.clear();
        let mut i = 0;
        while i < self.wire.len() {
            let len = usize::from(self.wire[i]);
            let label = &self.wire[i + 1..i + 1 + len];
            if label.contains(&b'.') {
                return Err(Reject::IllegalCharacter);
            }
            if !out.is_empty() {
                out.push(b'.');
            }
            out.extend_from_slice(label);
            i += 1 + len;
        }
        Ok(())
    }

    /// The normalised text of a name whose labels are all lowercase LDH
    /// (`a-z`, `0-9`, `-`; `parse_name` already lowercased ASCII) and none
    /// starts with `xn--`, within the length limits: for such a name
    /// [`Name::text_into`] followed by [`normalize_into`](crate::normalize::normalize_into) yields exactly this
    /// lowercase copy, so the IDNA tables and the intermediate buffer are
    /// skipped. `None` (anything else: non-ASCII, `_`, escaped dots, A-labels
    /// that need validating, the root) means: take the general path.
    pub(super) fn plain_text(&self) -> Option<String> {
        // Presentation length: the label bytes plus one dot between labels.
        let len = self.wire.len().checked_sub(1)?;
        if self.labels == 0 || len > MAX_NAME {
            return None;
        }
        // Length bytes become dots; labels were checked non-empty and at
        // most 63 octets when parsed. Like `plain_absolute_host`: one pass
        // without branches on the data, labels looked at only on a `--`.
        let mut out = String::with_capacity(len);
        let mut ldh = true;
        let mut dash_dash = false;
        let mut edge_hyphen = false;
        let mut prev = 0u8;
        let mut next_len = 0usize;
        for (i, &b) in self.wire.iter().enumerate() {
            let is_len = i == next_len;
            next_len += if is_len { usize::from(b) + 1 } else { 0 };
            let c = if is_len { b'.' } else { b };
            ldh &= LDH_OR_DOT[usize::from(c)] & (c != b'.' || is_len);
            dash_dash |= (prev == b'-') & (c == b'-');
            edge_hyphen |= ((prev == b'.') & (c == b'-')) | ((prev == b'-') & (c == b'.'));
            prev = c;
            if i > 0 {
                out.push(char::from(c));
            }
        }
        // A label starting or ending with a hyphen, or an all-digit last
        // label, is refused by normalisation: leave it to that path.
        if !ldh || edge_hyphen || prev == b'-' || numeric_tld(out.as_bytes()) {
            return None;
        }
        if dash_dash && out.split('.').any(|label| label.starts_with("xn--")) {
            return None;
        }
        Some(out)
    }

    /// True when `self` is exactly `depth` labels below `apex`.
    pub(super) fn is_below(&self, apex: &Name, depth: usize) -> bool {
        if self.labels != apex.labels + depth {
            return false;
        }
        let mut i = 0;
        for _ in 0..depth {
            i += 1 + usize::from(self.wire[i]);
        }
        self.wire[i..] == apex.wire[..]
    }

    /// The last `n` labels.
    pub(super) fn suffix(&self, n: usize) -> Name {
        let mut i = 0;
        for _ in 0..self.labels.saturating_sub(n) {
            i += 1 + usize::from(self.wire[i]);
        }
        Name {
            wire: self.wire[i..].to_vec(),
            labels: self.labels.min(n),
        }
    }
}

#[derive(Debug)]
pub(super) enum NameError {
    NoOrigin,
    Bad(Reject),
}

/// Parses a name token (RFC 1035 §5.1: `@`, relative names completed with the
/// origin, `\X` and `\DDD` escapes) into `out`.
pub(super) fn parse_name(
    tok: &[u8],
    origin: Option<&Name>,
    out: &mut Name,
) -> Result<(), NameError> {
    out.clear();
    if tok == b"@" {
        let o = origin.ok_or(NameError::NoOrigin)?;
        out.copy_from(o);
        return Ok(());
    }
    if tok == b"." {
        return Ok(());
    }
    if !tok.contains(&b'\\') {
        return parse_plain_name(tok, origin, out);
    }
    let mut label_start = 0usize;
    out.wire.push(0);
    let mut i = 0;
    let mut absolute = false;
    while i < tok.len() {
        let b = tok[i];
        let byte = match b {
            b'\\' => {
                let rest = &tok[i + 1..];
                if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                    let v = u32::from(rest[0] - b'0') * 100
                        + u32::from(rest[1] - b'0') * 10
                        + u32::from(rest[2] - b'0');
                    i += 4;
                    u8::try_from(v).map_err(|_| NameError::Bad(Reject::IllegalCharacter))?
                } else if let Some(&c) = rest.first() {
                    i += 2;
                    c
                } else {
                    return Err(NameError::Bad(Reject::IllegalCharacter));
                }
            }
            b'.' => {
                let len = out.wire.len() - label_start - 1;
                if len == 0 {
                    return Err(NameError::Bad(Reject::EmptyLabel));
                }
                out.wire[label_start] = len as u8;
                out.labels += 1;
                i += 1;
                if i == tok.len() {
                    absolute = true;
                } else {
                    label_start = out.wire.len();
                    out.wire.push(0);
                }
                continue;
            }
            _ => {
                i += 1;
                b
            }
        };
        out.wire.push(byte.to_ascii_lowercase());
        if out.wire.len() - label_start - 1 > MAX_LABEL {
            return Err(NameError::Bad(Reject::LabelTooLong));
        }
    }
    if !absolute {
        let len = out.wire.len() - label_start - 1;
        if len == 0 {
            return Err(NameError::Bad(Reject::EmptyLabel));
        }
        out.wire[label_start] = len as u8;
        out.labels += 1;
        let o = origin.ok_or(NameError::NoOrigin)?;
        out.wire.extend_from_slice(&o.wire);
        out.labels += o.labels;
    }
    Ok(())
}

/// [`parse_name`] for a token without escapes (nearly all of them): whole
/// labels are copied and lowercased at once instead of byte by byte. Errors
/// come in the same order as the general loop's (labels left to right, the
/// missing origin last), so both paths report alike.
fn parse_plain_name(tok: &[u8], origin: Option<&Name>, out: &mut Name) -> Result<(), NameError> {
    let (body, absolute) = match tok.strip_suffix(b".") {
        Some(body) => (body, true),
        None => (tok, false),
    };
    out.wire
        .reserve(body.len() + 1 + origin.map_or(0, |o| o.wire.len()));
    for label in body.split(|&b| b == b'.') {
        if label.is_empty() {
            return Err(NameError::Bad(Reject::EmptyLabel));
        }
        if label.len() > MAX_LABEL {
            return Err(NameError::Bad(Reject::LabelTooLong));
        }
        // Checked just above: a label is at most 63 octets.
        out.wire.push(label.len() as u8);
        let start = out.wire.len();
        out.wire.extend_from_slice(label);
        out.wire[start..].make_ascii_lowercase();
        out.labels += 1;
    }
    if !absolute {
        let o = origin.ok_or(NameError::NoOrigin)?;
        out.wire.extend_from_slice(&o.wire);
        out.labels += o.labels;
    }
    Ok(())
}

/// `tok` without its final dot, as a new `String`, when it is an absolute
/// name of lowercase LDH labels (none empty, none over 63 octets, none
/// starting `xn--`, at most 253 octets in all): exactly what `parse_name`,
/// [`Name::plain_text`] and [`normalize_into`](crate::normalize::normalize_into) would make of it. `None`:
/// take the general path.
pub(super) fn plain_absolute_host(tok: &[u8]) -> Option<String> {
    let body = tok.strip_suffix(b".")?;
    if body.is_empty() || body.len() > MAX_NAME {
        return None;
    }
    // One pass with no branch on the data: hosts are short and many, and a
    // branch per dot or per label mispredicted (callgrind --branch-sim).
    let mut ldh = true;
    let mut empty_label = false;
    let mut dash_dash = false;
    let mut edge_hyphen = false;
    // As if a dot came before the first label, so a leading dot is empty.
    let mut prev = b'.';
    for &b in body {
        ldh &= LDH_OR_DOT[usize::from(b)];
        empty_label |= (prev == b'.') & (b == b'.');
        dash_dash |= (prev == b'-') & (b == b'-');
        edge_hyphen |= ((prev == b'.') & (b == b'-')) | ((prev == b'-') & (b == b'.'));
        prev = b;
    }
    empty_label |= prev == b'.';
    edge_hyphen |= prev == b'-';
    // What normalisation refuses (hyphen at a label's edge, an all-digit
    // last label) takes the general path, which reports it.
    if !ldh || empty_label || edge_hyphen || numeric_tld(body) {
        return None;
    }
    // A label over 63 octets needs a name over 63 octets, and an `xn--`
    // label needs a `--`: only then are the labels looked at one by one.
    if (body.len() > MAX_LABEL || dash_dash)
        && body
            .split(|&b| b == b'.')
            .any(|label| label.len() > MAX_LABEL || label.starts_with(b"xn--"))
    {
        return None;
    }
    Some(ascii_string(body))
}

/// Whether the last label of `name` (no trailing dot) is all digits.
fn numeric_tld(name: &[u8]) -> bool {
    name.rsplit(|&b| b == b'.')
        .next()
        .is_some_and(|tld| tld.iter().all(u8::is_ascii_digit))
}

/// `bytes`, all ASCII (checked by the caller), as a `String`. Pushing
/// ASCII chars into a sized `String` is cheaper than validating short
/// byte strings as UTF-8, which showed up in the reader's profile.
fn ascii_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    s.extend(bytes.iter().map(|&b| char::from(b)));
    s
}

/// [`LDH`] bytes and the dot.
const LDH_OR_DOT: [bool; 256] = {
    let mut t = LDH;
    t[b'.' as usize] = true;
    t
};

/// Bytes of a lowercase LDH host-name label (RFC 1123 §2.1).
const LDH: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-';
        b += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str, origin: Option<&str>) -> Result<Name, NameError> {
        let o = origin.map(|o| {
            let mut n = Name::default();
            parse_name(o.as_bytes(), None, &mut n).unwrap();
            n
        });
        let mut n = Name::default();
        parse_name(s.as_bytes(), o.as_ref(), &mut n).map(|()| n)
    }

    fn text(n: &Name) -> String {
        let mut v = Vec::new();
        n.text_into(&mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn parse_name_table() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            ("Example.BE.", None, Some("example.be")),
            ("example", Some("be."), Some("example.be")),
            ("@", Some("be."), Some("be")),
            ("ex\\097mple.be.", None, Some("example.be")),
            ("ex\\.ample.be.", None, None), // parses, but text refuses the dot
            ("a..be.", None, None),
            ("example", None, None),
            ("\\999.be.", None, None),
        ];
        for (input, origin, want) in cases {
            let got = name(input, *origin).ok().and_then(|n| {
                let mut v = Vec::new();
                n.text_into(&mut v)
                    .ok()
                    .map(|()| String::from_utf8(v).unwrap())
            });
            assert_eq!(got.as_deref(), *want, "{input:?} origin {origin:?}");
        }
    }

    #[test]
    fn below_apex() {
        let apex = name("co.uk.", None).unwrap();
        let d = name("shop.co.uk.", None).unwrap();
        let deep = name("a.shop.co.uk.", None).unwrap();
        assert!(d.is_below(&apex, 1));
        assert!(!deep.is_below(&apex, 1));
        assert!(deep.is_below(&apex, 2));
        assert!(!apex.is_below(&apex, 1));
        let other = name("shop.co.ux.", None).unwrap();
        assert!(!other.is_below(&apex, 1));
        assert_eq!(text(&d.suffix(1)), "uk");
    }
}
