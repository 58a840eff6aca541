//! The record grammar's tokens: byte classes, type/TTL/class words, the
//! in-place tokenizer of simple lines (RFC 1035 §5.1).

use std::io::{self, BufRead};

/// Longest physical line kept (anything longer is malformed and skipped).
pub(super) const MAX_LINE: u64 = 64 * 1024;
/// Most physical lines one parenthesised record may span; with `MAX_LINE` this
/// bounds a record's buffer (a stray `(` must not swallow the file).
pub(super) const MAX_RECORD_LINES: u64 = 64;

/// Discards input up to and including the next newline.
pub(super) fn skip_line(r: &mut dyn BufRead) -> io::Result<()> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(p) => {
                r.consume(p + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

// Byte classes of the tokenizer.
pub(super) const NORMAL: u8 = 0;
pub(super) const SPACE: u8 = 1;
pub(super) const ESCAPE: u8 = 2;
pub(super) const QUOTE: u8 = 3;
pub(super) const COMMENT: u8 = 4;
pub(super) const OPEN: u8 = 5;
pub(super) const CLOSE: u8 = 6;

pub(super) const CLASSES: [u8; 256] = {
    let mut t = [NORMAL; 256];
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\r' as usize] = SPACE;
    t[b'\n' as usize] = SPACE;
    t[b'\\' as usize] = ESCAPE;
    t[b'"' as usize] = QUOTE;
    t[b';' as usize] = COMMENT;
    t[b'(' as usize] = OPEN;
    t[b')' as usize] = CLOSE;
    t
};

/// Record types we recognise (RFC 1035 §3.2.2 and the IANA registry); anything
/// else that is not `TYPEnnn` (RFC 3597 §5) marks the line malformed. Common
/// dump types come first.
const TYPES: &[&[u8]] = &[
    b"NS",
    b"A",
    b"AAAA",
    b"DS",
    b"RRSIG",
    b"NSEC",
    b"NSEC3",
    b"SOA",
    b"TXT",
    b"MX",
    b"CNAME",
    b"DNSKEY",
    b"NSEC3PARAM",
    b"CDS",
    b"CDNSKEY",
    b"ZONEMD",
    b"PTR",
    b"SRV",
    b"CAA",
    b"TLSA",
    b"SVCB",
    b"HTTPS",
    b"DNAME",
    b"SPF",
    b"NAPTR",
    b"SSHFP",
    b"LOC",
    b"HINFO",
    b"RP",
    b"AFSDB",
    b"CERT",
    b"IPSECKEY",
    b"DHCID",
    b"OPENPGPKEY",
    b"SMIMEA",
    b"URI",
    b"CSYNC",
    b"KEY",
    b"SIG",
    b"NXT",
    b"KX",
    b"APL",
    b"EUI48",
    b"EUI64",
    b"NID",
    b"L32",
    b"L64",
    b"LP",
    b"HIP",
    b"MD",
    b"MF",
    b"MB",
    b"MG",
    b"MR",
    b"NULL",
    b"WKS",
    b"MINFO",
    b"X25",
    b"ISDN",
    b"RT",
    b"NSAP",
    b"NSAP-PTR",
    b"PX",
    b"GPOS",
    b"A6",
    b"ATMA",
    b"SINK",
    b"TALINK",
    b"NINFO",
    b"RKEY",
    b"AMTRELAY",
    b"RESINFO",
    b"WALLET",
    b"DOA",
    b"AVC",
    b"TA",
    b"DLV",
    b"TKEY",
    b"TSIG",
    b"UINFO",
    b"UID",
    b"GID",
    b"UNSPEC",
    b"EID",
    b"NIMLOC",
];

pub(super) fn is_type(tok: &[u8]) -> bool {
    TYPES.iter().any(|t| t.eq_ignore_ascii_case(tok))
        || (tok.len() > 4
            && tok[..4].eq_ignore_ascii_case(b"TYPE")
            && tok[4..].iter().all(u8::is_ascii_digit))
}

/// [`is_type`] for format sniffing.
pub(crate) fn is_type_pub(tok: &[u8]) -> bool {
    is_type(tok)
}

/// RFC 1035 TTLs are decimal; BIND's unit form (`1h30m`, RFC-less but common)
/// is accepted too.
pub(super) fn is_ttl(tok: &[u8]) -> bool {
    tok.first().is_some_and(u8::is_ascii_digit)
        && tok
            .iter()
            .all(|b| b.is_ascii_digit() || b"smhdwSMHDW".contains(b))
}

pub(super) fn is_class(tok: &[u8]) -> bool {
    matches!(tok.len(), 2)
        && (tok.eq_ignore_ascii_case(b"IN")
            || tok.eq_ignore_ascii_case(b"CH")
            || tok.eq_ignore_ascii_case(b"HS")
            || tok.eq_ignore_ascii_case(b"CS"))
        || (tok.len() > 5
            && tok[..5].eq_ignore_ascii_case(b"CLASS")
            && tok[5..].iter().all(u8::is_ascii_digit))
}

/// The fields of one record: byte ranges into its text.
#[derive(Clone, Copy)]
pub(super) struct Fields<'a> {
    pub(super) rec: &'a [u8],
    pub(super) toks: &'a [(u32, u32)],
}

impl<'a> Fields<'a> {
    pub(super) fn len(&self) -> usize {
        self.toks.len()
    }

    /// Field `i`; callers check `i < len()` first.
    pub(super) fn get(&self, i: usize) -> &'a [u8] {
        let (s, e) = self.toks[i];
        &self.rec[s as usize..e as usize]
    }
}

