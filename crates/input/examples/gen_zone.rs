//! Writes a synthetic zone dump to stdout: `gen_zone N [SEED] [ORIGIN]`.
//! Used by `benches/input/bench.sh`; prints a one-line summary on stderr.

use std::io::{BufWriter, Write};

use mailcensus_testbed::zonedump;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let origin = args.next().unwrap_or_else(|| "test".to_owned());
    let stdout = std::io::stdout().lock();
    let mut w = Counting {
        inner: BufWriter::with_capacity(1 << 20, stdout),
        bytes: 0,
    };
    let s = zonedump::write_zone_dump(
        &mut w,
        &origin,
        n,
        seed,
        &zonedump::ZoneDumpOptions::default(),
    )?;
    w.flush()?;
    eprintln!(
        "delegations={} records={} lines={} bytes={}",
        s.delegations, s.records, s.lines, w.bytes
    );
    Ok(())
}

struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
