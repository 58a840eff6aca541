//! Synthetic TLD universes and the Knot/Unbound loopback testbed.
//!
//! TODO(testbed helper): overview.
#![deny(missing_docs)]

pub mod servers;
pub mod universe;
pub mod zonedump;
