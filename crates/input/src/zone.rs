//! Streaming reader for RFC 1035 §5.1 master files ("zone dumps").
//!
//! One logical record at a time is tokenised: comments (`;` outside quotes,
//! RFC 1035 §5.1) are dropped, parentheses join physical lines, quoted
//! strings and backslash escapes keep their delimiters inside a token. A line
//! that is whole in the reader's buffer and has no quote, escape or
//! parenthesis (nearly every line of a dump) is split in place
//! ([`simple_line`]); any other goes through the full tokenizer, which copies
//! lines into a reusable buffer. Only what the census needs is interpreted:
//! the owner, TTL/class (in either order), the type, and the first rdata
//! field of NS records.
//!
//! Delegations are the owners of NS records exactly `depth` labels below the
//! zone apex. The apex is the owner of the first SOA record; before any SOA it
//! is the current `$ORIGIN`; with neither (a headerless list of records) the
//! last label of the owner is taken as the apex, i.e. a TLD dump is assumed.
//!
//! A domain is emitted when its run of consecutive same-owner records ends
//! (dumps sort by owner, so NS, DS and the like sit together). A later,
//! non-adjacent run of NS records for the same owner cannot be merged without
//! keeping every domain in memory; it is emitted again and the reader's dedupe
//! counts it as a duplicate (its NS hosts are not merged).

use std::io::{self, BufRead, Read};

use crate::normalize::{MAX_LABEL, MAX_NAME, Reject, normalize_into};
use xxhash_rust::xxh3::xxh3_64;

use crate::{Ctx, InputError};

/// A delegation found in the zone, before sharding and dedupe.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub name: String,
    pub ns_hosts: Vec<String>,
    pub line: u64,
}

/// A domain name as length-prefixed, ASCII-lowercased labels (wire-like, without
/// the root label), so comparisons ignore escape spelling and case (RFC 4343).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Name {
    wire: Vec<u8>,
    labels: usize,
}

impl Name {
    fn clear(&mut self) {
        self.wire.clear();
        self.labels = 0;
    }

    fn copy_from(&mut self, other: &Name) {
        self.wire.clear();
        self.wire.extend_from_slice(&other.wire);
        self.labels = other.labels;
    }

