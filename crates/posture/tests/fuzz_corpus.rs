//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/*`) through
//! the same entry points the cargo-fuzz targets call
//! (`mailcensus_posture::fuzzing`), so stable CI exercises the corpus without
//! nightly or cargo-fuzz.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

use std::path::PathBuf;

use mailcensus_posture::fuzzing::TARGETS;

#[test]
fn replay_committed_fuzz_corpus() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut findings = Vec::new();
    for (target, entry) in TARGETS {
        let dir = root.join(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        assert!(files.len() >= 5, "{dir:?} holds too small a corpus");
        for file in &files {
            let data = std::fs::read(file).unwrap();
            if let Err(finding) = entry(&data) {
                findings.push(format!("{}: {finding}", file.display()));
            }
        }
        eprintln!("{target}: {} corpus files replayed", files.len());
    }
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

/// Every fuzz target has a corpus directory and vice versa, so a new target
/// cannot ship without seeds and a stale directory is noticed.
#[test]
fn every_target_has_a_corpus() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut dirs: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut targets: Vec<String> = TARGETS.iter().map(|(t, _)| (*t).to_owned()).collect();
    targets.sort();
    assert_eq!(dirs, targets);
    let fuzz_targets = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    for target in targets {
        assert!(
            fuzz_targets.join(format!("{target}.rs")).is_file(),
            "{target}"
        );
    }
}
