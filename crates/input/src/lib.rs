//! Streaming input for mailcensus: zone dumps and domain lists in, normalised
//! unique domains out.
//!
//! [`DomainReader`] reads one or more inputs in order and yields each unique
//! registered domain once, with the NS hosts of its delegation when the input
//! is a zone dump:
//!
//! 1. **Open** ([`compress`]): gzip (multi-member), zstd, xz and bzip2 are
//!    recognised by their magic bytes; anything else is read as text. By
//!    default a second thread decompresses while this one parses.
//! 2. **Format**: `--format zone|list|csv`, or sniffed from the first 64 KiB
//!    (see [`sniff_format`]).
//! 3. **Parse** master files per RFC 1035 §5.1 (module `zone`), or lists/CSV:
//!    byte-level tokenizer over reused buffers, one logical record at a time.
//! 4. **Normalise** ([`normalize`](mod@normalize)): lowercase A-labels, no trailing dot,
//!    length limits; refused names are counted and the first few reported.
//! 5. **Shard** ([`Shard`]): keep `xxh3_64(name) mod N == I`.
//! 6. **Dedupe** ([`Dedupe`]): 64-bit fingerprints, ≤ 16 bytes per unique name;
//!    the only state that grows with the input.
//!
//! The output order is the input order (first occurrence wins), so re-reading
//! the same inputs yields the same sequence: a resumed scan may skip the first
//! K domains. Per-line problems never stop the reader; unreadable, truncated or
//! corrupt input does, with an [`InputError`] naming the file.
#![deny(missing_docs)]

pub mod compress;
pub mod dedupe;
mod error;
mod list;
pub mod normalize;
pub mod shard;
mod zone;

use std::fmt;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub use compress::Compression;
pub use dedupe::Dedupe;
pub use error::InputError;
pub use normalize::{Reject, normalize};
pub use shard::Shard;

/// What an input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// RFC 1035 master file: delegations are NS owners below the apex.
    Zone,
    /// One domain per line, `#` comments.
    List,
    /// Comma-separated, with a domain column (e.g. Tranco `rank,domain`).
    Csv,
}

impl FromStr for Format {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "zone" => Ok(Format::Zone),
            "list" => Ok(Format::List),
            "csv" => Ok(Format::Csv),
            _ => Err(InputError::Option(format!(
                "unknown format {s:?} (zone, list or csv)"
            ))),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Zone => "zone",
            Format::List => "list",
            Format::Csv => "csv",
        })
    }
}

/// Bytes of decompressed text [`sniff_format`] looks at.
pub const SNIFF_WINDOW: usize = 64 * 1024;

/// Guesses the format from the first bytes of decompressed text.
///
/// Looking at up to 64 KiB (at most 1,000 lines) with `;` and `#` comments
/// removed: a `$ORIGIN`/`$TTL`/`$INCLUDE`/`$GENERATE` directive means a zone;
/// so do lines of which at least half look like records (two or more
/// whitespace-separated fields, the 2nd, 3rd or 4th a DNS record type).
/// Otherwise, if more than half the lines contain a comma, CSV; otherwise a
/// plain list. A list line holds a single field, so it never looks like a
/// record. Use [`ReaderOptions::format`] when the guess is wrong.
pub fn sniff_format(head: &[u8]) -> Format {
    let head = &head[..head.len().min(SNIFF_WINDOW)];
    let (mut data, mut commas, mut records) = (0usize, 0usize, 0usize);
    for line in head.split(|&b| b == b'\n').take(1000) {
        // Both comment styles: `;` (zone) and `#` (lists), so a list comment
        // such as "# a list" is not read as a record of type A.
        let line = match line.iter().position(|&b| b == b';' || b == b'#') {
            Some(p) => &line[..p],
            None => line,
        };
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        for d in [&b"$ORIGIN"[..], b"$TTL", b"$INCLUDE", b"$GENERATE"] {
            if line.len() >= d.len() && line[..d.len()].eq_ignore_ascii_case(d) {
                return Format::Zone;
            }
        }
        let fields: Vec<&[u8]> = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|f| !f.is_empty())
            .take(5)
            .collect();
        if fields.len() >= 2 && fields[1..].iter().take(3).any(|f| zone::is_type_pub(f)) {
            records += 1;
        }
        data += 1;
        if line.contains(&b',') {
            commas += 1;
        }
    }
    if data > 0 && records * 2 >= data {
        Format::Zone
    } else if data > 0 && commas * 2 > data {
        Format::Csv
    } else {
        Format::List
    }
}

