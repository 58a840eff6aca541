//! The writer thread: keeps Parquet encoding and disk I/O off the engine.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::error::{Result, StoreError};
use crate::manifest::PartInfo;
use crate::row::Row;
use crate::writer::{DatasetWriter, Summary};

enum Msg {
    Row(Box<Row>),
    Checkpoint(SyncSender<Result<Option<PartInfo>>>),
    Close { complete: bool },
}

/// The sending side of a writer thread started with [`spawn`].
///
/// Rows go through a bounded channel ([`crate::Tuning::channel_rows`]): when
/// the disk falls behind, [`send`](Self::send) blocks rather than letting
/// memory grow. Call it from a blocking context (a dedicated thread or
/// `spawn_blocking`), not from an async task.
///
/// A write error stops the thread; the next call returns that error.
/// Dropping the handle without [`finish`](Self::finish) or
/// [`stop`](Self::stop) behaves like `stop`, and waits for it.
#[derive(Debug)]
pub struct WriterHandle {
    tx: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<Result<Summary>>>,
}

/// Starts a thread that owns `writer`.
pub fn spawn(writer: DatasetWriter) -> Result<WriterHandle> {
    let capacity = writer_capacity(&writer);
    let (tx, rx) = sync_channel(capacity);
    let thread = std::thread::Builder::new()
        .name("mailcensus-store".into())
        .spawn(move || run(writer, rx))
        .map_err(|e| StoreError::Stopped(format!("cannot start the writer thread: {e}")))?;
    Ok(WriterHandle {
        tx: Some(tx),
        thread: Some(thread),
    })
}

fn writer_capacity(writer: &DatasetWriter) -> usize {
    writer.tuning().channel_rows
}

fn run(mut writer: DatasetWriter, rx: Receiver<Msg>) -> Result<Summary> {
    loop {
        match rx.recv() {
            Ok(Msg::Row(row)) => writer.push(&row)?,
            Ok(Msg::Checkpoint(ack)) => {
                let result = writer.checkpoint();
                let failed = result.as_ref().err().map(|e| crate::error::chain_text(e));
                // The caller may have given up waiting; the result still stands.
                let _ = ack.send(result);
                if let Some(message) = failed {
                    return Err(StoreError::Stopped(message));
                }
            }
            Ok(Msg::Close { complete: true }) => return writer.finish(),
            Ok(Msg::Close { complete: false }) | Err(_) => return writer.stop(),
        }
    }
}

impl WriterHandle {
    fn join(&mut self) -> Result<Summary> {
        self.tx = None;
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(StoreError::Stopped("the writer thread panicked".into()))),
            None => Err(StoreError::Stopped("the writer was already closed".into())),
        }
    }

    fn deliver(&mut self, msg: Msg) -> Result<()> {
        let sent = match &self.tx {
            Some(tx) => tx.send(msg).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread ended early: its result is the error to report.
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => Err(StoreError::Stopped("the writer thread ended".into())),
        }
    }

    /// Queues a row (blocks while the channel is full).
    pub fn send(&mut self, row: Row) -> Result<()> {
        self.deliver(Msg::Row(Box::new(row)))
    }

    /// Closes the open part and records it in the manifest; waits until done
    /// and returns the completed part, if any.
    pub fn checkpoint(&mut self) -> Result<Option<PartInfo>> {
        let (ack_tx, ack_rx) = sync_channel(1);
        self.deliver(Msg::Checkpoint(ack_tx))?;
        match ack_rx.recv() {
            Ok(result) => result,
            Err(_) => match self.join() {
                Err(e) => Err(e),
                Ok(_) => Err(StoreError::Stopped("the writer thread ended".into())),
            },
        }
    }

    /// The input is exhausted: writes the last part, marks the run complete
    /// and waits for the thread.
    pub fn finish(mut self) -> Result<Summary> {
        self.deliver(Msg::Close { complete: true })?;
        self.join()
    }

    /// Stops early (SIGINT/SIGTERM): writes what was received as a complete
    /// part, leaves the run resumable, and waits for the thread.
    pub fn stop(mut self) -> Result<Summary> {
        self.deliver(Msg::Close { complete: false })?;
        self.join()
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.join();
        }
    }
}
