//! Fuzz target `dmarc`: see `mailcensus_posture::fuzzing::dmarc` for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(finding) = mailcensus_posture::fuzzing::dmarc(data) {
        panic!("{finding}");
    }
});