/// Options of a [`DomainReader`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReaderOptions {
    /// Force a format instead of sniffing each input.
    pub format: Option<Format>,
    /// Labels below the zone apex at which registrations sit: 1 for a TLD
    /// dump, 2 for e.g. a `uk` dump whose registrations are under `co.uk`.
    pub depth: usize,
    /// Keep only this shard's domains.
    pub shard: Option<Shard>,
    /// Decompress on a second thread (two cores; faster on compressed input).
    pub threaded: bool,
    /// How many malformed/rejected lines to keep in [`DomainReader::issues`].
    pub max_issues: usize,
    /// Merge the NS hosts of an owner that appears again later in a zone
    /// dump into its first occurrence (see [`DomainReader::prepare`]).
    pub merge_repeated: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        Self {
            format: None,
            depth: 1,
            shard: None,
            threaded: true,
            max_issues: 10,
            merge_repeated: true,
        }
    }
}

impl ReaderOptions {
    /// Sets [`ReaderOptions::format`].
    pub fn format(mut self, f: Option<Format>) -> Self {
        self.format = f;
        self
    }
    /// Sets [`ReaderOptions::depth`].
    pub fn depth(mut self, d: usize) -> Self {
        self.depth = d;
        self
    }
    /// Sets [`ReaderOptions::shard`].
    pub fn shard(mut self, s: Option<Shard>) -> Self {
        self.shard = s;
        self
    }
    /// Sets [`ReaderOptions::threaded`].
    pub fn threaded(mut self, t: bool) -> Self {
        self.threaded = t;
        self
    }
}

/// One unique domain of the inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// Lowercase A-label name, no trailing dot.
    pub name: String,
    /// The delegation's NS hosts, normalised, deduplicated, first-seen order;
    /// empty for list input.
    pub ns_hosts: Vec<String>,
    /// The input it came from.
    pub source: Arc<Path>,
    /// 1-based line of its first record.
    pub line: u64,
    /// The zone apex (SOA owner) for zone input, once known.
    pub zone: Option<Arc<str>>,
}

/// Counters over everything read so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Inputs opened.
    pub inputs: u64,
    /// Physical lines read.
    pub lines: u64,
    /// Resource records (zone) or data lines (list) seen.
    pub records: u64,
    /// Unique domains yielded.
    pub domains: u64,
    /// Domains dropped as already yielded.
    pub duplicates: u64,
    /// Names refused by normalisation.
    pub rejected: u64,
    /// Lines skipped as malformed: every line of a broken record counts.
    pub malformed: u64,
    /// Domains skipped because they belong to another shard.
    pub other_shards: u64,
    /// Domains whose NS hosts were completed from a later, non-adjacent run
    /// of records of the same owner.
    pub ns_merged: u64,
    /// Later runs of an owner with NS records that could not be merged into
    /// its first occurrence, because an input is a stream (read once).
    pub ns_unmerged: u64,
}

/// Kind of a reported line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssueKind {
    /// The line was not understood.
    Malformed,
    /// A name on the line was refused.
    Rejected,
}

/// One of the first few malformed or rejected lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// What went wrong.
    pub kind: IssueKind,
    /// The input.
    pub source: Arc<Path>,
    /// 1-based line number.
    pub line: u64,
    /// Human-readable detail.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            IssueKind::Malformed => "malformed",
            IssueKind::Rejected => "rejected",
        };
        write!(
            f,
            "{}:{}: {kind}: {}",
            self.source.display(),
            self.line,
            self.message
        )
    }
}

/// Bytes read so far from the raw (compressed) inputs, for progress bars.
/// Cheap to clone and safe to poll from another thread.
#[derive(Debug, Clone)]
pub struct Progress {
    read: Arc<AtomicU64>,
    total: Option<u64>,
}

impl Progress {
    /// Raw bytes consumed over all inputs so far (decoders read ahead a little).
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
    /// Total raw size of all inputs, when every one is a regular file.
    pub fn bytes_total(&self) -> Option<u64> {
        self.total
    }
}

/// The size and hash of an input that cannot be fingerprinted before it is
/// read (stdin, a pipe, a FIFO): every raw byte, hashed while it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamDigest {
    /// Raw (compressed) bytes read.
    pub size: u64,
    /// XXH3-64 of those bytes.
    pub xxh3: u64,
}

