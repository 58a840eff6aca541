//! Writer, manifest and resume scenarios, checked by reading the Parquet back.
#![allow(clippy::unwrap_used)] // a test helper may panic: that is the failure

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampMillisecondType, UInt8Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, TimeUnit};
use mailcensus_store::schema::meta;
use mailcensus_store::{
    BatchBuilder, DatasetWriter, InputFile, Manifest, Resume, Row, RunConfig, SCHEMA_VERSION,
    Shard, StoreError, Tuning, chain_text, fingerprint, sample, schema, spawn,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding};

const DATE: &str = "2026-11-23";

fn config(out: &Path, tuning: Tuning) -> RunConfig {
    let mut c = RunConfig::new(out, DATE, Shard::SINGLE, "scan-test-1");
    c.inputs = vec![InputFile {
        path: "zone.txt".into(),
        size: 1234,
        fingerprint: "xxh3:0011223344556677".into(),
    }];
    c.resolvers = vec!["127.0.0.1:5353".into()];
    c.options = serde_json::json!({"probes": ["mx", "spf", "dmarc"], "timeout_ms": 2000});
    c.tuning = tuning;
    c
}

fn small() -> Tuning {
    Tuning {
        rows_per_part: 100,
        row_group_rows: 32,
        batch_rows: 16,
        ..Tuning::default()
    }
}

fn rows(range: std::ops::Range<u64>) -> Vec<Row> {
    range.map(|seq| sample::row(seq, "be")).collect()
}

fn partition(out: &Path) -> PathBuf {
    mailcensus_store::partition_dir(out, DATE)
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn complete_parts(dir: &Path) -> Vec<PathBuf> {
    mailcensus_store::layout::part_files(dir).unwrap()
}

fn read_part(path: &Path) -> (RecordBatch, parquet::file::metadata::ParquetMetaData) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .with_batch_size(1 << 20);
    let metadata = builder.metadata().as_ref().clone();
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    assert_eq!(
        batches.len(),
        1,
        "one batch expected for {}",
        path.display()
    );
    (batches.into_iter().next().unwrap(), metadata)
}

fn kv(metadata: &parquet::file::metadata::ParquetMetaData) -> BTreeMap<String, String> {
    metadata
        .file_metadata()
        .key_value_metadata()
        .unwrap()
        .iter()
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect()
}

fn domains_of_dataset(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for part in complete_parts(dir) {
        let (batch, _) = read_part(&part);
        let domain = batch
            .column_by_name(mailcensus_store::schema::DOMAIN.name)
            .unwrap()
            .as_string::<i32>();
        out.extend(domain.iter().map(|d| d.unwrap().to_owned()));
    }
    out
}

