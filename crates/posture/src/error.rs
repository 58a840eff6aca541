//! Why a tag-list record (DMARC, BIMI, MTA-STS, TLS-RPT) is not valid.
//!
//! The `Display` text is what the store writes into `dmarc_error`: short,
//! stable, and naming the offending tag.

use crate::tags::TagError;

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
