//! The zone parser: the full record reader, and delegations from the records.

use std::io::{self, BufRead, Read};

use xxhash_rust::xxh3::xxh3_64;

use super::lexer::{
    CLASSES, CLOSE, COMMENT, ESCAPE, Fields, MAX_LINE, MAX_RECORD_LINES, NORMAL, OPEN, QUOTE,
    SPACE, is_class, is_ttl, is_type, simple_line, skip_line,
};
use super::names::{Name, NameError, parse_name, plain_absolute_host};
use crate::normalize::normalize_into;
use crate::{Ctx, InputError};

/// A delegation found in the zone, before sharding and dedupe.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub name: String,
    pub ns_hosts: Vec<String>,
    pub line: u64,
}

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
    ///
    /// A broken record is dropped whole and every one of its lines is counted
    /// as malformed, reported as one issue naming the line span. While a `(`
    /// is open, a line that starts a record (see [`starts_record`]) means the
    /// `(` was stray (issue 18 item 4): the record so far is dropped and the
    /// line is read as the next record, so a stray `(` or binary junk costs
    /// only its own record, not the lines after it.
    fn next_record(
        &mut self,
        r: &mut dyn BufRead,
        ctx: &mut Ctx,
        toks: &mut Vec<(u32, u32)>,
    ) -> io::Result<Option<(u64, bool)>> {
        // A line read past a broken record and kept for the next one: it is
        // already in `rec` (alone) and counted.
        let mut carried = false;
        // A loop, not recursion, restarts after a malformed line: a file of
        // millions of bad lines must not grow the stack.
        'record: loop {
            if !carried {
                self.rec.clear();
            }
            toks.clear();
            let mut depth = 0u32;
            let mut first_line = 0u64;
            let mut blank_owner = false;
            let mut started = false;
            loop {
                let line_start;
                if carried {
                    carried = false;
                    line_start = 0;
                } else {
                    line_start = self.rec.len();
                    let got = (&mut *r).take(MAX_LINE).read_until(b'\n', &mut self.rec)?;
                    if got as u64 == MAX_LINE && self.rec.last() != Some(&b'\n') {
                        // Bounded memory whatever the input: skip the rest of an
                        // absurdly long line instead of buffering it.
                        self.line_no += 1;
                        ctx.stats.lines += 1;
                        let from = if started { first_line } else { self.line_no };
                        ctx.malformed_span(from, self.line_no, "line longer than 64 KiB");
                        skip_line(r)?;
                        continue 'record;
                    }
                    if got == 0 {
                        if depth > 0 {
                            ctx.malformed_span(
                                first_line,
                                self.line_no,
                                "unbalanced '(' at end of input",
                            );
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
                    if started && depth > 0 && starts_record(&self.rec[line_start..]) {
                        // RFC 1035 §5.1: parentheses group the lines of one
                        // record; a new owner in column 1 cannot belong to it.
                        ctx.malformed_span(
                            first_line,
                            self.line_no - 1,
                            "unbalanced '(' (the record is dropped; reading resumes at the next record)",
                        );
                        self.rec.drain(..line_start);
                        carried = true;
                        continue 'record;
                    }
                }
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
                                ctx.malformed_span(first_line, self.line_no, "unbalanced ')'");
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
                    let last = self.discard_rest(r, ctx, depth)?;
                    ctx.malformed_span(first_line, last, "unterminated quoted string");
                    carried = !self.rec.is_empty();
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
                    ctx.malformed_span(
                        first_line,
                        self.line_no,
                        "record spans too many lines (unbalanced '(')",
                    );
                    continue 'record;
                }
            }
        }
    }

    /// After an unterminated quote inside parentheses, skips to the closing
    /// one so the continuation lines are not misread as records, but stops
    /// at a line that starts a record: that line is left alone in `rec`
    /// for the caller to read (`rec` is empty otherwise). Returns the last
    /// line that belongs to the broken record.
    fn discard_rest(
        &mut self,
        r: &mut dyn BufRead,
        ctx: &mut Ctx,
        mut depth: u32,
    ) -> io::Result<u64> {
        self.rec.clear();
        let mut lines = 0;
        while depth > 0 && lines < MAX_RECORD_LINES {
            self.line.clear();
            let got = (&mut *r).take(MAX_LINE).read_until(b'\n', &mut self.line)?;
            if got == 0 {
                break;
            }
            let whole = self.line.last() == Some(&b'\n');
            if !whole {
                skip_line(r)?;
            }
            lines += 1;
            self.line_no += 1;
            ctx.stats.lines += 1;
            if whole && starts_record(&self.line) {
                self.rec.extend_from_slice(&self.line);
                return Ok(self.line_no - 1);
            }
            for &b in &self.line {
                match b {
                    b'(' => depth += 1,
                    b')' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        Ok(self.line_no)
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

/// Whether a physical line starts a record of its own (RFC 1035 §5.1): an
/// owner in column 1, then an optional TTL and class (either order), then a
/// record type followed by data or a `(`; or a `$` directive. Lines inside a
/// multi-line record are indented, or hold rdata (numbers, base64, names)
/// that does not take this shape, so the test is safe to make inside
/// parentheses, where it marks an earlier `(` as stray.
pub(super) fn starts_record(line: &[u8]) -> bool {
    if line.first().is_none_or(|b| b.is_ascii_whitespace()) {
        return false;
    }
    let line = match line.iter().position(|&b| b == b';') {
        Some(p) => &line[..p],
        None => line,
    };
    let mut fields = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty());
    let Some(owner) = fields.next() else {
        return false;
    };
    if owner.first() == Some(&b'$') {
        return [&b"$ORIGIN"[..], b"$TTL", b"$INCLUDE", b"$GENERATE"]
            .iter()
            .any(|d| d.eq_ignore_ascii_case(owner));
    }
    if owner.iter().any(|&b| b == b'(' || b == b')' || b == b'"') {
        return false;
    }
    let (mut ttl, mut class) = (false, false);
    for field in fields.by_ref() {
        if !ttl && is_ttl(field) {
            ttl = true;
        } else if !class && is_class(field) {
            class = true;
        } else {
            return is_type(field) && fields.next().is_some();
        }
    }
    false
}
