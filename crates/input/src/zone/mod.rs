//! Streaming reader for RFC 1035 §5.1 master files ("zone dumps").
//!
//! One logical record at a time is tokenised: comments (`;` outside quotes,
//! RFC 1035 §5.1) are dropped, parentheses join physical lines, quoted
//! strings and backslash escapes keep their delimiters inside a token. A line
//! that is whole in the reader's buffer and has no quote, escape or
//! parenthesis (nearly every line of a dump) is split in place
//! ([`lexer::simple_line`]); any other goes through the full tokenizer, which copies
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
//! non-adjacent run of NS records for the same owner is emitted again; the
//! reader's dedupe drops it, and its NS hosts are merged into the first
//! occurrence by the reader's first pass over a file
//! ([`DomainReader::prepare`](crate::DomainReader::prepare)).
//!
//! `$INCLUDE` is refused with an error naming the file and line, not
//! followed: a dump never needs it, and following paths named in downloaded
//! data is a risk. In a file the first pass meets it before any domain is
//! yielded, so a scan is refused before it starts.
//!
//! Modules, each importing only those above it: [`names`] (domain names as
//! labels, RFC 1035 §5.1 name syntax), [`lexer`] (byte classes, the record
//! grammar's tokens and the in-place fast path), [`parser`] (the record
//! readers and the delegation logic).

mod lexer;
mod names;
mod parser;

pub(crate) use lexer::is_type_pub;
pub(crate) use parser::{Candidate, ZoneParser};
