//! Fuzz target: arbitrary bytes through the reader in every format.
//! Run with `cargo +nightly fuzz run read_input` from `crates/input`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailcensus_input::{DomainReader, Format, ReaderOptions};

fuzz_target!(|data: &[u8]| {
    for format in [None, Some(Format::Zone), Some(Format::List), Some(Format::Csv)] {
        let opts = ReaderOptions::default().format(format).threaded(false);
        if let Ok(r) = DomainReader::from_reader("fuzz", std::io::Cursor::new(data.to_vec()), opts) {
            for d in r.flatten() {
                assert_eq!(mailcensus_input::normalize(&d.name).as_deref(), Ok(d.name.as_str()));
            }
        }
    }
});