/// Where a stream's digest lands when it reaches its end.
type DigestSlot = Arc<Mutex<Option<StreamDigest>>>;

/// Hashes a stream's raw bytes as they are read; at the end of the stream
/// the digest goes to `slot` (it may be read on another thread).
struct Hashing<R> {
    inner: R,
    hasher: xxhash_rust::xxh3::Xxh3,
    size: u64,
    slot: DigestSlot,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            let digest = StreamDigest {
                size: self.size,
                xxh3: self.hasher.digest(),
            };
            *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(digest);
        } else {
            self.hasher.update(&buf[..n]);
            self.size += n as u64;
        }
        Ok(n)
    }
}

/// True for `-` and anything that is not a regular file: it can be read
/// once only, so it is fingerprinted while it is read.
pub fn is_stream(path: &Path) -> bool {
    path.as_os_str() == "-" || std::fs::metadata(path).map_or(true, |m| !m.is_file())
}

/// Per-input counters and the bounded issue list, shared with the parsers.
pub(crate) struct Ctx {
    pub(crate) stats: ReadStats,
    issues: Vec<Issue>,
    max_issues: usize,
    source: Arc<Path>,
}

impl Ctx {
    fn push(&mut self, kind: IssueKind, line: u64, message: impl FnOnce() -> String) {
        if self.issues.len() < self.max_issues {
            self.issues.push(Issue {
                kind,
                source: self.source.clone(),
                line,
                message: message(),
            });
        }
    }

    pub(crate) fn malformed(&mut self, line: u64, msg: &str) {
        self.stats.malformed += 1;
        self.push(IssueKind::Malformed, line, || msg.to_owned());
    }

    /// A broken record over lines `first..=last`: every line is counted,
    /// one issue names the span.
    pub(crate) fn malformed_span(&mut self, first: u64, last: u64, msg: &str) {
        let last = last.max(first);
        self.stats.malformed += last - first + 1;
        self.push(IssueKind::Malformed, first, || {
            if last > first {
                format!("{msg}; lines {first}-{last} skipped")
            } else {
                msg.to_owned()
            }
        });
    }

    pub(crate) fn malformed_name(&mut self, line: u64, msg: &str, name: &[u8], why: Reject) {
        self.stats.malformed += 1;
        self.push(IssueKind::Malformed, line, || {
            format!("{msg} {:?}: {why}", String::from_utf8_lossy(name))
        });
    }

    pub(crate) fn rejected(&mut self, line: u64, name: &[u8], why: Reject) {
        self.stats.rejected += 1;
        self.push(IssueKind::Rejected, line, || {
            format!("{:?}: {why}", String::from_utf8_lossy(name))
        });
    }
}

enum Parser {
    Zone(Box<zone::ZoneParser>),
    List(list::ListParser),
}

struct OpenInput {
    path: Arc<Path>,
    reader: Box<dyn BufRead + Send>,
    parser: Parser,
    start: u64,
}

/// Iterator over the unique domains of a sequence of inputs (`-` = stdin).
///
/// Yields `Err` once and then ends if an input cannot be read.
pub struct DomainReader {
    inputs: Vec<PathBuf>,
    /// Already-open streams given to [`DomainReader::from_reader`], by input index.
    streams: Vec<Option<Box<dyn Read + Send>>>,
    next: usize,
    cur: Option<OpenInput>,
    opts: ReaderOptions,
    dedupe: Dedupe,
    ctx: Ctx,
    progress: Progress,
    failed: bool,
    /// Parsed, not yet yielded (see [`DomainReader::fill_ahead`]).
    ahead: std::collections::VecDeque<Pending>,
    /// An input error met while parsing ahead, yielded after `ahead` drains.
    pending_err: Option<InputError>,
    /// Per input: the digest slot of a stream (see [`StreamDigest`]).
    digests: Vec<Option<DigestSlot>>,
    /// Whether [`DomainReader::prepare`] has run.
    prepared: bool,
    /// From the first pass: the NS hosts of later runs of repeated owners,
    /// by name fingerprint, until the first occurrence takes them.
    repeats: Option<std::collections::HashMap<u64, Vec<String>>>,
    /// In a first pass: collect the NS hosts of repeated owners here.
    collect_repeats: Option<std::collections::HashMap<u64, Vec<String>>>,
    /// Unique domains of this shard, when a first pass counted them.
    total: Option<u64>,
}