#[test]
fn schema_is_the_contract() {
    let list = |t| DataType::List(Arc::new(Field::new_list_field(t, true)));
    let utf8 = DataType::Utf8;
    let i32_ = DataType::Int32;
    let bool_ = DataType::Boolean;
    let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    // (name, type, nullable): DESIGN.md "Output contract"; null only for a
    // deselected probe or an absent tag.
    let contract: Vec<(&str, DataType, bool)> = vec![
        ("domain", utf8.clone(), false),
        ("suffix", utf8.clone(), false),
        ("scan_id", utf8.clone(), false),
        ("scanned_at", ts, false),
        ("resolution", utf8.clone(), false),
        ("ns_hosts", list(DataType::Utf8), false),
        ("mx_status", utf8.clone(), true),
        ("mx_hosts", list(DataType::Utf8), true),
        ("spf_status", utf8.clone(), true),
        ("spf_record", utf8.clone(), true),
        ("spf_all", utf8.clone(), true),
        ("spf_lookups", i32_.clone(), true),
        ("spf_void_lookups", i32_.clone(), true),
        ("spf_error", utf8.clone(), true),
        ("dmarc_status", utf8.clone(), true),
        ("dmarc_record", utf8.clone(), true),
        ("dmarc_error", utf8.clone(), true),
        ("dmarc_p", utf8.clone(), true),
        ("dmarc_sp", utf8.clone(), true),
        ("dmarc_np", utf8.clone(), true),
        ("dmarc_pct", i32_.clone(), true),
        ("dmarc_t", bool_.clone(), true),
        ("dmarc_rua", list(DataType::Utf8), true),
        ("dmarc_ruf", list(DataType::Utf8), true),
        ("dmarc_rua_authorized", bool_.clone(), true),
        ("dnssec_status", utf8.clone(), true),
        ("dnssec_algorithms", list(DataType::UInt8), true),
        ("dnssec_reason", utf8.clone(), true),
        ("bimi_status", utf8.clone(), true),
        ("bimi_logo", utf8.clone(), true),
        ("bimi_authority", utf8.clone(), true),
        ("mta_sts_status", utf8.clone(), true),
        ("tlsrpt_status", utf8.clone(), true),
        ("dkim_status", utf8.clone(), true),
        ("dane_status", utf8, true),
        ("parked", bool_, false),
        ("queries", i32_.clone(), false),
        ("elapsed_ms", i32_, false),
    ];
    let schema = schema();
    let actual: Vec<(&str, DataType, bool)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.data_type().clone(), f.is_nullable()))
        .collect();
    assert_eq!(actual, contract);
    assert!(schema.metadata().is_empty());
}

#[test]
fn every_vocabulary_value_fits_the_contract() {
    let vocab: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("resolution", &["ok", "nxdomain", "error"][..]),
        (
            "mx_status",
            &["present", "null_mx", "invalid", "absent", "error"][..],
        ),
        ("spf_status", &["valid", "invalid", "absent", "error"][..]),
        ("spf_all", &["-all", "~all", "?all", "+all"][..]),
        ("dmarc_status", &["valid", "invalid", "absent", "error"][..]),
        ("dmarc_p", &["none", "quarantine", "reject"][..]),
        ("dmarc_sp", &["none", "quarantine", "reject"][..]),
        ("dmarc_np", &["none", "quarantine", "reject"][..]),
        (
            "dnssec_status",
            &["secure", "insecure", "bogus", "error"][..],
        ),
        (
            "bimi_status",
            &["valid", "declined", "invalid", "absent", "error"][..],
        ),
        (
            "mta_sts_status",
            &["valid", "invalid", "absent", "error"][..],
        ),
        (
            "tlsrpt_status",
            &["valid", "invalid", "absent", "error"][..],
        ),
        ("dkim_status", &["likely", "absent", "unknown", "error"][..]),
        ("dane_status", &["valid", "invalid", "absent", "error"][..]),
    ]);
    let mut builder = BatchBuilder::new("s");
    for row in rows(0..3000) {
        builder.push(&row);
    }
    let batch = builder.finish().unwrap();
    for (column, allowed) in vocab {
        let values = batch.column_by_name(column).unwrap().as_string::<i32>();
        let seen: std::collections::BTreeSet<&str> = values.iter().flatten().collect();
        for v in &seen {
            assert!(allowed.contains(v), "{column}: {v:?} not in the vocabulary");
        }
        // The sample covers every value, so the check above is not vacuous.
        assert_eq!(seen.len(), allowed.len(), "{column}: sample misses a value");
    }
}

