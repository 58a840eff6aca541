//! TODO: crate overview.
#![deny(missing_docs)]
