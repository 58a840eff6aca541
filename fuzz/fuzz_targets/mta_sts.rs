//! Fuzz target `mta_sts`: see `mailcensus_posture::fuzzing::mta_sts` for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(finding) = mailcensus_posture::fuzzing::mta_sts(data) {
        panic!("{finding}");
    }
});