#[test]
fn round_trip_values_nulls_metadata_codec_and_row_groups() {
    let tmp = tempfile::tempdir().unwrap();
    let input = rows(0..300);
    let mut tuning = small();
    tuning.rows_per_part = 1_000;
    let mut writer = DatasetWriter::create(config(tmp.path(), tuning)).unwrap();
    for row in &input {
        writer.push(row).unwrap();
    }
    let summary = writer.finish().unwrap();
    assert_eq!(summary.rows_written, 300);
    assert_eq!(summary.parts_written, 1);

    let dir = partition(tmp.path());
    let parts = complete_parts(&dir);
    assert_eq!(parts.len(), 1);
    assert!(parts[0].ends_with("part-00000-00000.parquet"));
    let (batch, metadata) = read_part(&parts[0]);

    let mut expected = BatchBuilder::new("scan-test-1");
    for row in &input {
        expected.push(row);
    }
    let expected = expected.finish().unwrap();
    assert_eq!(batch.num_columns(), expected.num_columns());
    for (i, field) in schema().fields().iter().enumerate() {
        assert_eq!(
            batch.schema().field(i).data_type(),
            field.data_type(),
            "{}",
            field.name()
        );
        assert_eq!(
            batch.column(i).as_ref(),
            expected.column(i).as_ref(),
            "column {} differs after the round trip",
            field.name()
        );
    }

    // Spot values and nulls where the contract puts them.
    let col = |name: &str| batch.column_by_name(name).unwrap().clone();
    let dmarc_status = col("dmarc_status");
    let dmarc_status = dmarc_status.as_string::<i32>();
    // seq 1 has DMARC deselected (seq % 13 == 1): null, not "absent".
    assert!(dmarc_status.is_null(1));
    assert!(col("dmarc_rua").is_null(1));
    assert!(!col("dmarc_rua").is_null(0));
    // seq 3 is nxdomain.
    assert_eq!(col("resolution").as_string::<i32>().value(3), "nxdomain");
    assert_eq!(col("spf_status").as_string::<i32>().value(3), "absent");
    assert!(col("spf_record").is_null(3));
    // seq 7 is parked.
    assert!(col("parked").as_boolean().value(7));
    assert_eq!(col("mx_status").as_string::<i32>().value(7), "null_mx");
    assert_eq!(col("spf_all").as_string::<i32>().value(7), "-all");
    // ns_hosts is never null, empty for seq % 7 == 0.
    let ns = col("ns_hosts");
    assert_eq!(ns.null_count(), 0);
    assert_eq!(ns.as_list::<i32>().value(0).len(), 0);
    assert_eq!(ns.as_list::<i32>().value(1).len(), 2);
    let ts = col("scanned_at");
    assert_eq!(
        ts.as_primitive::<TimestampMillisecondType>().value(2),
        input[2].scanned_at_ms
    );
    let queries = col("queries");
    assert_eq!(
        queries.as_primitive::<Int32Type>().value(5),
        input[5].queries as i32
    );
    let algorithms = col("dnssec_algorithms");
    let secure = (0..300)
        .find(|&i| input[i].posture.dnssec.as_ref().unwrap().algorithms == vec![8, 13])
        .unwrap();
    let algs = algorithms.as_list::<i32>().value(secure);
    assert_eq!(
        algs.as_primitive::<UInt8Type>().values().to_vec(),
        vec![8, 13]
    );

    // Key-value metadata.
    let kv = kv(&metadata);
    assert_eq!(kv[meta::SCHEMA_VERSION], SCHEMA_VERSION.to_string());
    assert_eq!(kv[meta::SCAN_ID], "scan-test-1");
    assert_eq!(kv[meta::SCAN_DATE], DATE);
    assert_eq!(kv[meta::SHARD], "0/1");
    assert_eq!(kv[meta::SEQ_START], "0");
    assert_eq!(kv[meta::SEQ_END], "300");
    assert_eq!(kv[meta::PART], "0");
    let options: serde_json::Value = serde_json::from_str(&kv[meta::OPTIONS]).unwrap();
    assert_eq!(options["timeout_ms"], 2000);
    assert!(kv[meta::INPUTS].contains("xxh3:0011223344556677"));

    // Codec, row groups, dictionary off for near-unique columns.
    let groups = metadata.row_groups();
    let sizes: Vec<i64> = groups.iter().map(|g| g.num_rows()).collect();
    assert_eq!(sizes, vec![32, 32, 32, 32, 32, 32, 32, 32, 32, 12]);
    let domain_idx = 0;
    let suffix_idx = 1;
    for group in groups {
        for column in group.columns() {
            assert!(
                matches!(column.compression(), Compression::ZSTD(_)),
                "{:?}",
                column.column_path()
            );
        }
        let dict = |i: usize| {
            group
                .column(i)
                .encodings()
                .any(|e| matches!(e, Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY))
        };
        assert!(!dict(domain_idx), "domain must not be dictionary-encoded");
        assert!(dict(suffix_idx), "suffix should keep its dictionary");
    }
}

