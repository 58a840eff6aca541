//! Synthetic scan Parquet in the contract schema, for the notebook test and the
//! report benchmark. Deterministic: the same flags write the same rows.
//!
//! ```text
//! cargo run -p mailcensus-report --example fixture -- --out DIR [--rows N]
//!     [--dates 2026-01-01,2026-02-01] [--parts P] [--seed S] [--sectors CSV]
//! ```
//! Later dates change about 5% of the domains, drop 0.5% and register 1% new.

use std::path::PathBuf;

use mailcensus_report::OwnedRow;
use mailcensus_report::fixture::Writer;

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // splitmix64 scrambles consecutive seeds into unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng(z ^ (z >> 31) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Index drawn from cumulative per-mille weights.
    fn pick(&mut self, weights: &[u64]) -> usize {
        let x = self.below(weights.iter().sum());
        let mut acc = 0;
        for (i, w) in weights.iter().enumerate() {
            acc += w;
            if x < acc {
                return i;
            }
        }
        weights.len() - 1
    }
}

fn domain(i: u64) -> String {
    format!("d{i:08}.be")
}

fn row(i: u64, seed: u64) -> OwnedRow {
    let mut g = Rng::new(seed);
    let d = domain(i);
    let mut r = OwnedRow::absent(&d);
    // Operators follow a heavy tail: a few large hosters hold most domains.
    let op = match g.pick(&[300, 200, 120, 80, 300]) {
        k @ 0..=3 => format!("hoster{k}.net"),
        _ => format!("op{}.be", g.below(400)),
    };
    r.ns_hosts = vec![format!("ns1.{op}"), format!("ns2.{op}")];
    if g.chance(10) {
        r.resolution = "nxdomain".into();
        return r;
    }
    if g.chance(5) {
        r.mark_error();
        r.parked = None;
        return r;
    }
    let provider = g.pick(&[250, 150, 50, 350, 200]);
    match g.pick(&[700, 30, 10, 260]) {
        0 => {
            r.mx_status = "present".into();
            r.mx_hosts = match provider {
                0 => vec![
                    "aspmx.l.google.com".into(),
                    "alt1.aspmx.l.google.com".into(),
                ],
                1 => vec![format!(
                    "{}.mail.protection.outlook.com",
                    d.replace('.', "-")
                )],
                2 => vec![format!("{}.l-v1.mx.microsoft", d.replace('.', "-"))],
                3 => vec![format!("mx.{op}")],
                _ => vec![format!("mx1.{d}"), format!("mx2.{d}")],
            };
        }
        1 => {
            r.mx_status = "null_mx".into();
            r.mx_hosts = vec![".".into()];
        }
        2 => r.mx_status = "error".into(),
        _ => {}
    }
    let null_mx = r.mx_status == "null_mx";
    let spf = if null_mx && g.chance(600) {
        0
    } else {
        g.pick(&[550, 50, 20, 380])
    };
    if spf <= 1 {
        r.spf_status = if spf == 0 { "valid" } else { "invalid" }.into();
        let all = if null_mx {
            0
        } else {
            g.pick(&[300, 550, 100, 20, 30])
        };
        r.spf_all = ["-all", "~all", "?all", "+all"]
            .get(all)
            .map(|s| (*s).to_string());
        let include = match provider {
            0 => Some("_spf.google.com".to_string()),
            1 | 2 => Some("spf.protection.outlook.com".to_string()),
            3 => Some(format!("spf.{op}")),
            _ => None,
        };
        let lookups = if spf == 1 && g.chance(500) {
            11 + g.below(3)
        } else {
            g.below(8)
        };
        r.spf_lookups = Some(i32::try_from(lookups).unwrap_or(0));
        let mut rec = "v=spf1 mx".to_string();
        if !null_mx && let Some(t) = include {
            rec.push_str(" include:");
            rec.push_str(&t);
        }
        if let Some(a) = &r.spf_all {
            rec.push(' ');
            rec.push_str(a);
        }
        r.spf_record = Some(rec);
    } else if spf == 2 {
        r.spf_status = "error".into();
    }
    let dmarc = if null_mx && r.spf_all.as_deref() == Some("-all") {
        0
    } else {
        g.pick(&[250, 20, 10, 720])
    };
    match dmarc {
        0 => {
            r.dmarc_status = "valid".into();
            let p = if null_mx {
                2
            } else {
                g.pick(&[500, 250, 220, 30])
            };
            r.dmarc_p = ["none", "quarantine", "reject"]
                .get(p)
                .map(|s| (*s).to_string());
            if g.chance(100) {
                r.dmarc_pct = Some(i32::try_from(g.below(100)).unwrap_or(0));
            } else if g.chance(300) {
                r.dmarc_pct = Some(100);
            }
            if g.chance(600) {
                match g.pick(&[400, 300, 300]) {
                    0 => {
                        r.dmarc_rua = vec![format!("mailto:dmarc@{d}")];
                    }
                    k => {
                        let host = if k == 1 {
                            "rua.dmarcian.com"
                        } else {
                            "rua.agari.com"
                        };
                        r.dmarc_rua = vec![format!("mailto:{}@{host}", g.below(1000))];
                        r.dmarc_rua_authorized = Some(!g.chance(100));
                    }
                }
            }
        }
        1 => r.dmarc_status = "invalid".into(),
        2 => r.dmarc_status = "error".into(),
        _ => {}
    }
    r.dnssec_status = ["secure", "bogus", "error", "insecure"][g.pick(&[100, 5, 10, 885])].into();
    r.bimi_status = ["valid", "declined", "absent"][g.pick(&[10, 5, 985])].into();
    if r.bimi_status == "valid" {
        r.bimi_logo = Some(format!("https://{d}/logo.svg"));
    }
    r.mta_sts_status = ["valid", "invalid", "absent"][g.pick(&[30, 3, 967])].into();
    r.tlsrpt_status = ["valid", "absent"][g.pick(&[40, 960])].into();
    r.dkim_status = ["likely", "error", "absent"][g.pick(&[400, 5, 595])].into();
    if r.mx_status == "present" {
        r.dane_status = ["valid", "invalid", "absent"][g.pick(&[20, 2, 978])].into();
    }
    r.parked = Some(
        null_mx
            && r.spf_status == "valid"
            && r.spf_all.as_deref() == Some("-all")
            && r.dmarc_p.as_deref() == Some("reject"),
    );
    r
}