impl DomainReader {
    /// Prepares to read `inputs` in order. Every input except `-` must exist
    /// now, so a typo fails before any output.
    pub fn open(inputs: &[PathBuf], opts: ReaderOptions) -> Result<Self, InputError> {
        if opts.depth == 0 {
            return Err(InputError::Option("depth must be at least 1".into()));
        }
        let mut total = Some(0u64);
        for p in inputs {
            if p.as_os_str() == "-" {
                total = None;
                continue;
            }
            let meta = std::fs::metadata(p).map_err(|source| InputError::Open {
                path: p.clone(),
                source,
            })?;
            if meta.is_dir() {
                return Err(InputError::Open {
                    path: p.clone(),
                    source: io::Error::other("is a directory"),
                });
            }
            total = total.map(|t| t + meta.len()).filter(|_| meta.is_file());
        }
        let max_issues = opts.max_issues;
        Ok(Self {
            streams: inputs.iter().map(|_| None).collect(),
            inputs: inputs.to_vec(),
            next: 0,
            cur: None,
            opts,
            dedupe: Dedupe::new(),
            ctx: Ctx {
                stats: ReadStats::default(),
                issues: Vec::new(),
                max_issues,
                source: Arc::from(Path::new("")),
            },
            progress: Progress {
                read: Arc::new(AtomicU64::new(0)),
                total,
            },
            failed: false,
            ahead: std::collections::VecDeque::with_capacity(AHEAD),
            pending_err: None,
            digests: inputs.iter().map(|_| None).collect(),
            prepared: false,
            repeats: None,
            collect_repeats: None,
            total: None,
        })
    }

    /// Reads one already-open stream (raw or compressed); `label` names it in
    /// errors, issues and [`Domain::source`].
    pub fn from_reader(
        label: impl Into<PathBuf>,
        stream: impl Read + Send + 'static,
        opts: ReaderOptions,
    ) -> Result<Self, InputError> {
        let mut r = Self::open(&[], opts)?;
        r.inputs.push(label.into());
        r.streams.push(Some(Box::new(stream)));
        r.digests.push(None);
        r.progress.total = None;
        Ok(r)
    }

    /// Counters so far (final once the iterator has ended). Mid-stream, the
    /// line, record, malformed and rejected counts (and [`issues`](Self::issues))
    /// may include up to 16 domains parsed ahead of the last one yielded.
    pub fn stats(&self) -> ReadStats {
        self.ctx.stats
    }

    /// The first few malformed or rejected lines.
    pub fn issues(&self) -> &[Issue] {
        &self.ctx.issues
    }

    /// A handle for progress bars.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// Per input, in order: the size and hash of a stream (stdin, a pipe, a
    /// FIFO) read to its end; `None` for a regular file, or a stream not
    /// read to its end.
    pub fn stream_digests(&self) -> Vec<Option<StreamDigest>> {
        self.digests
            .iter()
            .map(|slot| {
                slot.as_ref()
                    .and_then(|s| *s.lock().unwrap_or_else(|p| p.into_inner()))
            })
            .collect()
    }

    /// Unique domains of this shard in all the inputs, once a first pass
    /// counted them (see [`DomainReader::prepare`]); `None` otherwise.
    pub fn total_domains(&self) -> Option<u64> {
        self.total
    }

    /// Reads the inputs once before yielding anything, when that is possible
    /// and useful: every input is a regular file (a stream can be read only
    /// once) and at least one holds a zone. Called by the first `next()`
    /// if not before; calling it first makes its errors come before any
    /// domain (and before any DNS traffic).
    ///
    /// The first pass finds the owners that appear again after other owners
    /// (a dump with NS records appended later, issue 18 item 5) and keeps
    /// the NS hosts of those later runs; the second pass, the one that
    /// yields, merges them into the owner's first occurrence, so `ns_hosts`
    /// holds every delegation NS record. Memory: the first pass needs the
    /// dedupe table (the same 16 bytes at most per unique name as the
    /// second, freed before it starts) plus the hosts of repeated owners
    /// only; the price is reading the input twice. It also counts the unique
    /// domains ([`DomainReader::total_domains`]) and meets every input error
    /// (a truncated file, a `$INCLUDE`) before the first domain is yielded.
    ///
    /// For streams there is no first pass: a later run of an owner is
    /// counted in [`ReadStats::ns_unmerged`] instead.
    pub fn prepare(&mut self) -> Result<(), InputError> {
        if self.prepared {
            return Ok(());
        }
        self.prepared = true;
        if !self.opts.merge_repeated
            || self.inputs.is_empty()
            || self.streams.iter().any(Option::is_some)
            || self.inputs.iter().any(|p| is_stream(p))
            || !self.any_zone()?
        {
            return Ok(());
        }
        let mut opts = self.opts.clone();
        opts.merge_repeated = false;
        opts.max_issues = 0;
        let mut first = DomainReader::open(&self.inputs, opts)?;
        first.prepared = true;
        first.collect_repeats = Some(std::collections::HashMap::new());
        for item in first.by_ref() {
            item?;
        }
        self.total = Some(first.stats().domains);
        self.repeats = first.collect_repeats.take();
        Ok(())
    }

