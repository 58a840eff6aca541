//! The run manifest: what a scan read, how, and which parts are complete.
//!
//! One JSON file per shard beside the parts ([`crate::layout`]), rewritten atomically
//! (temporary file, fsync, rename, fsync of the directory) each time a part
//! completes. A part is listed only after its own rename, so every listed
//! part is complete; a part on disk that the manifest does not list is the
//! trace of a crash between the two renames and is deleted on resume.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::error::{Result, StoreError, io};
use crate::layout::{Shard, manifest_file_name, partition_date, temp_name};
use crate::row::Counts;

/// The `format` field of every manifest.
pub const MANIFEST_FORMAT: &str = "mailcensus-manifest/1";

/// An input file of the run, identified cheaply (see [`fingerprint`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// The path as given on the command line.
    pub path: String,
    /// Size in bytes (of a stream: read so far, once read to its end).
    pub size: u64,
    /// A content fingerprint; resume compares it, so a changed input is
    /// refused. For a stream (see [`InputFile::streamed`]): [`STREAM_UNREAD`]
    /// until the scan has read it to its end, then `xxh3-stream:<hex>` of
    /// every byte (see [`stream_fingerprint`]).
    pub fingerprint: String,
}

/// The fingerprint of a stream not yet read to its end.
pub const STREAM_UNREAD: &str = "unknown until read";

impl InputFile {
    /// Stdin, a pipe, a FIFO or another file that cannot be read twice: it
    /// cannot be fingerprinted before it is read, so a resume cannot verify
    /// that it is the same input. Told by the fingerprint's form, so the
    /// manifest format is unchanged.
    pub fn streamed(&self) -> bool {
        self.fingerprint == STREAM_UNREAD || self.fingerprint.starts_with(STREAM_PREFIX)
    }

    /// Whether a resume may take `now` for the input this record describes:
    /// the same size and fingerprint, or either one a stream, which cannot
    /// be verified before it is read (the caller says so to the user).
    pub fn same_content(&self, now: &InputFile) -> bool {
        self.streamed()
            || now.streamed()
            || (self.size == now.size && self.fingerprint == now.fingerprint)
    }
}

/// The fingerprint of a stream read to its end: the XXH3-64 of all its bytes.
pub fn stream_fingerprint(xxh3: u64) -> String {
    format!("{STREAM_PREFIX}{xxh3:016x}")
}

const STREAM_PREFIX: &str = "xxh3-stream:";

/// A complete part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartInfo {
    /// Part sequence number within the shard.
    pub part: u64,
    /// File name within the partition directory.
    pub file: String,
    /// Rows in the part.
    pub rows: u64,
    /// First input sequence number the part covers (inclusive).
    pub seq_start: u64,
    /// End of the covered input range (exclusive): resume skips every input
    /// item below the last part's `seq_end`.
    pub seq_end: u64,
    /// File size in bytes.
    pub bytes: u64,
    /// When the part was completed (RFC 3339, UTC).
    pub written_at: String,
}

/// The manifest of one shard of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// [`crate::SCHEMA_VERSION`] of the parts.
    pub schema_version: u32,
    /// Version of the tool that started the run.
    pub tool_version: String,
    /// The scan's identifier (the `scan_id` column).
    pub scan_id: String,
    /// `YYYY-MM-DD`.
    pub scan_date: String,
    /// This manifest's shard.
    pub shard: Shard,
    /// The inputs, in command-line order.
    pub inputs: Vec<InputFile>,
    /// The upstream resolvers (every one used, across resumes).
    pub resolvers: Vec<String>,
    /// The scan's options, as the caller chose to record them.
    pub options: serde_json::Value,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// When it was resumed, oldest first.
    #[serde(default)]
    pub resumed_at: Vec<String>,
    /// When it finished, or stopped (SIGINT); null while running or after a crash.
    pub ended_at: Option<String>,
    /// Whether every input item has been written: resume has nothing to do.
    pub complete: bool,
    /// Rows in the complete parts.
    pub rows: u64,
    /// Sum of the `queries` column over the complete parts.
    pub queries: u64,
    /// The input sequence number to continue from (the last part's `seq_end`).
    pub next_seq: u64,
    /// Value counts of the categorical columns over the complete parts
    /// (column → value → rows; `null` counts deselected probes).
    pub counts: Counts,
    /// The complete parts, in order.
    pub parts: Vec<PartInfo>,
}

