//! Fuzz target `spf`: see `mailcensus_posture::fuzzing::spf` for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(finding) = mailcensus_posture::fuzzing::spf(data) {
        panic!("{finding}");
    }
});
