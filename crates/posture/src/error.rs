//! Why a tag-list record (DMARC, BIMI, MTA-STS, TLS-RPT) is not valid: the
//! record-level [`RecordError`] and the tag grammar's [`TagError`] it wraps
//! (here rather than in `tags`, so the two modules import one way).
//!
//! The `Display` text is what the store writes into `dmarc_error`: short,
//! stable, and naming the offending tag.

/// Why a tag-list does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// The text is empty or only whitespace.
    #[error("empty record")]
    Empty,
    /// `;;` or a leading `;`: a tag-spec with nothing in it.
    #[error("empty tag-spec at position {0}")]
    EmptyTag(usize),
    /// A tag-spec without `=`.
    #[error("tag-spec without '=': {0:?}")]
    MissingEquals(String),
    /// A tag name outside `ALPHA *ALNUMPUNC`.
    #[error("bad tag name {0:?}")]
    BadName(String),
    /// A tag value with a character outside VALCHAR and WSP.
    #[error("bad character in the value of tag {0:?}")]
    BadValue(String),
    /// Whitespace around `=` where the grammar forbids it ([`crate::tags::Syntax::Strict`]).
    #[error("whitespace around '=' in tag {0:?}")]
    SpaceAroundEquals(String),
    /// The same tag twice (RFC 6376 §3.2).
    #[error("duplicate tag {0:?}")]
    Duplicate(String),
}

/// Why a DMARC, BIMI, MTA-STS or TLS-RPT record does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The tag-list itself is malformed.
    #[error(transparent)]
    Tags(#[from] TagError),
    /// The first tag is not the protocol's exact version tag.
    #[error("not a {expected} record: the first tag must be {expected}")]
    Version {
        /// The version tag required, e.g. `v=DMARC1`.
        expected: &'static str,
    },
    /// A required tag is missing.
    #[error("missing required tag {0}")]
    MissingTag(&'static str),
    /// A tag has a value outside its grammar.
    #[error("bad value for {tag}: {value:?}")]
    BadValue {
        /// The tag.
        tag: &'static str,
        /// The value as published.
        value: String,
    },
    /// A URI list holds an item that is not an acceptable URI.
    #[error("bad URI in {tag}: {uri:?}")]
    BadUri {
        /// The tag holding the list.
        tag: &'static str,
        /// The offending item.
        uri: String,
    },
    /// More than one record of the protocol at the name.
    #[error("{0} records")]
    Multiple(usize),
}