    /// Whether the format is zone, or sniffs as zone for some input.
    fn any_zone(&self) -> Result<bool, InputError> {
        if let Some(f) = self.opts.format {
            return Ok(f == Format::Zone);
        }
        for p in &self.inputs {
            let file = std::fs::File::open(p).map_err(|source| InputError::Open {
                path: p.clone(),
                source,
            })?;
            // A read error here is met again by the first pass, which
            // reports it with its offset: run the pass.
            let Ok((_, decoded)) = compress::decoder(Box::new(file), Arc::new(AtomicU64::new(0)))
            else {
                return Ok(true);
            };
            let mut head = Vec::with_capacity(SNIFF_WINDOW);
            if decoded
                .take(SNIFF_WINDOW as u64)
                .read_to_end(&mut head)
                .is_err()
                || sniff_format(&head) == Format::Zone
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Unique names seen so far (in this shard) and the dedupe's memory.
    pub fn dedupe(&self) -> &Dedupe {
        &self.dedupe
    }

    fn open_next(&mut self) -> Result<Option<OpenInput>, InputError> {
        let Some(p) = self.inputs.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        let path: Arc<Path> = Arc::from(p.as_path());
        let start = self.progress.bytes_read();
        let mut raw: Box<dyn Read + Send> =
            if let Some(stream) = self.streams.get_mut(self.next - 1).and_then(Option::take) {
                stream
            } else if p.as_os_str() == "-" {
                Box::new(io::stdin())
            } else {
                Box::new(std::fs::File::open(p).map_err(|source| InputError::Open {
                    path: p.clone(),
                    source,
                })?)
            };
        if is_stream(p) {
            let slot = DigestSlot::default();
            if let Some(d) = self.digests.get_mut(self.next - 1) {
                *d = Some(Arc::clone(&slot));
            }
            raw = Box::new(Hashing {
                inner: raw,
                hasher: xxhash_rust::xxh3::Xxh3::new(),
                size: 0,
                slot,
            });
        }
        let read_err = |source, progress: &Progress| InputError::Read {
            path: p.clone(),
            offset: progress.bytes_read() - start,
            source,
        };
        let (_, mut decoded) = compress::decoder(raw, self.progress.read.clone())
            .map_err(|e| read_err(e, &self.progress))?;
        let format = match self.opts.format {
            Some(f) => f,
            None => {
                // A single read may return only a few bytes (pipes, decoders):
                // gather the whole sniff window, then put it back in front.
                let mut head = Vec::with_capacity(SNIFF_WINDOW);
                (&mut decoded)
                    .take(SNIFF_WINDOW as u64)
                    .read_to_end(&mut head)
                    .map_err(|e| read_err(e, &self.progress))?;
                let f = sniff_format(&head);
                decoded = Box::new(io::Cursor::new(head).chain(decoded));
                f
            }
        };
        let reader = compress::text_reader(decoded, self.opts.threaded)
            .map_err(|e| read_err(e, &self.progress))?;
        let parser = match format {
            Format::Zone => Parser::Zone(Box::new(zone::ZoneParser::new(self.opts.depth))),
            Format::List => Parser::List(list::ListParser::new(false)),
            Format::Csv => Parser::List(list::ListParser::new(true)),
        };
        self.ctx.stats.inputs += 1;
        self.ctx.source = path.clone();
        Ok(Some(OpenInput {
            path,
            reader,
            parser,
            start,
        }))
    }
}

/// Candidates parsed ahead before their dedupe slots are looked up: enough
/// independent memory loads to overlap their cache misses (see
/// [`DomainReader::fill_ahead`]), few enough that the counters run at most
/// this many domains ahead of what was yielded.
const AHEAD: usize = 16;

/// A parsed domain waiting to be sharded, deduplicated and yielded.
struct Pending {
    cand: zone::Candidate,
    zone: Option<Arc<str>>,
    source: Arc<Path>,
    /// Dedupe fingerprint; `None` when the domain belongs to another shard.
    fp: Option<u64>,
}

impl DomainReader {
    /// Parses up to [`AHEAD`] candidates into `ahead` (opening inputs as
    /// needed), then touches their dedupe slots together.
    ///
    /// At tens of millions of names the dedupe table is far larger than the
    /// CPU caches and every lookup misses. Done one domain at a time the
    /// misses are serial; the loads issued back to back here are independent,
    /// so the CPU overlaps them and the later inserts find their slots cached.
    /// Order, output and final counters are unchanged: shard test, dedupe and
    /// the domain/duplicate counters still happen when each one is yielded.
    fn fill_ahead(&mut self) {
        while self.ahead.len() < AHEAD && self.pending_err.is_none() {
            if self.cur.is_none() {
                match self.open_next() {
                    Ok(Some(o)) => self.cur = Some(o),
                    Ok(None) => break,
                    Err(e) => {
                        self.pending_err = Some(e);
                        break;
                    }
                }
            }
            let Some(cur) = self.cur.as_mut() else { break };
            let got = match &mut cur.parser {
                Parser::Zone(p) => p
                    .next_candidate(&mut cur.reader, &mut self.ctx)
                    .map(|c| c.map(|c| (c, p.apex())))
                    .map_err(|e| {
                        e.into_input_error(&cur.path, self.progress.bytes_read() - cur.start)
                    }),
                Parser::List(p) => p
                    .next_candidate(&mut cur.reader, &mut self.ctx)
                    .map(|c| c.map(|c| (c, None)))
                    .map_err(|source| InputError::Read {
                        path: cur.path.to_path_buf(),
                        offset: self.progress.bytes_read() - cur.start,
                        source,
                    }),
            };
            match got {
                Err(e) => {
                    self.cur = None;
                    self.pending_err = Some(e);
                }
                Ok(None) => self.cur = None,
                Ok(Some((cand, zone))) => {
                    let in_shard = self.opts.shard.is_none_or(|s| s.contains(&cand.name));
                    let fp = in_shard.then(|| dedupe::fingerprint(cand.name.as_bytes()));
                    self.ahead.push_back(Pending {
                        cand,
                        zone,
                        source: cur.path.clone(),
                        fp,
                    });
                }
            }
        }
        for p in &self.ahead {
            if let Some(fp) = p.fp {
                self.dedupe.touch(fp);
            }
        }
    }
}

impl Iterator for DomainReader {
    type Item = Result<Domain, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.prepared
            && let Err(e) = self.prepare()
        {
            self.failed = true;
            return Some(Err(e));
        }
        loop {
            if self.failed {
                return None;
            }
            if self.ahead.is_empty() {
                if let Some(e) = self.pending_err.take() {
                    // Everything parsed before the error has been yielded.
                    self.failed = true;
                    return Some(Err(e));
                }
                self.fill_ahead();
                if self.ahead.is_empty() && self.pending_err.is_none() {
                    return None;
                }
            }
            let Some(p) = self.ahead.pop_front() else {
                continue;
            };
            let Some(fp) = p.fp else {
                self.ctx.stats.other_shards += 1;
                continue;
            };
            if !self.dedupe.insert_fingerprint(fp) {
                self.ctx.stats.duplicates += 1;
                if !p.cand.ns_hosts.is_empty() {
                    if let Some(repeats) = &mut self.collect_repeats {
                        let hosts = repeats.entry(fp).or_default();
                        for host in p.cand.ns_hosts {
                            if !hosts.contains(&host) {
                                hosts.push(host);
                            }
                        }
                    } else if self.repeats.is_none() {
                        self.ctx.stats.ns_unmerged += 1;
                    }
                }
                continue;
            }
            self.ctx.stats.domains += 1;
            let mut ns_hosts = p.cand.ns_hosts;
            if let Some(later) = self.repeats.as_mut().and_then(|r| r.remove(&fp)) {
                let before = ns_hosts.len();
                for host in later {
                    if !ns_hosts.contains(&host) {
                        ns_hosts.push(host);
                    }
                }
                if ns_hosts.len() > before {
                    self.ctx.stats.ns_merged += 1;
                }
            }
            return Some(Ok(Domain {
                name: p.cand.name,
                ns_hosts,
                source: p.source,
                line: p.cand.line,
                zone: p.zone,
            }));
        }
    }
}
