//! The dataset writer: rows in, complete Parquet parts and a manifest out.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::error::{Result, StoreError, chain_text, io, parquet};
use crate::layout::Shard;
use crate::layout::{
    manifest_file_name, manifest_path, parse_part_file_name, parse_part_temp_name, part_file_name,
    part_temp_name, partition_dir, temp_name,
};
use crate::manifest::{MANIFEST_FORMAT, Manifest, PartInfo, now_rfc3339, sync_dir};
use crate::row::{BatchBuilder, Counts, PartCounts, Row, count_row, merge_counts};
use crate::schema::{COLUMNS, SCHEMA_VERSION, meta, schema};

/// Sizes and knobs of the writer. The defaults suit a national zone.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Rows per part before it is closed and a new one started (default 1,048,576).
    /// Smaller parts lose less on a crash; larger ones mean fewer files.
    pub rows_per_part: u64,
    /// Rows per Parquet row group (default 131,072). A row group is buffered in
    /// memory until it is flushed.
    pub row_group_rows: usize,
    /// Rows per Arrow record batch handed to the Parquet encoder (default 8,192).
    pub batch_rows: usize,
    /// zstd level (default 3).
    pub zstd_level: i32,
    /// Capacity of the channel in front of the writer thread, in rows
    /// (default 8,192): how far the engine may run ahead of the disk.
    pub channel_rows: usize,
    /// Fault injection for tests: every part file refuses writes with
    /// `StorageFull` after this many bytes, as a full disk would.
    #[doc(hidden)]
    pub fail_after_bytes: Option<u64>,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            rows_per_part: 1 << 20,
            row_group_rows: 128 * 1024,
            batch_rows: 8 * 1024,
            zstd_level: 3,
            channel_rows: 8 * 1024,
            fail_after_bytes: None,
        }
    }
}

/// Everything that identifies a run and where it writes.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The dataset directory (`--out`).
    pub out_dir: PathBuf,
    /// `YYYY-MM-DD`: the partition the parts go to.
    pub scan_date: String,
    /// This process's shard.
    pub shard: Shard,
    /// The scan's identifier. On resume the manifest's identifier is kept, so
    /// a dataset has one `scan_id` however often it was resumed.
    pub scan_id: String,
    /// The tool's version (resume refuses another version: it might classify
    /// differently).
    pub tool_version: String,
    /// The inputs (see [`crate::fingerprint`]).
    pub inputs: Vec<crate::InputFile>,
    /// The upstream resolvers.
    pub resolvers: Vec<String>,
    /// The options that shape the output (probes, timeouts…); resume refuses
    /// other options. Leave out what may change between attempts (rates,
    /// concurrency), or resume will refuse a change of them.
    pub options: serde_json::Value,
    /// Sizes.
    pub tuning: Tuning,
}

impl RunConfig {
    /// A configuration with no inputs, resolvers or options and default tuning.
    pub fn new(
        out_dir: impl Into<PathBuf>,
        scan_date: impl Into<String>,
        shard: Shard,
        scan_id: impl Into<String>,
    ) -> Self {
        RunConfig {
            out_dir: out_dir.into(),
            scan_date: scan_date.into(),
            shard,
            scan_id: scan_id.into(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            inputs: Vec::new(),
            resolvers: Vec::new(),
            options: serde_json::Value::Null,
            tuning: Tuning::default(),
        }
    }

    fn validate(&self) -> Result<()> {
        self.shard.validate()?;
        if !crate::layout::is_scan_date(&self.scan_date) {
            return Err(StoreError::Config(format!(
                "scan date {:?} is not YYYY-MM-DD",
                self.scan_date
            )));
        }
        let t = &self.tuning;
        if t.rows_per_part == 0 || t.row_group_rows == 0 || t.batch_rows == 0 || t.channel_rows == 0
        {
            return Err(StoreError::Config("sizes must be at least 1".into()));
        }
        ZstdLevel::try_new(t.zstd_level).map_err(|e| StoreError::Config(e.to_string()))?;
        Ok(())
    }

    fn manifest_path(&self) -> PathBuf {
        manifest_path(&self.out_dir, &self.scan_date, self.shard)
    }
}

/// What a finished or stopped writer reports.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The manifest as last written.
    pub manifest: Manifest,
    /// Where it is.
    pub manifest_path: PathBuf,
    /// Rows written by this process (the manifest counts earlier attempts too).
    pub rows_written: u64,
    /// Parts completed by this process.
    pub parts_written: usize,
}