struct Args {
    out: PathBuf,
    rows: u64,
    dates: Vec<String>,
    parts: u64,
    seed: u64,
    sectors: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        out: PathBuf::new(),
        rows: 5000,
        dates: vec!["2026-01-01".into()],
        parts: 1,
        seed: 1,
        sectors: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--out" => a.out = v.into(),
            "--rows" => a.rows = num(&v)?,
            "--dates" => a.dates = v.split(',').map(String::from).collect(),
            "--parts" => a.parts = num(&v)?.max(1),
            "--seed" => a.seed = num(&v)?,
            "--sectors" => a.sectors = Some(v.into()),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.out.as_os_str().is_empty() {
        return Err("--out DIR is required".into());
    }
    Ok(a)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    const BATCH: u64 = 65_536;
    for (k, date) in args.dates.iter().enumerate() {
        let k = k as u64;
        // Later snapshots: 1% more domains, 0.5% deleted, 5% changed.
        let total = args.rows + k * args.rows / 100;
        let per_part = total.div_ceil(args.parts);
        for part in 0..args.parts {
            let (lo, hi) = (part * per_part, ((part + 1) * per_part).min(total));
            let path = args
                .out
                .join(format!("scan_date={date}"))
                .join(format!("part-{part:04}-000000.parquet"));
            let mut w = Writer::create(&path, 1_767_225_600_000 + k as i64 * 86_400_000)?;
            let mut written = 0usize;
            let mut cur = Vec::with_capacity(BATCH as usize);
            for i in lo..hi {
                let mut fate = Rng::new(args.seed ^ (i << 8) ^ (k << 56) ^ 0xA5);
                if k > 0 && fate.chance(5) {
                    continue;
                }
                let seed = if k > 0 && fate.chance(50) {
                    args.seed ^ (i << 8) ^ (k << 48)
                } else {
                    args.seed ^ (i << 8)
                };
                cur.push(row(i, seed));
                if cur.len() as u64 == BATCH {
                    w.write(&cur)?;
                    written += cur.len();
                    cur.clear();
                }
            }
            if !cur.is_empty() {
                w.write(&cur)?;
                written += cur.len();
            }
            w.close()?;
            eprintln!("wrote {} ({written} rows)", path.display());
        }
    }
    if let Some(path) = &args.sectors {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        writeln!(w, "domain,sector,size_class")?;
        let sectors = [
            "health",
            "finance",
            "education",
            "government",
            "retail",
            "media",
        ];
        let sizes = ["small", "medium", "large"];
        for i in 0..args.rows {
            let mut g = Rng::new(args.seed ^ i ^ 0x5EC7);
            if g.chance(800) {
                let s = sectors[g.pick(&[100, 150, 120, 80, 350, 200])];
                let z = sizes[g.pick(&[700, 250, 50])];
                writeln!(w, "{},{s},{z}", domain(i))?;
            }
        }
        w.flush()?;
    }
    Ok(())
}