#[test]
fn part_is_invisible_until_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let mut tuning = small();
    tuning.rows_per_part = 10_000;
    let mut writer = DatasetWriter::create(config(tmp.path(), tuning)).unwrap();
    let dir = partition(tmp.path());
    for row in rows(0..2_000) {
        writer.push(&row).unwrap();
    }
    // Many row groups are flushed: bytes are already in the temporary file.
    assert_eq!(
        names(&dir),
        vec![".part-00000-00000.parquet.tmp", "_manifest-00000.json"]
    );
    assert!(
        fs::metadata(dir.join(".part-00000-00000.parquet.tmp"))
            .unwrap()
            .len()
            > 0
    );
    assert!(
        Manifest::load(&dir.join("_manifest-00000.json"))
            .unwrap()
            .parts
            .is_empty()
    );

    let part = writer.checkpoint().unwrap().unwrap();
    assert_eq!((part.seq_start, part.seq_end, part.rows), (0, 2_000, 2_000));
    assert_eq!(
        names(&dir),
        vec!["_manifest-00000.json", "part-00000-00000.parquet"]
    );
    // A checkpoint with nothing pending writes no empty part.
    assert!(writer.checkpoint().unwrap().is_none());
    drop(writer);
    assert_eq!(
        names(&dir),
        vec!["_manifest-00000.json", "part-00000-00000.parquet"]
    );
}

#[test]
fn manifest_is_rewritten_at_every_part_and_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = DatasetWriter::create(config(tmp.path(), small())).unwrap();
    let path = writer.manifest_path().to_owned();
    let first = Manifest::load(&path).unwrap();
    assert_eq!(first.scan_id, "scan-test-1");
    assert!(!first.complete);
    assert!(first.parts.is_empty());
    let input = rows(0..250);
    for (i, row) in input.iter().enumerate() {
        writer.push(row).unwrap();
        if i == 99 || i == 199 {
            let m = Manifest::load(&path).unwrap();
            assert_eq!(m.parts.len(), (i + 1) / 100);
            assert_eq!(m.next_seq, i as u64 + 1);
        }
    }
    let summary = writer.finish().unwrap();
    let m = Manifest::load(&path).unwrap();
    assert_eq!(m, summary.manifest);
    assert!(m.complete);
    assert!(m.ended_at.is_some());
    assert_eq!(m.rows, 250);
    let ranges: Vec<(u64, u64, u64)> = m
        .parts
        .iter()
        .map(|p| (p.seq_start, p.seq_end, p.rows))
        .collect();
    assert_eq!(ranges, vec![(0, 100, 100), (100, 200, 100), (200, 250, 50)]);
    assert_eq!(
        m.queries,
        input.iter().map(|r| u64::from(r.queries)).sum::<u64>()
    );
    // Counts: every counted column sums to the row count, and match the rows.
    for (column, values) in &m.counts {
        assert_eq!(values.values().sum::<u64>(), 250, "{column}");
    }
    let nx = input
        .iter()
        .filter(|r| r.posture.resolution.label() == "nxdomain")
        .count() as u64;
    assert_eq!(m.counts["resolution"]["nxdomain"], nx);
    let deselected = input.iter().filter(|r| r.posture.dmarc.is_none()).count() as u64;
    assert_eq!(m.counts["dmarc_status"]["null"], deselected);
    // No temporary manifest left; the JSON on disk parses as plain JSON too.
    let dir = partition(tmp.path());
    assert!(names(&dir).iter().all(|n| !n.ends_with(".tmp")));
    let raw: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(raw["format"], "mailcensus-manifest/1");
    assert_eq!(raw["shard"]["count"], 1);

    // write_atomic replaces in place.
    let mut edited = m.clone();
    edited.resolvers.push("127.0.0.2:53".into());
    edited.write_atomic(&path).unwrap();
    assert_eq!(Manifest::load(&path).unwrap(), edited);
}