/// What [`DatasetWriter::resume`] found.
#[derive(Debug)]
pub enum Resume {
    /// The run had finished: nothing to do.
    Complete(Box<Manifest>),
    /// The run continues: feed input items from `next_seq` on.
    Continue {
        /// The writer, positioned after the last complete part.
        writer: Box<DatasetWriter>,
        /// The first input sequence number not yet in a complete part.
        next_seq: u64,
        /// Leftovers of the crash that were deleted: temporary files, and
        /// parts renamed into place whose manifest update never happened
        /// (their rows are written again).
        removed: Vec<PathBuf>,
    },
}

/// Parquet part sink: a file, with an optional byte budget for fault injection.
struct Sink {
    file: File,
    budget: Option<u64>,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(budget) = &mut self.budget {
            let n = buf.len() as u64;
            if n > *budget {
                return Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    "No space left on device (injected)",
                ));
            }
            *budget -= n;
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

struct OpenPart {
    number: u64,
    temp: PathBuf,
    writer: ArrowWriter<Sink>,
    rows: u64,
    seq_start: u64,
    queries: u64,
    counts: PartCounts,
}

/// Writes rows into parts and keeps the manifest. Synchronous; see
/// [`crate::spawn`] for the thread that keeps it off the engine's path.
///
/// Rows must come in strictly increasing [`Row::seq`]. A part is written under
/// a temporary name, closed, fsynced, renamed to `part-<shard>-<n>.parquet`,
/// the directory fsynced, and only then listed in the manifest. After any
/// error the writer discards its open part and refuses further work, so what
/// is on disk is always complete parts plus a manifest describing them.
pub struct DatasetWriter {
    config: RunConfig,
    dir: PathBuf,
    manifest_path: PathBuf,
    manifest: Manifest,
    properties: WriterProperties,
    builder: BatchBuilder,
    current: Option<OpenPart>,
    next_part: u64,
    /// Lowest `seq` the next row may have.
    next_seq: u64,
    rows_written: u64,
    parts_written: usize,
    failed: Option<String>,
}

impl std::fmt::Debug for DatasetWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetWriter")
            .field("dir", &self.dir)
            .field("next_part", &self.next_part)
            .field("next_seq", &self.next_seq)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