/// Bytes that may sit inside a field of a simple line ([`simple_line`]):
/// everything from `!` up except `;` (comment), `\` (escape), `"` (quote)
/// and the parentheses, exactly the bytes [`stop_bytes`] does not flag.
/// Blanks end a field; the other control bytes are field bytes to the full
/// tokenizer, so lines with them are left to it.
const FIELD_BYTE: [bool; 256] = {
    let mut t = [true; 256];
    let mut b = 0;
    while b < 0x21 {
        t[b] = false;
        b += 1;
    }
    t[b';' as usize] = false;
    t[b'\\' as usize] = false;
    t[b'"' as usize] = false;
    t[b'(' as usize] = false;
    t[b')' as usize] = false;
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `x` that is zero; exact for the lowest such
/// byte (bytes above it may be flagged by the borrow), which is all
/// [`field_end`] looks at.
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Bytes of `w` (eight of them, little-endian) that end a field of a
/// simple line: below `!` (blanks, newline, other controls), `;`, `\`,
/// `"`, `(` or `)`. Exact for the lowest flagged byte.
fn stop_bytes(w: u64) -> u64 {
    let below_bang = w.wrapping_sub(ONES * 0x21) & !w & HIGHS;
    below_bang
        | zero_bytes(w ^ (ONES * u64::from(b';')))
        | zero_bytes(w ^ (ONES * u64::from(b'\\')))
        | zero_bytes(w ^ (ONES * u64::from(b'"')))
        // `(` and `)` differ only in the lowest bit.
        | zero_bytes((w | ONES) ^ (ONES * u64::from(b')')))
}

/// Where the field starting at `i` ends: the first byte that is not a
/// [`FIELD_BYTE`], eight bytes at a time (SWAR, in safe code: fields
/// are short but lines are many, and a table lookup per byte was the
/// tokenizer's main cost). `None` when `buf` ends first.
fn field_end(buf: &[u8], mut i: usize) -> Option<usize> {
    while let Some(word) = buf.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().ok()?);
        let stops = stop_bytes(w);
        if stops != 0 {
            return Some(i + (stops.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = buf.get(i..)?;
    rest.iter()
        .position(|&b| !FIELD_BYTE[usize::from(b)])
        .map(|p| i + p)
}

/// Tokenises the first line of `buf` in place when it is simple: complete
/// (its newline is in `buf`), at most [`MAX_LINE`] bytes, and free of
/// escapes, quotes and parentheses, so its fields are just the runs between
/// blanks up to the end or a `;` comment (RFC 1035 §5.1). Returns the
/// line's length with its newline and whether it has any field (a blank or
/// comment-only line has none), with the fields' ranges in `toks`; `None`
/// leaves the line to the full tokenizer.
pub(super) fn simple_line(buf: &[u8], toks: &mut Vec<(u32, u32)>) -> Option<(usize, bool)> {
    toks.clear();
    let mut i = 0;
    // Branches ordered by how often they are taken (a field follows a
    // blank, a blank follows a field), so that they predict well: a jump
    // table over the byte class mispredicted on nearly every byte class
    // change and cost more than the scanning.
    let end = loop {
        if i > MAX_LINE as usize {
            return None;
        }
        let b = *buf.get(i)?;
        if b == b'\t' || b == b' ' {
            i += 1;
            continue;
        }
        if FIELD_BYTE[usize::from(b)] {
            let start = i;
            i = field_end(buf, i)?;
            toks.push((u32::try_from(start).ok()?, u32::try_from(i).ok()?));
            continue;
        }
        match b {
            b'\n' => break i,
            b'\r' => i += 1,
            b';' => break i + buf.get(i..)?.iter().position(|&b| b == b'\n')?,
            _ => return None,
        }
    };
    let len = end + 1;
    (len as u64 <= MAX_LINE).then_some((len, !toks.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn token_classes() {
        assert!(is_ttl(b"3600") && is_ttl(b"1h30m") && !is_ttl(b"h1") && !is_ttl(b"IN"));
        assert!(is_class(b"in") && is_class(b"CLASS1") && !is_class(b"NS"));
        assert!(is_type(b"ns") && is_type(b"TYPE65534") && !is_type(b"FOO") && !is_type(b"TYPE"));
    }
}
