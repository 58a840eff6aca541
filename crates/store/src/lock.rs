//! One writer per shard of a scan date: an exclusive advisory lock.
//!
//! Two processes writing the same shard's parts and manifest destroy each
//! other's work (a resume deletes the live run's temporary part, then the
//! live run renames the other's file into place). [`RunLock::acquire`] takes
//! an exclusive `flock(2)` on `DIR/scan_date=…/_manifest-<shard>.lock`, beside
//! the manifest, without waiting; a second process gets
//! [`StoreError::Locked`](crate::StoreError::Locked) naming the holder's
//! PID (and host), which the holder writes into the file.
//!
//! The lock is the kernel's: it goes when the holder exits, however it exits
//! (SIGKILL included), so a crash never leaves a stale lock behind. The file
//! itself stays (deleting it would let a third process lock a new file while
//! a second still waits on the old one); its leading `_` keeps dataset
//! readers away from it. On NFS, Linux turns `flock` into a POSIX lock that
//! the server arbitrates, so shards on a shared file system exclude each
//! other too.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError, io};
use crate::layout::Shard;
use crate::layout::partition_dir;

/// `_manifest-<shard>.lock`, beside `_manifest-<shard>.json`.
pub fn lock_file_name(shard: Shard) -> String {
    format!("_manifest-{:05}.lock", shard.index)
}

/// The lock of a shard of a scan date, held until dropped.
#[derive(Debug)]
pub struct RunLock {
    // Never read: holding the open file is holding the lock.
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// Takes the shard's lock, creating the partition directory if needed;
    /// fails at once (never waits) when another process holds it.
    pub fn acquire(out_dir: &Path, scan_date: &str, shard: Shard) -> Result<RunLock> {
        let dir = partition_dir(out_dir, scan_date);
        fs::create_dir_all(&dir).map_err(io("cannot create output directory", &dir))?;
        let path = dir.join(lock_file_name(shard));
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io("cannot open lock file", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "a process that has not written its PID yet".to_string(),
                    text => text.to_string(),
                };
                return Err(StoreError::Locked { path, holder });
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(io("cannot lock", &path)(e));
            }
        }
        let me = format!(
            "pid {} on {}, since {}\n",
            std::process::id(),
            hostname(),
            crate::manifest::now_rfc3339()
        );
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(me.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(io("cannot write lock file", &path))?;
        Ok(RunLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may unwrap
    use super::*;

    /// Issue 18 item 12: a second writer of the same shard is refused, with
    /// the holder's PID; another shard, or the same one after release, is not.
    #[test]
    fn a_second_lock_of_a_shard_is_refused_with_the_holders_pid() {
        let tmp = tempfile::tempdir().unwrap();
        let shard = Shard { index: 1, count: 4 };
        let first = RunLock::acquire(tmp.path(), "2026-11-23", shard).unwrap();
        // flock locks belong to the open file: a second open in this process
        // conflicts exactly as another process's would.
        let err = RunLock::acquire(tmp.path(), "2026-11-23", shard).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StoreError::Locked { .. }), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        assert!(text.contains("_manifest-00001.lock"), "{text}");
        let other = Shard { index: 2, count: 4 };
        assert!(RunLock::acquire(tmp.path(), "2026-11-23", other).is_ok());
        assert!(RunLock::acquire(tmp.path(), "2026-11-24", shard).is_ok());
        drop(first);
        assert!(RunLock::acquire(tmp.path(), "2026-11-23", shard).is_ok());
    }
}
