//! Compressed inputs: round trips per format, multi-member/multi-frame
//! streams, and truncated or corrupt data that must fail naming the file.

#![allow(clippy::unwrap_used)] // test helpers, not only #[test] fns

use std::io::Write;
use std::path::{Path, PathBuf};

use mailcensus_input::{DomainReader, InputError, ReaderOptions};

use mailcensus_testbed::zonedump;

fn fixture() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/zone/fixture.zone")).unwrap()
}

fn names(path: &Path, threaded: bool) -> Result<Vec<String>, InputError> {
    DomainReader::open(
        &[path.to_path_buf()],
        ReaderOptions::default().threaded(threaded),
    )?
    .map(|d| d.map(|d| d.name))
    .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// With a content checksum, as the `zstd` command line writes by default:
/// without one, corruption inside literals decodes silently to other bytes.
fn zstd(data: &[u8]) -> Vec<u8> {
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    e.include_checksum(true).unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

type Encoder = fn(&[u8]) -> Vec<u8>;
const FORMATS: [(&str, Encoder); 4] = [("gz", gzip), ("zst", zstd), ("xz", xz), ("bz2", bzip2)];

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn every_format_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "plain.zone", &fixture());
    let want = names(&plain, false).unwrap();
    assert_eq!(want.len(), 12);
    for (ext, enc) in FORMATS {
        // A misleading extension: detection is by magic bytes only.
        let p = write(dir.path(), &format!("fixture.{ext}.txt"), &enc(&fixture()));
        for threaded in [false, true] {
            assert_eq!(
                names(&p, threaded).unwrap(),
                want,
                "{ext} threaded={threaded}"
            );
        }
    }
}

#[test]
fn concatenated_members_are_all_read() {
    let dir = tempfile::tempdir().unwrap();
    let a = "$ORIGIN be.\none NS ns.op.net.\n";
    let b = "two.be. NS ns.op.net.\n";
    for (ext, enc) in FORMATS {
        let mut bytes = enc(a.as_bytes());
        bytes.extend(enc(b.as_bytes()));
        let p = write(dir.path(), &format!("multi.{ext}"), &bytes);
        assert_eq!(names(&p, true).unwrap(), vec!["one.be", "two.be"], "{ext}");
    }
}

#[test]
fn truncated_input_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // Big enough that the truncation is not in the first decoded chunk.
    let mut text = Vec::new();
    zonedump::write_zone_dump(&mut text, "test", 4_000, 3, &Default::default()).unwrap();
    for (ext, enc) in FORMATS {
        let full = enc(&text);
        let cut = &full[..full.len() * 2 / 3];
        let p = write(dir.path(), &format!("cut.{ext}"), cut);
        for threaded in [false, true] {
            let err =
                names(&p, threaded).expect_err(&format!("{ext} threaded={threaded} must fail"));
            let msg = err.to_string();
            assert!(matches!(err, InputError::Read { .. }), "{ext}: {err:?}");
            assert!(msg.contains(&format!("cut.{ext}")), "{msg}");
        }
    }
}

#[test]
fn corrupt_input_is_an_error_with_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = Vec::new();
    zonedump::write_zone_dump(&mut text, "test", 4_000, 4, &Default::default()).unwrap();
    for (ext, enc) in FORMATS {
        let mut bytes = enc(&text);
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 64] {
            *b ^= 0x5a;
        }
        let p = write(dir.path(), &format!("bad.{ext}"), &bytes);
        let Err(err) = names(&p, true) else {
            panic!("{ext}: corruption went unnoticed")
        };
        match err {
            InputError::Read { path, offset, .. } => {
                assert_eq!(path, p);
                assert!(
                    offset > 0 && offset <= bytes.len() as u64,
                    "{ext}: offset {offset}"
                );
            }
            other => panic!("{ext}: {other:?}"),
        }
    }
}
