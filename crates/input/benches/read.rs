//! Criterion benchmark: domains/s reading a generated zone dump, plain and
//! gzip, on one thread and with decompression on a second thread.
//!
//! The 10 M-delegation end-to-end figure comes from `benches/input/bench.sh`.

use std::io::Write;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailcensus_input::{DomainReader, ReaderOptions};
use zonedump::{ZoneDumpOptions, write_zone_dump};

use mailcensus_testbed::zonedump;

const DELEGATIONS: u64 = 200_000;

fn count(path: &PathBuf, threaded: bool) -> u64 {
    let r = DomainReader::open(
        std::slice::from_ref(path),
        ReaderOptions::default().threaded(threaded),
    )
    .expect("open generated dump");
    let mut n = 0;
    for d in r {
        d.expect("generated dump reads cleanly");
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = Vec::new();
    write_zone_dump(
        &mut text,
        "test",
        DELEGATIONS,
        1,
        &ZoneDumpOptions::default(),
    )
    .expect("generate");
    let plain = dir.path().join("dump.zone");
    std::fs::write(&plain, &text).expect("write plain");
    let gz = dir.path().join("dump.zone.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create gz"),
        flate2::Compression::default(),
    );
    enc.write_all(&text).expect("compress");
    enc.finish().expect("finish gz");

    let mut g = c.benchmark_group("read_zone");
    g.sample_size(10);
    g.throughput(Throughput::Elements(DELEGATIONS));
    for (label, path, threaded) in [
        ("plain_1thread", &plain, false),
        ("gzip_1thread", &gz, false),
        ("gzip_2threads", &gz, true),
    ] {
        g.bench_function(label, |b| {
            b.iter(|| assert_eq!(count(path, threaded), DELEGATIONS))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