fn own_leftovers(dir: &Path, shard: Shard, manifest: &Manifest) -> Result<Vec<PathBuf>> {
    let manifest_temp = temp_name(&manifest_file_name(shard));
    let ours = |parsed: Option<(u32, u64)>| parsed.is_some_and(|(index, _)| index == shard.index);
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(io("cannot list directory", dir))? {
        let entry = entry.map_err(io("cannot list directory", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stray_temp = ours(parse_part_temp_name(&name)) || name == manifest_temp;
        let unlisted_part =
            ours(parse_part_file_name(&name)) && !manifest.parts.iter().any(|p| p.file == name);
        if stray_temp || unlisted_part {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

impl DatasetWriter {
    /// Starts a new run: creates the partition directory and writes the first
    /// manifest (so an unwritable `DIR` fails here, before any DNS traffic).
    /// Refuses to start where this shard already has a manifest or parts.
    pub fn create(config: RunConfig) -> Result<DatasetWriter> {
        config.validate()?;
        let dir = partition_dir(&config.out_dir, &config.scan_date);
        fs::create_dir_all(&dir).map_err(io("cannot create output directory", &dir))?;
        let manifest_path = config.manifest_path();
        if manifest_path.exists() {
            return Err(StoreError::AlreadyExists {
                path: manifest_path,
            });
        }
        let manifest = Manifest {
            format: MANIFEST_FORMAT.to_owned(),
            schema_version: SCHEMA_VERSION,
            tool_version: config.tool_version.clone(),
            scan_id: config.scan_id.clone(),
            scan_date: config.scan_date.clone(),
            shard: config.shard,
            inputs: config.inputs.clone(),
            resolvers: config.resolvers.clone(),
            options: config.options.clone(),
            started_at: now_rfc3339(),
            resumed_at: Vec::new(),
            ended_at: None,
            complete: false,
            rows: 0,
            queries: 0,
            next_seq: 0,
            counts: Counts::new(),
            parts: Vec::new(),
        };
        if let Some(part) = own_leftovers(&dir, config.shard, &manifest)?
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        {
            return Err(StoreError::AlreadyExists { path: part });
        }
        manifest.write_atomic(&manifest_path)?;
        Self::with_manifest(config, dir, manifest_path, manifest)
    }

    /// Continues a run after a crash or a stop: loads the shard's manifest,
    /// checks it describes the same run (schema and tool version, shard,
    /// inputs by size and fingerprint, options), checks the listed parts are
    /// intact, deletes this shard's leftovers, and positions the writer after
    /// the last complete part.
    pub fn resume(config: RunConfig) -> Result<Resume> {
        config.validate()?;
        let dir = partition_dir(&config.out_dir, &config.scan_date);
        let path = config.manifest_path();
        if !path.exists() {
            return Err(StoreError::NoManifest { path });
        }
        let mut manifest = Manifest::load(&path)?;
        let mismatch = |what: &'static str, manifest: String, current: String| {
            Err(StoreError::ResumeMismatch {
                path: path.clone(),
                what,
                manifest,
                current,
            })
        };
        if manifest.schema_version != SCHEMA_VERSION {
            return mismatch(
                "schema versions",
                manifest.schema_version.to_string(),
                SCHEMA_VERSION.to_string(),
            );
        }
        if manifest.tool_version != config.tool_version {
            return mismatch(
                "tool versions",
                manifest.tool_version.clone(),
                config.tool_version.clone(),
            );
        }
        if manifest.shard != config.shard {
            return mismatch(
                "shards",
                manifest.shard.to_string(),
                config.shard.to_string(),
            );
        }
        // Paths may differ (another working directory, a moved file); content may not.
        let same_inputs = manifest.inputs.len() == config.inputs.len()
            && manifest
                .inputs
                .iter()
                .zip(&config.inputs)
                .all(|(a, b)| a.same_content(b));
        if !same_inputs {
            let show = |inputs: &[crate::InputFile]| {
                inputs
                    .iter()
                    .map(|i| format!("{} ({} bytes, {})", i.path, i.size, i.fingerprint))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return mismatch("inputs", show(&manifest.inputs), show(&config.inputs));
        }
        if manifest.options != config.options {
            return mismatch(
                "options",
                manifest.options.to_string(),
                config.options.to_string(),
            );
        }
        if manifest.complete {
            return Ok(Resume::Complete(Box::new(manifest)));
        }
        for part in &manifest.parts {
            let part_path = dir.join(&part.file);
            match fs::metadata(&part_path) {
                Ok(m) if m.len() == part.bytes => {}
                Ok(m) => {
                    return Err(StoreError::PartDamaged {
                        path: part_path,
                        problem: format!("has {} bytes, the manifest says {}", m.len(), part.bytes),
                    });
                }
                Err(e) => {
                    return Err(StoreError::PartDamaged {
                        path: part_path,
                        problem: format!("cannot be read: {e}"),
                    });
                }
            }
        }
        let removed = own_leftovers(&dir, config.shard, &manifest)?;
        for leftover in &removed {
            fs::remove_file(leftover).map_err(io("cannot delete leftover", leftover))?;
        }
        if !removed.is_empty() {
            sync_dir(&dir)?;
        }
        manifest.next_seq = manifest.parts.last().map_or(0, |p| p.seq_end);
        manifest.resumed_at.push(now_rfc3339());
        manifest.ended_at = None;
        for resolver in &config.resolvers {
            if !manifest.resolvers.contains(resolver) {
                manifest.resolvers.push(resolver.clone());
            }
        }
        manifest.write_atomic(&path)?;
        let next_seq = manifest.next_seq;
        let writer = Self::with_manifest(config, dir, path, manifest)?;
        Ok(Resume::Continue {
            writer: Box::new(writer),
            next_seq,
            removed,
        })
    }

    fn with_manifest(
        config: RunConfig,
        dir: PathBuf,
        manifest_path: PathBuf,
        manifest: Manifest,
    ) -> Result<DatasetWriter> {
        let t = &config.tuning;
        let kv = vec![
            KeyValue::new(meta::SCHEMA_VERSION.to_owned(), SCHEMA_VERSION.to_string()),
            KeyValue::new(meta::SCAN_ID.to_owned(), manifest.scan_id.clone()),
            KeyValue::new(meta::SCAN_DATE.to_owned(), manifest.scan_date.clone()),
            KeyValue::new(meta::TOOL_VERSION.to_owned(), manifest.tool_version.clone()),
            KeyValue::new(meta::SHARD.to_owned(), manifest.shard.to_string()),
            KeyValue::new(meta::OPTIONS.to_owned(), manifest.options.to_string()),
            KeyValue::new(meta::RESOLVERS.to_owned(), json(&manifest.resolvers)),
            KeyValue::new(meta::INPUTS.to_owned(), json(&manifest.inputs)),
        ];
        let level =
            ZstdLevel::try_new(t.zstd_level).map_err(|e| StoreError::Config(e.to_string()))?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(t.row_group_rows))
            .set_key_value_metadata(Some(kv));
        for column in COLUMNS.iter().filter(|c| c.no_dictionary) {
            props = props.set_column_dictionary_enabled(ColumnPath::from(column.name), false);
        }
        let next_part = manifest.parts.last().map_or(0, |p| p.part + 1);
        let next_seq = manifest.next_seq;
        Ok(DatasetWriter {
            builder: BatchBuilder::new(manifest.scan_id.clone()),
            properties: props.build(),
            config,
            dir,
            manifest_path,
            manifest,
            current: None,
            next_part,
            next_seq,
            rows_written: 0,
            parts_written: 0,
            failed: None,
        })
    }

    /// The writer's sizes.
    pub fn tuning(&self) -> &Tuning {
        &self.config.tuning
    }

    /// The manifest as last written.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where the manifest is.
    pub fn manifest_path(&self) -> &Path {
        &self.manifest_path
    }

    /// The lowest input sequence number the next row may carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn check(&self) -> Result<()> {
        match &self.failed {
            Some(message) => Err(StoreError::Stopped(message.clone())),
            None => Ok(()),
        }
    }

    /// Runs `f`; on error discards the open part and stops the writer.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.check()?;
        let result = f(self);
        if let Err(e) = &result {
            self.failed = Some(chain_text(e));
            self.discard_open_part();
        }
        result
    }

    fn discard_open_part(&mut self) {
        if let Some(part) = self.current.take() {
            drop(part.writer);
            let _ = fs::remove_file(&part.temp);
        }
        self.builder = BatchBuilder::new(self.manifest.scan_id.clone());
    }

    /// Appends a row; closes the part when it reaches
    /// [`Tuning::rows_per_part`].
    pub fn push(&mut self, row: &Row) -> Result<()> {
        self.guarded(|w| w.push_inner(row))
    }

    fn push_inner(&mut self, row: &Row) -> Result<()> {
        if row.seq < self.next_seq {
            return Err(StoreError::OutOfOrder {
                got: row.seq,
                after: self.next_seq,
            });
        }
        if self.current.is_none() {
            self.open_part()?;
        }
        let Some(part) = self.current.as_mut() else {
            return Err(StoreError::Stopped("no open part".into()));
        };
        self.builder.push(row);
        part.rows += 1;
        part.queries += u64::from(row.queries);
        count_row(&mut part.counts, row);
        self.next_seq = row.seq + 1;
        let full = part.rows >= self.config.tuning.rows_per_part;
        if self.builder.len() >= self.config.tuning.batch_rows {
            self.flush_batch()?;
        }
        if full {
            self.commit_part()?;
        }
        Ok(())
    }

    fn open_part(&mut self) -> Result<()> {
        let number = self.next_part;
        let temp = self.dir.join(part_temp_name(self.config.shard, number));
        let file = File::create(&temp).map_err(io("cannot create part", &temp))?;
        let sink = Sink {
            file,
            budget: self.config.tuning.fail_after_bytes,
        };
        let writer = ArrowWriter::try_new(sink, schema(), Some(self.properties.clone()))
            .map_err(parquet(&temp));
        let writer = match writer {
            Ok(w) => w,
            Err(e) => {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        };
        self.current = Some(OpenPart {
            number,
            temp,
            writer,
            rows: 0,
            seq_start: self.manifest.next_seq,
            queries: 0,
            counts: PartCounts::new(),
        });
        self.next_part += 1;
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<()> {
        if self.builder.is_empty() {
            return Ok(());
        }
        let batch = self.builder.finish()?;
        if let Some(part) = self.current.as_mut() {
            part.writer.write(&batch).map_err(parquet(&part.temp))?;
        }
        Ok(())
    }

    /// Closes the open part now (if it has rows) and records it in the
    /// manifest, so a crash after this loses nothing before it. Returns the
    /// part completed, if any.
    pub fn checkpoint(&mut self) -> Result<Option<PartInfo>> {
        self.guarded(|w| {
            w.flush_batch()?;
            w.commit_part()
        })
    }

    fn commit_part(&mut self) -> Result<Option<PartInfo>> {
        self.flush_batch()?;
        let Some(part) = self.current.take() else {
            return Ok(None);
        };
        let OpenPart {
            number,
            temp,
            mut writer,
            rows,
            seq_start,
            queries,
            counts,
        } = part;
        let seq_end = self.next_seq;
        let file_name = part_file_name(self.config.shard, number);
        let final_path = self.dir.join(&file_name);
        let committed = (|| {
            writer.append_key_value_metadata(KeyValue::new(
                meta::PART.to_owned(),
                number.to_string(),
            ));
            writer.append_key_value_metadata(KeyValue::new(
                meta::SEQ_START.to_owned(),
                seq_start.to_string(),
            ));
            writer.append_key_value_metadata(KeyValue::new(
                meta::SEQ_END.to_owned(),
                seq_end.to_string(),
            ));
            let sink = writer.into_inner().map_err(parquet(&temp))?;
            let mut file = sink.file;
            file.flush().map_err(io("cannot write part", &temp))?;
            file.sync_all().map_err(io("cannot sync part", &temp))?;
            let bytes = file
                .metadata()
                .map_err(io("cannot stat part", &temp))?
                .len();
            drop(file);
            fs::rename(&temp, &final_path)
                .map_err(io("cannot rename part into place", &final_path))?;
            sync_dir(&self.dir)?;
            Ok(bytes)
        })();
        let bytes = match committed {
            Ok(bytes) => bytes,
            Err(e) => {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        };
        let info = PartInfo {
            part: number,
            file: file_name,
            rows,
            seq_start,
            seq_end,
            bytes,
            written_at: now_rfc3339(),
        };
        let mut next = self.manifest.clone();
        next.parts.push(info.clone());
        next.rows += rows;
        next.queries += queries;
        next.next_seq = seq_end;
        merge_counts(&mut next.counts, &counts);
        if let Err(e) = next.write_atomic(&self.manifest_path) {
            // Keep the dataset equal to what the manifest lists. Should the
            // removal fail too, resume deletes the unlisted part.
            if fs::remove_file(&final_path).is_ok() {
                let _ = sync_dir(&self.dir);
            }
            return Err(e);
        }
        self.manifest = next;
        self.rows_written += rows;
        self.parts_written += 1;
        Ok(Some(info))
    }

    /// The input is exhausted: closes the last part and marks the run complete.
    pub fn finish(self) -> Result<Summary> {
        self.close(true)
    }

    /// Stops early (SIGINT/SIGTERM): closes the open part and records it, but
    /// leaves the run incomplete so that `--resume` continues it.
    pub fn stop(self) -> Result<Summary> {
        self.close(false)
    }

    fn close(mut self, complete: bool) -> Result<Summary> {
        self.guarded(|w| {
            w.commit_part()?;
            let mut next = w.manifest.clone();
            next.complete = complete;
            next.ended_at = Some(now_rfc3339());
            next.write_atomic(&w.manifest_path)?;
            w.manifest = next;
            Ok(())
        })?;
        Ok(Summary {
            manifest: self.manifest.clone(),
            manifest_path: self.manifest_path.clone(),
            rows_written: self.rows_written,
            parts_written: self.parts_written,
        })
    }
}

impl Drop for DatasetWriter {
    /// A writer dropped without `finish`/`stop` (a panic upstream) leaves no
    /// temporary file behind; its rows are simply not in a complete part.
    fn drop(&mut self) {
        self.discard_open_part();
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