#[test]
fn resume_after_crash_cleans_up_and_continues_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = partition(tmp.path());
    let mut writer = DatasetWriter::create(config(tmp.path(), small())).unwrap();
    for row in rows(0..250) {
        writer.push(&row).unwrap();
    }
    // SIGKILL: no destructor runs; the third part is a temporary file.
    std::mem::forget(writer);
    // A crash between a part's rename and its manifest update leaves an
    // unlisted part; another shard's files must survive the cleanup.
    fs::copy(
        dir.join("part-00000-00001.parquet"),
        dir.join("part-00000-00002.parquet"),
    )
    .unwrap();
    fs::write(dir.join("._manifest-00000.json.tmp"), b"{\"trunc").unwrap();
    fs::write(dir.join(".part-00001-00000.parquet.tmp"), b"other shard").unwrap();
    fs::write(dir.join("part-00001-00000.parquet"), b"other shard").unwrap();
    assert!(names(&dir).contains(&".part-00000-00002.parquet.tmp".to_owned()));

    let m = Manifest::load(&dir.join("_manifest-00000.json")).unwrap();
    assert_eq!(m.parts.len(), 2);

    let resumed = DatasetWriter::resume(config(tmp.path(), small())).unwrap();
    let Resume::Continue {
        mut writer,
        next_seq,
        removed,
    } = resumed
    else {
        panic!("expected Continue");
    };
    assert_eq!(next_seq, 200);
    let removed: Vec<String> = removed
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        removed,
        vec![
            "._manifest-00000.json.tmp",
            ".part-00000-00002.parquet.tmp",
            "part-00000-00002.parquet"
        ]
    );
    assert!(names(&dir).contains(&".part-00001-00000.parquet.tmp".to_owned()));
    assert!(names(&dir).contains(&"part-00001-00000.parquet".to_owned()));
    fs::remove_file(dir.join("part-00001-00000.parquet")).unwrap();

    // A row below the resume point is refused.
    assert!(matches!(
        writer.push(&sample::row(199, "be")),
        Err(StoreError::OutOfOrder {
            got: 199,
            after: 200
        })
    ));
    // A refused row stops the writer, as any error does: resume again.
    drop(writer);
    let Resume::Continue {
        mut writer,
        next_seq,
        ..
    } = DatasetWriter::resume(config(tmp.path(), small())).unwrap()
    else {
        panic!("expected Continue");
    };
    assert_eq!(next_seq, 200);
    for row in rows(next_seq..420) {
        writer.push(&row).unwrap();
    }
    let summary = writer.finish().unwrap();
    assert_eq!(summary.rows_written, 220);
    let m = summary.manifest;
    assert!(m.complete);
    assert_eq!(m.rows, 420);
    assert_eq!(m.resumed_at.len(), 2);
    assert_eq!(m.scan_id, "scan-test-1");
    let ranges: Vec<(u64, u64)> = m.parts.iter().map(|p| (p.seq_start, p.seq_end)).collect();
    assert_eq!(
        ranges,
        vec![(0, 100), (100, 200), (200, 300), (300, 400), (400, 420)]
    );

    let got = domains_of_dataset(&dir);
    let want: Vec<String> = rows(0..420).into_iter().map(|r| r.domain).collect();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted, "every domain exactly once");

    // Resuming a complete run: nothing to do.
    assert!(matches!(
        DatasetWriter::resume(config(tmp.path(), small())).unwrap(),
        Resume::Complete(_)
    ));
    // Starting afresh over it is refused.
    assert!(matches!(
        DatasetWriter::create(config(tmp.path(), small())),
        Err(StoreError::AlreadyExists { .. })
    ));
}

