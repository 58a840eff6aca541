//! Reads inputs like `mailcensus domains` and prints only the count and the
//! counters: a quick throughput probe without building the whole CLI.
//! `count_domains [--single-thread] FILE...`

fn main() -> Result<(), mailcensus_input::InputError> {
    let mut threaded = true;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--single-thread" {
            threaded = false;
        } else {
            files.push(std::path::PathBuf::from(a));
        }
    }
    let opts = mailcensus_input::ReaderOptions::default().threaded(threaded);
    let mut r = mailcensus_input::DomainReader::open(&files, opts)?;
    let mut n = 0u64;
    for d in r.by_ref() {
        d?;
        n += 1;
    }
    eprintln!("{n} domains; {:?}", r.stats());
    Ok(())
}
