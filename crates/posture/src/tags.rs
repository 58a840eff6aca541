//! Tag-value lists shared by DMARC, BIMI, MTA-STS and TLS-RPT records.
//!
//! TODO(posture helper): the shared tag=value; parser.