#[test]
fn resume_refuses_another_run() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = DatasetWriter::create(config(tmp.path(), small())).unwrap();
    for row in rows(0..120) {
        writer.push(&row).unwrap();
    }
    writer.stop().unwrap();

    type Change = Box<dyn Fn(&mut RunConfig)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "inputs",
            Box::new(|c| c.inputs[0].fingerprint = "xxh3:ffff".into()),
        ),
        ("inputs", Box::new(|c| c.inputs.push(c.inputs[0].clone()))),
        ("options", Box::new(|c| c.options["timeout_ms"] = 1.into())),
        (
            "tool versions",
            Box::new(|c| c.tool_version = "9.9.9".into()),
        ),
    ];
    for (what, change) in cases {
        let mut c = config(tmp.path(), small());
        change(&mut c);
        match DatasetWriter::resume(c) {
            Err(e @ StoreError::ResumeMismatch { .. }) => {
                assert!(e.to_string().contains(what), "{e}");
            }
            other => panic!("{what}: expected a mismatch, got {other:?}"),
        }
    }
    // A moved input (same content) and a new resolver are accepted.
    let mut c = config(tmp.path(), small());
    c.inputs[0].path = "/elsewhere/zone.txt".into();
    c.resolvers = vec!["127.0.0.9:53".into()];
    let Resume::Continue {
        writer, next_seq, ..
    } = DatasetWriter::resume(c).unwrap()
    else {
        panic!("expected Continue");
    };
    assert_eq!(next_seq, 120);
    assert_eq!(
        writer.manifest().resolvers,
        vec!["127.0.0.1:5353", "127.0.0.9:53"]
    );
    // Another shard has nothing to resume.
    let mut c = config(tmp.path(), small());
    c.shard = Shard { index: 1, count: 2 };
    assert!(matches!(
        DatasetWriter::resume(c),
        Err(StoreError::NoManifest { .. })
    ));
}

#[test]
fn resume_detects_a_damaged_part() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = DatasetWriter::create(config(tmp.path(), small())).unwrap();
    for row in rows(0..150) {
        writer.push(&row).unwrap();
    }
    writer.stop().unwrap();
    let part = partition(tmp.path()).join("part-00000-00000.parquet");
    fs::write(&part, b"truncated").unwrap();
    let err = DatasetWriter::resume(config(tmp.path(), small())).unwrap_err();
    assert!(matches!(err, StoreError::PartDamaged { .. }), "{err}");
}

#[test]
fn unwritable_dir_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    fs::write(&file, b"x").unwrap();
    // Root ignores permission bits, so make the path impossible instead.
    let err = DatasetWriter::create(config(&file.join("out"), small())).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StoreError::Io { .. }), "{message}");
    assert!(
        message.contains("cannot create output directory"),
        "{message}"
    );
    assert!(message.contains("not-a-dir"), "{message}");
}

fn assert_no_complete_looking_part(dir: &Path) {
    let leftovers = names(dir);
    assert!(
        leftovers
            .iter()
            .all(|n| !n.ends_with(".parquet") && !n.ends_with(".tmp")),
        "{leftovers:?}"
    );
    assert!(
        Manifest::load(&dir.join("_manifest-00000.json"))
            .unwrap()
            .parts
            .is_empty()
    );
}

#[test]
fn disk_full_injected_is_an_error_and_leaves_no_part() {
    let tmp = tempfile::tempdir().unwrap();
    let mut tuning = small();
    tuning.rows_per_part = 10_000;
    tuning.fail_after_bytes = Some(16 * 1024);
    let mut writer = DatasetWriter::create(config(tmp.path(), tuning)).unwrap();
    let mut failure = None;
    for row in rows(0..5_000) {
        if let Err(e) = writer.push(&row) {
            failure = Some(e);
            break;
        }
    }
    let failure = chain_text(&failure.expect("the byte budget must run out"));
    assert_eq!(failure.matches("No space left").count(), 1, "{failure}");
    // The writer refuses further work, and says why (once).
    let again = chain_text(&writer.push(&sample::row(9_999, "be")).unwrap_err());
    assert_eq!(again.matches("No space left").count(), 1, "{again}");
    assert!(writer.finish().is_err());
    assert_no_complete_looking_part(&partition(tmp.path()));
}