impl Manifest {
    /// Reads a manifest.
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = fs::read_to_string(path).map_err(|e| StoreError::ManifestRead {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| StoreError::ManifestRead {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(StoreError::ManifestRead {
                path: path.to_owned(),
                reason: format!(
                    "unknown format {:?} (expected {MANIFEST_FORMAT:?})",
                    manifest.format
                ),
            });
        }
        Ok(manifest)
    }

    /// Writes the manifest to `path` atomically: a reader (or a resume after a
    /// crash) sees either the previous manifest or this one, never a mix.
    pub fn write_atomic(&self, path: &Path) -> Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(temp_name(&name));
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| StoreError::ManifestRead {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        text.push(b'\n');
        let written = (|| {
            let mut file = File::create(&tmp).map_err(io("cannot create manifest", &tmp))?;
            file.write_all(&text)
                .map_err(io("cannot write manifest", &tmp))?;
            file.sync_all().map_err(io("cannot sync manifest", &tmp))?;
            fs::rename(&tmp, path).map_err(io("cannot rename manifest into place", path))?;
            sync_dir(dir)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }
}

/// Flushes a directory's entries, so a rename survives a power cut.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("cannot sync directory", dir))
}

const EDGE: u64 = 1 << 20;

/// A cheap fingerprint of an input file: `xxh3:<hex>`, the XXH3-64 hash of its
/// size, its first MiB and its last MiB (the whole file when it is smaller
/// than 2 MiB). Reads at most 2 MiB whatever the file's size; a zone dump that
/// was regenerated changes its serial near the top and its size.
///
/// `-` (stdin) and anything that is not a regular file (a pipe, a FIFO,
/// `/dev/stdin` on a pipe, a process substitution) is not opened at all:
/// reading it here would consume what the scan must read (and a FIFO with
/// no writer would block). It is recorded with
/// [`STREAM_UNREAD`] (so [`InputFile::streamed`]), and its hash and size are recorded once the scan has
/// read it to its end.
pub fn fingerprint(path: &Path) -> Result<InputFile> {
    let regular = path.as_os_str() != "-"
        && fs::metadata(path)
            .map_err(io("cannot open input", path))?
            .is_file();
    if !regular {
        return Ok(InputFile {
            path: path.to_string_lossy().into_owned(),
            size: 0,
            fingerprint: STREAM_UNREAD.to_owned(),
        });
    }
    let mut file = File::open(path).map_err(io("cannot open input", path))?;
    let size = file
        .metadata()
        .map_err(io("cannot stat input", path))?
        .len();
    let mut hasher = Xxh3::new();
    hasher.update(&size.to_le_bytes());
    let mut buf = Vec::with_capacity(EDGE as usize);
    if size <= 2 * EDGE {
        file.read_to_end(&mut buf)
            .map_err(io("cannot read input", path))?;
        hasher.update(&buf);
    } else {
        (&mut file)
            .take(EDGE)
            .read_to_end(&mut buf)
            .map_err(io("cannot read input", path))?;
        hasher.update(&buf);
        buf.clear();
        file.seek(SeekFrom::Start(size - EDGE))
            .map_err(io("cannot read input", path))?;
        file.take(EDGE)
            .read_to_end(&mut buf)
            .map_err(io("cannot read input", path))?;
        hasher.update(&buf);
    }
    Ok(InputFile {
        path: path.to_string_lossy().into_owned(),
        size,
        fingerprint: format!("xxh3:{:016x}", hasher.digest()),
    })
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The unfinished runs of a shard under `out_dir`, oldest scan date first:
/// lets `--resume` without `--scan-date` find a run started before midnight.
/// Unreadable manifests are skipped (resume reports them when asked for that
/// date explicitly).
pub fn unfinished_runs(out_dir: &Path, shard: Shard) -> Result<Vec<Manifest>> {
    let entries = match fs::read_dir(out_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("cannot list directory", out_dir)(e)),
    };
    let mut runs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io("cannot list directory", out_dir))?;
        let name = entry.file_name();
        if name.to_str().and_then(partition_date).is_none() {
            continue;
        }
        let path = entry.path().join(manifest_file_name(shard));
        if let Ok(manifest) = Manifest::load(&path)
            && !manifest.complete
        {
            runs.push(manifest);
        }
    }
    runs.sort_by(|a, b| a.scan_date.cmp(&b.scan_date));
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_range_is_checked() {
        let cases = [
            ((0, 1), true),
            ((3, 4), true),
            ((4, 4), false),
            ((0, 0), false),
        ];
        for ((index, count), ok) in cases {
            assert_eq!(
                Shard { index, count }.validate().is_ok(),
                ok,
                "{index}/{count}"
            );
        }
    }

    #[test]
    fn load_rejects_garbage_and_unknown_formats() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("_manifest-00000.json");
        for text in ["", "{\"format\":", "{\"format\": \"other/9\"}"] {
            std::fs::write(&path, text).unwrap();
            assert!(
                matches!(Manifest::load(&path), Err(StoreError::ManifestRead { .. })),
                "{text:?}"
            );
        }
    }
}