    /// Presentation text without trailing dot; an escaped dot inside a label
    /// cannot be represented in a host name and is refused.
    fn text_into(&self, out: &mut Vec<u8>) -> Result<(), Reject> {
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
    /// [`Name::text_into`] followed by [`normalize_into`] yields exactly this
    /// lowercase copy, so the IDNA tables and the intermediate buffer are
    /// skipped. `None` (anything else: non-ASCII, `_`, escaped dots, A-labels
    /// that need validating, the root) means: take the general path.
    fn plain_text(&self) -> Option<String> {
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
        let mut prev = 0u8;
        let mut next_len = 0usize;
        for (i, &b) in self.wire.iter().enumerate() {
            let is_len = i == next_len;
            next_len += if is_len { usize::from(b) + 1 } else { 0 };
            let c = if is_len { b'.' } else { b };
            ldh &= LDH_OR_DOT[usize::from(c)] & (c != b'.' || is_len);
            dash_dash |= (prev == b'-') & (c == b'-');
            prev = c;
            if i > 0 {
                out.push(char::from(c));
            }
        }
        if !ldh {
            return None;
        }
        if dash_dash && out.split('.').any(|label| label.starts_with("xn--")) {
            return None;
        }
        Some(out)
    }

    /// True when `self` is exactly `depth` labels below `apex`.
    fn is_below(&self, apex: &Name, depth: usize) -> bool {
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
    fn suffix(&self, n: usize) -> Name {
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
enum NameError {
    NoOrigin,
    Bad(Reject),
}

/// Parses a name token (RFC 1035 §5.1: `@`, relative names completed with the
/// origin, `\X` and `\DDD` escapes) into `out`.
fn parse_name(tok: &[u8], origin: Option<&Name>, out: &mut Name) -> Result<(), NameError> {
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
/// [`Name::plain_text`] and [`normalize_into`] would make of it. `None`:
/// take the general path.
fn plain_absolute_host(tok: &[u8]) -> Option<String> {
    let body = tok.strip_suffix(b".")?;
    if body.is_empty() || body.len() > MAX_NAME {
        return None;
    }
    // One pass with no branch on the data: hosts are short and many, and a
    // branch per dot or per label mispredicted (callgrind --branch-sim).
    let mut ldh = true;
    let mut empty_label = false;
    let mut dash_dash = false;
    // As if a dot came before the first label, so a leading dot is empty.
    let mut prev = b'.';
    for &b in body {
        ldh &= LDH_OR_DOT[usize::from(b)];
        empty_label |= (prev == b'.') & (b == b'.');
        dash_dash |= (prev == b'-') & (b == b'-');
        prev = b;
    }
    empty_label |= prev == b'.';
    if !ldh || empty_label {
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

/// `bytes`, all ASCII (checked by the caller), as a `String`. Pushing
/// ASCII chars into a sized `String` is cheaper than validating short
/// byte strings as UTF-8, which the profile showed at 5% of the reader.
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

/// Slots of the NS-host cache (a power of two, in sets of two). Only hosts
/// that miss the [`plain_absolute_host`] shortcut (uppercase, relative, IDN)
/// come here; 4 Ki slots of 48 bytes stay in the L2 cache (a 64 Ki-slot
/// version measured slower: its misses cost more than re-parsing).
const NS_CACHE: usize = 1 << 12;

/// One NS-cache slot: the raw token, under which `$ORIGIN`, and its host.
#[derive(Debug)]
struct NsEntry {
    origin_gen: u64,
    key: Box<[u8]>,
    host: String,
}

/// Longest physical line kept (anything longer is malformed and skipped).
const MAX_LINE: u64 = 64 * 1024;
/// Most physical lines one parenthesised record may span; with `MAX_LINE` this
/// bounds a record's buffer (a stray `(` must not swallow the file).
const MAX_RECORD_LINES: u64 = 64;

/// Discards input up to and including the next newline.
fn skip_line(r: &mut dyn BufRead) -> io::Result<()> {
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
const NORMAL: u8 = 0;
const SPACE: u8 = 1;
const ESCAPE: u8 = 2;
const QUOTE: u8 = 3;
const COMMENT: u8 = 4;
const OPEN: u8 = 5;
const CLOSE: u8 = 6;

const CLASSES: [u8; 256] = {
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

fn is_type(tok: &[u8]) -> bool {
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
fn is_ttl(tok: &[u8]) -> bool {
    tok.first().is_some_and(u8::is_ascii_digit)
        && tok
            .iter()
            .all(|b| b.is_ascii_digit() || b"smhdwSMHDW".contains(b))
}

fn is_class(tok: &[u8]) -> bool {
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
struct Fields<'a> {
    rec: &'a [u8],
    toks: &'a [(u32, u32)],
}

impl<'a> Fields<'a> {
    fn len(&self) -> usize {
        self.toks.len()
    }

    /// Field `i`; callers check `i < len()` first.
    fn get(&self, i: usize) -> &'a [u8] {
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
fn simple_line(buf: &[u8], toks: &mut Vec<(u32, u32)>) -> Option<(usize, bool)> {
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

/// The zone parser's state between records; all buffers are reused.
pub(crate) struct ZoneParser {
    depth: usize,
    origin: Option<Name>,
    apex: Option<Name>,
    apex_text: Option<std::sync::Arc<str>>,
    /// Owner of the current run of records.
    owner: Name,
    has_owner: bool,
    /// The current owner was rejected: its records are skipped silently.
    skip_run: bool,
    /// Raw owner token of the previous record, to skip re-parsing repeats.
    owner_tok: Vec<u8>,
    owner_line: u64,
    ns: Vec<String>,
    /// Raw NS token → normalised host, direct-mapped; cleared on `$ORIGIN`.
    ns_cache: Vec<Option<NsEntry>>,
    /// Bumped by every `$ORIGIN`; cache entries of older origins are stale.
    origin_gen: u64,
    scratch: Name,
    text: Vec<u8>,
    line: Vec<u8>,
    rec: Vec<u8>,
    toks: Vec<(u32, u32)>,
    line_no: u64,
    eof: bool,
}

impl ZoneParser {
    pub(crate) fn new(depth: usize) -> Self {
        Self {
            depth,
            origin: None,
            apex: None,
            apex_text: None,
            owner: Name::default(),
            has_owner: false,
            skip_run: false,
            owner_tok: Vec::new(),
            owner_line: 0,
            ns: Vec::new(),
            ns_cache: std::iter::repeat_with(|| None).take(NS_CACHE).collect(),
            origin_gen: 0,
            scratch: Name::default(),
            text: Vec::new(),
            line: Vec::with_capacity(256),
            rec: Vec::with_capacity(256),
            toks: Vec::with_capacity(16),
            line_no: 0,
            eof: false,
        }
    }

    /// The zone apex as text (no trailing dot), once known.
    pub(crate) fn apex(&self) -> Option<std::sync::Arc<str>> {
        self.apex_text.clone()
    }

    /// Reads one logical record into `rec`/`toks`. Returns the record's first
    /// line number and whether its owner field was blank, or `None` at EOF.
    ///
    /// Physical lines are appended to `rec` as they are (one copy, by
    /// `read_until`) and tokens are byte ranges into it: escapes and quotes
    /// stay inside their token, so nothing is copied byte by byte.
    fn next_record(
        &mut self,
        r: &mut dyn BufRead,
        ctx: &mut Ctx,
        toks: &mut Vec<(u32, u32)>,
    ) -> io::Result<Option<(u64, bool)>> {
        // A loop, not recursion, restarts after a malformed line: a file of
        // millions of bad lines must not grow the stack.
        'record: loop {
            self.rec.clear();
            toks.clear();
            let mut depth = 0u32;
            let mut first_line = 0u64;
            let mut blank_owner = false;
            let mut started = false;
            loop {
                let line_start = self.rec.len();
                let got = (&mut *r).take(MAX_LINE).read_until(b'\n', &mut self.rec)?;
                if got as u64 == MAX_LINE && self.rec.last() != Some(&b'\n') {
                    // Bounded memory whatever the input: skip the rest of an
                    // absurdly long line instead of buffering it.
                    self.line_no += 1;
                    ctx.stats.lines += 1;
                    ctx.malformed(self.line_no, "line longer than 64 KiB");
                    skip_line(r)?;
                    continue 'record;
                }
                if got == 0 {
                    if depth > 0 {
                        ctx.malformed(first_line, "unbalanced '(' at end of input");
                        toks.clear();
                    }
                    return Ok(if toks.is_empty() {
                        None
                    } else {
                        Some((first_line, blank_owner))
                    });
                }
                self.line_no += 1;
                ctx.stats.lines += 1;
                if !started {
                    first_line = self.line_no;
                    blank_owner = matches!(self.rec.get(line_start), Some(b' ' | b'\t'));
                }
                let rec = &self.rec;
                let n = rec.len();
                let mut i = line_start;
                let mut in_quote = false;
                while i < n {
                    // Skip separators.
                    let class = CLASSES[usize::from(rec[i])];
                    match class {
                        SPACE => {
                            i += 1;
                            continue;
                        }
                        COMMENT => break,
                        OPEN => {
                            depth += 1;
                            i += 1;
                            continue;
                        }
                        CLOSE => {
                            if depth == 0 {
                                ctx.malformed(self.line_no, "unbalanced ')'");
                                continue 'record;
                            }
                            depth -= 1;
                            i += 1;
                            continue;
                        }
                        _ => {}
                    }
                    // A token: runs until an unquoted, unescaped separator.
                    // Ordinary bytes are skipped in a tight loop; only the
                    // rare escape and quote bytes take the slower branches.
                    let tok_start = i;
                    loop {
                        // `position` over the slice needs no per-byte bounds
                        // check, so this loop is a load, a lookup and a branch.
                        i += rec[i..]
                            .iter()
                            .position(|&b| CLASSES[usize::from(b)] != NORMAL)
                            .unwrap_or(n - i);
                        if i >= n {
                            break;
                        }
                        match CLASSES[usize::from(rec[i])] {
                            ESCAPE => {
                                i += if rec.get(i + 1).is_some_and(|&c| c != b'\n') {
                                    2
                                } else {
                                    1
                                }
                            }
                            QUOTE => {
                                // A quoted string ends at the next unescaped
                                // quote; a newline first leaves it open.
                                in_quote = true;
                                i += 1;
                                while i < n {
                                    match rec[i] {
                                        b'"' => {
                                            in_quote = false;
                                            i += 1;
                                            break;
                                        }
                                        b'\\' => i += 2,
                                        b'\n' => break,
                                        _ => i += 1,
                                    }
                                }
                                if in_quote {
                                    break;
                                }
                            }
                            _ => break,
                        }
                    }
                    let end = i.min(n);
                    toks.push((tok_start as u32, end as u32));
                    if in_quote {
                        break;
                    }
                }
                if in_quote {
                    ctx.malformed(self.line_no, "unterminated quoted string");
                    self.discard_rest(r, ctx, depth)?;
                    continue 'record;
                }
                if !toks.is_empty() || depth > 0 {
                    started = true;
                }
                if depth == 0 && !toks.is_empty() {
                    return Ok(Some((first_line, blank_owner)));
                }
                if !started {
                    // A blank or comment-only line: drop it from `rec`.
                    self.rec.truncate(line_start);
                } else if self.line_no - first_line >= MAX_RECORD_LINES {
                    ctx.malformed(first_line, "record spans too many lines (unbalanced '(')");
                    continue 'record;
                }
            }
        }
    }

    /// After a malformed line inside parentheses, skips to the closing one so
    /// the continuation lines are not misread as records.
    fn discard_rest(
        &mut self,
        r: &mut dyn BufRead,
        ctx: &mut Ctx,
        mut depth: u32,
    ) -> io::Result<()> {
        let mut lines = 0;
        while depth > 0 && lines < MAX_RECORD_LINES {
            self.line.clear();
            let got = (&mut *r).take(MAX_LINE).read_until(b'\n', &mut self.line)?;
            if got == 0 {
                return Ok(());
            }
            if self.line.last() != Some(&b'\n') {
                skip_line(r)?;
            }
            lines += 1;
            self.line_no += 1;
            ctx.stats.lines += 1;
            for &b in &self.line {
                match b {
                    b'(' => depth += 1,
                    b')' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Reads records until a delegation's run ends; `None` at end of input.
    pub(crate) fn next_candidate(
        &mut self,
        r: &mut dyn BufRead,
        ctx: &mut Ctx,
    ) -> Result<Option<Candidate>, ZoneError> {
        // Taken out for the call so that records can borrow their fields
        // while the parser state is updated; put back to keep its capacity.
        let mut toks = std::mem::take(&mut self.toks);
        let got = self.next_candidate_with(r, ctx, &mut toks);
        self.toks = toks;
        got
    }

    /// [`ZoneParser::next_candidate`] with the token buffer lent out.
    ///
    /// Two tokenizers read the same grammar. Nearly every line of a dump is
    /// one record whose bytes are already in the reader's buffer and holds no
    /// quote, escape or parenthesis: [`simple_line`] tokenises it in place,
    /// with no copy and no call per line into the reader. Anything else (a
    /// line cut by the end of the buffer, parentheses, quotes, escapes, an
    /// overlong line, the end of the input) goes to [`ZoneParser::next_record`],
    /// which handles the whole of RFC 1035 §5.1, for one record; then the
    /// fast path resumes. Both feed [`ZoneParser::record`], and a test reads
    /// random zone text through buffers of every size to hold them equal.
    fn next_candidate_with(
        &mut self,
        r: &mut dyn BufRead,
        ctx: &mut Ctx,
        toks: &mut Vec<(u32, u32)>,
    ) -> Result<Option<Candidate>, ZoneError> {
        loop {
            if self.eof {
                return Ok(None);
            }
            let buf = r.fill_buf().map_err(ZoneError::Io)?;
            let available = buf.len();
            let mut used = 0;
            let mut got = Ok(None);
            while let Some((len, has_fields)) = buf.get(used..).and_then(|b| simple_line(b, toks)) {
                let line = &buf[used..used + len];
                used += len;
                self.line_no += 1;
                ctx.stats.lines += 1;
                if has_fields {
                    let blank = matches!(line.first(), Some(b' ' | b'\t'));
                    let fields = Fields { rec: line, toks };
                    got = self.record(fields, self.line_no, blank, ctx);
                    if !matches!(got, Ok(None)) {
                        break;
                    }
                }
            }
            r.consume(used);
            if !matches!(got, Ok(None)) {
                return got;
            }
            if used == available && available > 0 {
                // The buffer ended on a line boundary: refill and stay fast.
                continue;
            }
            let Some((line, blank)) = self.next_record(r, ctx, toks).map_err(ZoneError::Io)? else {
                self.eof = true;
                return Ok(self.finish_run(ctx));
            };
            let rec = std::mem::take(&mut self.rec);
            let fields = Fields { rec: &rec, toks };
            let got = self.record(fields, line, blank, ctx);
            self.rec = rec;
            if !matches!(got, Ok(None)) {
                return got;
            }
        }
    }

    /// Interprets one tokenised record; returns the previous run's domain when
    /// this record starts a new owner.
    fn record(
        &mut self,
        fields: Fields<'_>,
        line: u64,
        blank: bool,
        ctx: &mut Ctx,
    ) -> Result<Option<Candidate>, ZoneError> {
        let first = fields.get(0);
        if !blank && first.first() == Some(&b'$') {
            return self.directive(fields, line, ctx).map(|()| None);
        }
        let mut idx = 0;
        let mut finished = None;
        if blank {
            if self.skip_run {
                return Ok(None);
            }
            if !self.has_owner {
                ctx.malformed(line, "blank owner with no previous owner");
                return Ok(None);
            }
        } else {
            idx = 1;
            if self.skip_run && first == self.owner_tok.as_slice() {
                // More records of an owner already rejected: reported once.
                return Ok(None);
            }
            if !(self.has_owner && first == self.owner_tok.as_slice()) {
                let origin = self.origin.as_ref();
                match parse_name(first, origin, &mut self.scratch) {
                    Ok(()) => {}
                    Err(NameError::NoOrigin) => {
                        ctx.malformed(line, "relative owner name with no $ORIGIN");
                        return Ok(None);
                    }
                    Err(NameError::Bad(why)) => {
                        // Still a new owner: end the previous run, skip this one.
                        self.owner_tok.clear();
                        self.owner_tok.extend_from_slice(first);
                        finished = self.finish_run(ctx);
                        ctx.rejected(line, first, why);
                        self.has_owner = false;
                        self.skip_run = true;
                        return Ok(finished);
                    }
                }
                self.skip_run = false;
                if !self.has_owner || self.scratch != self.owner {
                    finished = self.finish_run(ctx);
                    std::mem::swap(&mut self.owner, &mut self.scratch);
                    self.has_owner = true;
                    self.owner_line = line;
                }
                self.owner_tok.clear();
                self.owner_tok.extend_from_slice(first);
            }
        }
        // TTL and class, in either order (RFC 1035 §5.1).
        let (mut ttl, mut class) = (false, false);
        while idx < fields.len() {
            let t = fields.get(idx);
            if !ttl && is_ttl(t) {
                ttl = true;
            } else if !class && is_class(t) {
                class = true;
            } else {
                break;
            }
            idx += 1;
        }
        if idx >= fields.len() {
            ctx.malformed(line, "missing record type");
            return Ok(finished);
        }
        let rtype_idx = idx;
        let rdata = fields.len() - idx - 1;
        let rtype = fields.get(rtype_idx);
        if rtype.eq_ignore_ascii_case(b"NS") {
            ctx.stats.records += 1;
            if rdata != 1 {
                ctx.malformed(line, "NS record needs exactly one name server");
                return Ok(finished);
            }
            self.add_ns(fields.get(rtype_idx + 1), line, ctx);
        } else if is_type(rtype) {
            ctx.stats.records += 1;
            if rtype.eq_ignore_ascii_case(b"SOA") && self.apex.is_none() {
                if rdata != 7 {
                    ctx.malformed(line, "SOA record needs 7 fields");
                    return Ok(finished);
                }
                self.set_apex(self.owner.clone());
            }
        } else {
            ctx.malformed(line, "unknown record type or stray field");
        }
        Ok(finished)
    }

    fn set_apex(&mut self, apex: Name) {
        let mut text = Vec::new();
        self.apex_text = apex
            .text_into(&mut text)
            .ok()
            .and_then(|()| String::from_utf8(text).ok())
            .map(|s| std::sync::Arc::from(s.to_ascii_lowercase()));
        self.apex = Some(apex);
    }

    fn add_ns(&mut self, tok: &[u8], line: u64, ctx: &mut Ctx) {
        // Nearly every NS target in a dump is written absolute, in lowercase
        // LDH: then the host is the token without its dot, and neither the
        // name parser nor the cache below is needed.
        if let Some(host) = plain_absolute_host(tok) {
            if !self.ns.contains(&host) {
                self.ns.push(host);
            }
            return;
        }
        // Dumps name the same operator hosts millions of times: a bounded
        // two-way set-associative cache (raw token -> normalised host) skips
        // re-parsing and re-normalising them. Entries of an earlier $ORIGIN
        // are stale (a relative token meant another name) and never match.
        let h = xxh3_64(tok);
        let set = (h as usize) & (NS_CACHE - 1) & !1;
        for slot in [set, set | 1] {
            if let Some(entry) = &self.ns_cache[slot]
                && entry.origin_gen == self.origin_gen
                && *entry.key == *tok
            {
                if !self.ns.contains(&entry.host) {
                    self.ns.push(entry.host.clone());
                }
                return;
            }
        }
        let res = match parse_name(tok, self.origin.as_ref(), &mut self.scratch) {
            Ok(()) => match self.scratch.plain_text() {
                Some(host) => Ok(host),
                None => {
                    let mut host = String::new();
                    self.scratch
                        .text_into(&mut self.text)
                        .and_then(|()| normalize_into(&self.text, &mut host))
                        .map(|()| host)
                }
            },
            Err(NameError::NoOrigin) => {
                ctx.malformed(line, "relative NS host with no $ORIGIN");
                return;
            }
            Err(NameError::Bad(why)) => Err(why),
        };
        match res {
            Ok(host) => {
                if !self.ns.contains(&host) {
                    self.ns.push(host.clone());
                }
                // Victim: an empty or stale way first, else one chosen by a
                // hash bit (cheap, and no pathological ping-pong).
                let victim = [set, set | 1]
                    .into_iter()
                    .find(|&i| {
                        self.ns_cache[i]
                            .as_ref()
                            .is_none_or(|e| e.origin_gen != self.origin_gen)
                    })
                    .unwrap_or(set | ((h >> 63) as usize));
                self.ns_cache[victim] = Some(NsEntry {
                    origin_gen: self.origin_gen,
                    key: tok.into(),
                    host,
                });
            }
            Err(why) => ctx.malformed_name(line, "bad NS host", tok, why),
        }
    }

    fn directive(&mut self, fields: Fields<'_>, line: u64, ctx: &mut Ctx) -> Result<(), ZoneError> {
        let d = fields.get(0);
        if d.eq_ignore_ascii_case(b"$ORIGIN") {
            if fields.len() != 2 {
                ctx.malformed(line, "$ORIGIN needs one name");
                return Ok(());
            }
            let tok = fields.get(1);
            let mut o = Name::default();
            match parse_name(tok, self.origin.as_ref(), &mut o) {
                Ok(()) => {
                    self.origin = Some(o);
                    // The same relative token now means another name.
                    self.owner_tok.clear();
                    self.origin_gen += 1;
                }
                Err(_) => ctx.malformed(line, "bad $ORIGIN name"),
            }
        } else if d.eq_ignore_ascii_case(b"$TTL") {
            if fields.len() != 2 || !is_ttl(fields.get(1)) {
                ctx.malformed(line, "$TTL needs one TTL");
            }
        } else if d.eq_ignore_ascii_case(b"$INCLUDE") {
            return Err(ZoneError::Include(line));
        } else {
            ctx.malformed(line, "unsupported directive");
        }
        Ok(())
    }

    /// Ends the current run of same-owner records; returns its domain if the
    /// run held NS records of a delegation.
    fn finish_run(&mut self, ctx: &mut Ctx) -> Option<Candidate> {
        if self.ns.is_empty() || !self.has_owner {
            self.ns.clear();
            return None;
        }
        let inferred;
        let apex = match self.apex.as_ref().or(self.origin.as_ref()) {
            Some(a) => a,
            None => {
                inferred = self.owner.suffix(1);
                &inferred
            }
        };
        if !self.owner.is_below(apex, self.depth) {
            self.ns.clear();
            return None;
        }
        // The owner's token, when written absolute in lowercase LDH (as
        // nearly all are), is its normalised text already.
        let plain = plain_absolute_host(&self.owner_tok).or_else(|| self.owner.plain_text());
        let res = match plain {
            Some(name) => Ok(name),
            None => {
                let mut name = String::new();
                self.owner
                    .text_into(&mut self.text)
                    .and_then(|()| normalize_into(&self.text, &mut name))
                    .map(|()| name)
            }
        };
        match res {
            Ok(name) => Some(Candidate {
                name,
                ns_hosts: std::mem::take(&mut self.ns),
                line: self.owner_line,
            }),
            Err(why) => {
                let text = self.text.clone();
                ctx.rejected(self.owner_line, &text, why);
                self.ns.clear();
                None
            }
        }
    }
}

/// Errors that stop the zone parser (mapped to [`InputError`] by the reader).
#[derive(Debug)]
pub(crate) enum ZoneError {
    Io(io::Error),
    Include(u64),
}

impl ZoneError {
    pub(crate) fn into_input_error(self, path: &std::path::Path, offset: u64) -> InputError {
        match self {
            ZoneError::Io(source) => InputError::Read {
                path: path.to_owned(),
                offset,
                source,
            },
            ZoneError::Include(line) => InputError::Include {
                path: path.to_owned(),
                line,
            },
        }
    }
}

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

    #[test]
    fn token_classes() {
        assert!(is_ttl(b"3600") && is_ttl(b"1h30m") && !is_ttl(b"h1") && !is_ttl(b"IN"));
        assert!(is_class(b"in") && is_class(b"CLASS1") && !is_class(b"NS"));
        assert!(is_type(b"ns") && is_type(b"TYPE65534") && !is_type(b"FOO") && !is_type(b"TYPE"));
    }
}
