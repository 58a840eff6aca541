//! Replays the fuzz target's corpus (`fuzz/corpus/read_input/`) as a normal
//! test, so inputs that once crashed the fuzzer stay fixed without nightly.

#![allow(clippy::unwrap_used)] // test helpers, not only #[test] fns

use std::path::Path;

use mailcensus_input::{DomainReader, Format, ReaderOptions};

#[test]
fn corpus_replays_without_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/read_input");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for format in [
            None,
            Some(Format::Zone),
            Some(Format::List),
            Some(Format::Csv),
        ] {
            for threaded in [false, true] {
                let opts = ReaderOptions::default().format(format).threaded(threaded);
                let r = DomainReader::from_reader(&path, std::io::Cursor::new(bytes.clone()), opts)
                    .unwrap();
                let names: Vec<_> = r.filter_map(Result::ok).map(|d| d.name).collect();
                let mut unique = names.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(unique.len(), names.len(), "{}", path.display());
            }
        }
        files += 1;
    }
    assert!(files >= 5, "corpus went missing: {files} files");
}