#[test]
fn disk_full_at_footer_through_the_thread_is_reported_by_finish() {
    let tmp = tempfile::tempdir().unwrap();
    let mut tuning = small();
    tuning.rows_per_part = 10_000;
    tuning.row_group_rows = 100_000;
    // Everything stays buffered in the row group; the disk fills on close.
    tuning.fail_after_bytes = Some(4 * 1024);
    let mut handle = spawn(DatasetWriter::create(config(tmp.path(), tuning)).unwrap()).unwrap();
    for row in rows(0..200) {
        handle.send(row).unwrap();
    }
    let err = chain_text(&handle.finish().unwrap_err());
    assert_eq!(err.matches("No space left").count(), 1, "{err}");
    assert_no_complete_looking_part(&partition(tmp.path()));
}

#[test]
fn writer_thread_rolls_parts_and_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let mut tuning = small();
    tuning.channel_rows = 8;
    let mut handle = spawn(DatasetWriter::create(config(tmp.path(), tuning)).unwrap()).unwrap();
    for row in rows(0..130) {
        handle.send(row).unwrap();
    }
    let part = handle.checkpoint().unwrap().unwrap();
    assert_eq!((part.seq_start, part.seq_end), (100, 130));
    // Gaps in seq (items of other shards) are fine; the part covers them.
    for row in rows(130..400).into_iter().filter(|r| r.seq % 3 != 0) {
        handle.send(row).unwrap();
    }
    let summary = handle.finish().unwrap();
    let m = summary.manifest;
    assert!(m.complete);
    // 399 belongs to another shard: the last row is 398.
    assert_eq!(m.next_seq, 399);
    let expected = 130 + (130..400).filter(|s| s % 3 != 0).count() as u64;
    assert_eq!(m.rows, expected);
    let covered: Vec<(u64, u64)> = m.parts.iter().map(|p| (p.seq_start, p.seq_end)).collect();
    for pair in covered.windows(2) {
        assert_eq!(
            pair[0].1, pair[1].0,
            "parts must tile the input: {covered:?}"
        );
    }
    assert_eq!(
        domains_of_dataset(&partition(tmp.path())).len() as u64,
        expected
    );
}

#[test]
fn dropped_handle_stops_and_keeps_what_it_received() {
    let tmp = tempfile::tempdir().unwrap();
    let mut handle = spawn(DatasetWriter::create(config(tmp.path(), small())).unwrap()).unwrap();
    for row in rows(0..42) {
        handle.send(row).unwrap();
    }
    drop(handle);
    let m = Manifest::load(&partition(tmp.path()).join("_manifest-00000.json")).unwrap();
    assert!(!m.complete, "a dropped writer must stay resumable");
    assert_eq!(m.rows, 42);
}

#[test]
fn fingerprint_reads_edges_and_size() {
    let tmp = tempfile::tempdir().unwrap();
    let small_file = tmp.path().join("small.txt");
    fs::write(&small_file, b"example.be. NS ns1.example.\n").unwrap();
    let a = fingerprint(&small_file).unwrap();
    assert_eq!(a.size, 28);
    assert!(a.fingerprint.starts_with("xxh3:"));
    assert_eq!(fingerprint(&small_file).unwrap(), a);

    let big = tmp.path().join("big.txt");
    let mut data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    fs::write(&big, &data).unwrap();
    let before = fingerprint(&big).unwrap();
    // A change in the middle is not seen (by design: cheap), the last byte is.
    data[3 * 512 * 1024] ^= 1;
    fs::write(&big, &data).unwrap();
    assert_eq!(fingerprint(&big).unwrap().fingerprint, before.fingerprint);
    let last = data.len() - 1;
    data[last] ^= 1;
    fs::write(&big, &data).unwrap();
    assert_ne!(fingerprint(&big).unwrap().fingerprint, before.fingerprint);
    assert!(fingerprint(&tmp.path().join("missing")).is_err());
}

