//! Opening inputs: compression detected by magic bytes, optional decompression
//! on a second thread, and a compressed-byte counter for progress bars.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Size of the decompressed chunks handed from the decompression thread to
/// the parser, and of the in-thread read buffer.
pub(crate) const CHUNK: usize = 1 << 20;
/// Chunks in flight between the threads; bounds memory to about 4 MiB.
const IN_FLIGHT: usize = 3;

/// Compression of an input, recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// Not compressed (or not a format we know: read as text).
    None,
    /// gzip (RFC 1952), possibly several members back to back.
    Gzip,
    /// Zstandard (RFC 8878), possibly several frames.
    Zstd,
    /// xz, possibly several streams.
    Xz,
    /// bzip2, possibly several streams.
    Bzip2,
}

impl Compression {
    /// Recognises the magic number at the start of `head`.
    pub fn detect(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(b"BZh") {
            Compression::Bzip2
        } else {
            Compression::None
        }
    }
}

/// Counts the bytes read from the raw (compressed) input into a shared total.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Wraps a raw input in the decoder its magic bytes call for. The bytes read
/// to sniff the magic are chained back in front of the stream.
pub(crate) fn decoder(
    mut raw: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
) -> io::Result<(Compression, Box<dyn Read + Send>)> {
    let mut head = [0u8; 6];
    let mut got = 0;
    while got < head.len() {
        match raw.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    count.fetch_add(got as u64, Ordering::Relaxed);
    let kind = Compression::detect(&head[..got]);
    let stream = io::Cursor::new(head[..got].to_vec()).chain(Counting { inner: raw, count });
    let stream: Box<dyn Read + Send> = match kind {
        Compression::None => Box::new(stream),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(stream)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(stream)?),
        Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(stream)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(stream)),
    };
    Ok((kind, stream))
}

/// Decompressed text as a `BufRead`, either read in this thread or produced by
/// a second thread so that decompression and parsing overlap on two cores.
pub(crate) fn text_reader(
    decoded: Box<dyn Read + Send>,
    threaded: bool,
) -> io::Result<Box<dyn BufRead + Send>> {
    Ok(if threaded {
        Box::new(ChunkReader::spawn(decoded)?)
    } else {
        Box::new(BufReader::with_capacity(CHUNK, decoded))
    })
}

/// The parser's end of the decompression thread: full chunks arrive on `rx`,
/// spent buffers go back on `recycle` so the steady state allocates nothing.
struct ChunkReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    recycle: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
}

impl ChunkReader {
    fn spawn(mut decoded: Box<dyn Read + Send>) -> io::Result<Self> {
        let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(IN_FLIGHT);
        let (recycle, spent) = sync_channel::<Vec<u8>>(IN_FLIGHT + 2);
        std::thread::Builder::new()
            .name("mailcensus-decompress".into())
            .spawn(move || {
                loop {
                    let mut buf = spent.try_recv().unwrap_or_default();
                    buf.resize(CHUNK, 0);
                    let mut filled = 0;
                    let mut failed = None;
                    while filled < CHUNK {
                        match decoded.read(&mut buf[filled..]) {
                            Ok(0) => break,
                            Ok(n) => filled += n,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => {
                                failed = Some(e);
                                break;
                            }
                        }
                    }
                    let eof = filled < CHUNK;
                    buf.truncate(filled);
                    // Deliver what decoded cleanly before the error, then the error.
                    if filled > 0 && tx.send(Ok(buf)).is_err() {
                        return;
                    }
                    if let Some(e) = failed {
                        let _ = tx.send(Err(e));
                        return;
                    }
                    if eof {
                        // An explicit end marker: a hang-up without it means the
                        // thread died, which must not pass for a short input.
                        let _ = tx.send(Ok(Vec::new()));
                        return;
                    }
                }
            })?;
        Ok(Self {
            rx,
            recycle,
            cur: Vec::new(),
            pos: 0,
            done: false,
        })
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.cur.len() && !self.done {
            match self.rx.recv() {
                Ok(Ok(next)) if next.is_empty() => self.done = true,
                Ok(Ok(next)) => {
                    let spent = std::mem::replace(&mut self.cur, next);
                    self.pos = 0;
                    let _ = self.recycle.try_send(spent);
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other(
                        "decompression thread stopped unexpectedly",
                    ));
                }
            }
        }
        Ok(&self.cur[self.pos.min(self.cur.len())..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_table() {
        let cases: &[(&[u8], Compression)] = &[
            (&[0x1f, 0x8b, 8, 0], Compression::Gzip),
            (&[0x28, 0xb5, 0x2f, 0xfd, 0], Compression::Zstd),
            (&[0xfd, b'7', b'z', b'X', b'Z', 0], Compression::Xz),
            (b"BZh91AY", Compression::Bzip2),
            (b"be. 3600 IN SOA", Compression::None),
            (b"", Compression::None),
            (&[0x1f], Compression::None),
        ];
        for (head, want) in cases {
            assert_eq!(Compression::detect(head), *want, "{head:?}");
        }
    }

    #[test]
    fn chunk_reader_reassembles_across_chunks() {
        let data: Vec<u8> = (0..(CHUNK * 2 + 123)).map(|i| (i % 251) as u8).collect();
        let mut r = ChunkReader::spawn(Box::new(io::Cursor::new(data.clone()))).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
    }
}
