//! The documented range of every numeric flag, and the parsers that hold
//! flags to them (issue 18 item 9).
//!
//! A value outside its range is clap's usage error (exit 2), the same in every
//! command; a value from the `--config` file is checked against the same
//! range by [`check`], so no path lets an absurd value reach the engine (where
//! `--concurrency 18446744073709551615` once panicked and `10000000` asked for
//! 8 GB). Each flag's help ends with its range, written from these constants.

/// A usage error found after clap's own parsing (a config-file value, a
/// scan date or resolver from the file): `main` exits 2 on it, as clap does.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}