#[test]
fn bad_configuration_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = config(tmp.path(), small());
    c.scan_date = "2026-13-01".into();
    assert!(matches!(
        DatasetWriter::create(c),
        Err(StoreError::Config(_))
    ));
    let mut c = config(tmp.path(), small());
    c.shard = Shard { index: 2, count: 2 };
    assert!(matches!(
        DatasetWriter::create(c),
        Err(StoreError::Config(_))
    ));
    let mut c = config(tmp.path(), small());
    c.tuning.rows_per_part = 0;
    assert!(matches!(
        DatasetWriter::create(c),
        Err(StoreError::Config(_))
    ));
}

/// A real full disk: a 1 MiB tmpfs. Needs root (`mount`), so it is ignored by
/// default; run with `cargo test -p mailcensus-store -- --ignored`.
#[test]
#[ignore = "needs root to mount a tmpfs"]
fn disk_full_on_a_real_tmpfs() {
    struct Mount(PathBuf);
    impl Drop for Mount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let mountpoint = tmp.path().join("tiny");
    fs::create_dir(&mountpoint).unwrap();
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&mountpoint)
        .status()
        .unwrap();
    assert!(status.success(), "mount failed");
    let _mount = Mount(mountpoint.clone());
    let mut tuning = small();
    tuning.rows_per_part = 1_000_000;
    tuning.row_group_rows = 4_096;
    tuning.batch_rows = 1_024;
    tuning.zstd_level = 1;
    let mut writer = DatasetWriter::create(config(&mountpoint, tuning)).unwrap();
    let mut failure = None;
    for row in rows(0..200_000) {
        if let Err(e) = writer.push(&row) {
            failure = Some(e);
            break;
        }
    }
    let failure = chain_text(&failure.expect("1 MiB must fill up"));
    assert!(failure.to_lowercase().contains("no space"), "{failure}");
    drop(writer);
    assert_no_complete_looking_part(&partition(&mountpoint));
}

#[test]
fn manifest_write_failure_leaves_no_unlisted_part() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = DatasetWriter::create(config(tmp.path(), small())).unwrap();
    for row in rows(0..50) {
        writer.push(&row).unwrap();
    }
    // rename() cannot replace a non-empty directory: the manifest update fails
    // after the part was renamed into place.
    let dir = partition(tmp.path());
    let manifest = dir.join("_manifest-00000.json");
    fs::remove_file(&manifest).unwrap();
    fs::create_dir(&manifest).unwrap();
    fs::write(manifest.join("block"), b"x").unwrap();
    let err = writer.checkpoint().unwrap_err();
    assert!(err.to_string().contains("_manifest-00000.json"), "{err}");
    assert!(complete_parts(&dir).is_empty(), "{:?}", names(&dir));
    assert!(
        names(&dir).iter().all(|n| !n.ends_with(".tmp")),
        "{:?}",
        names(&dir)
    );
}

#[test]
fn unfinished_runs_are_found_across_dates() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(
        mailcensus_store::unfinished_runs(tmp.path(), Shard::SINGLE)
            .unwrap()
            .is_empty()
    );
    let mut done = config(tmp.path(), small());
    done.scan_date = "2026-11-22".into();
    DatasetWriter::create(done).unwrap().finish().unwrap();
    let mut writer = DatasetWriter::create(config(tmp.path(), small())).unwrap();
    writer.push(&sample::row(0, "be")).unwrap();
    writer.stop().unwrap();
    let runs = mailcensus_store::unfinished_runs(tmp.path(), Shard::SINGLE).unwrap();
    let dates: Vec<&str> = runs.iter().map(|m| m.scan_date.as_str()).collect();
    assert_eq!(dates, vec![DATE]);
    let other = Shard { index: 1, count: 2 };
    assert!(
        mailcensus_store::unfinished_runs(tmp.path(), other)
            .unwrap()
            .is_empty()
    );
}
