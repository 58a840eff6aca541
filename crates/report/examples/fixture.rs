//! Synthetic scan Parquet in the contract schema, for the notebook test and the
//! report benchmark. Deterministic: the same flags write the same rows.
//!
//! ```text
//! cargo run -p mailcensus-report --example fixture -- --out DIR [--rows N]
//!     [--dates 2026-01-01,2026-02-01] [--parts P] [--seed S] [--sectors CSV]
//! ```
//! Later dates change about 5% of the domains, drop 0.5% and register 1% new.

use std::path::PathBuf;

use mailcensus_report::fixture;
use mailcensus_store::posture::bimi::BimiPosture;
use mailcensus_store::posture::dmarc::DmarcPosture;
use mailcensus_store::posture::mx::MxPosture;
use mailcensus_store::posture::spf::SpfPosture;
use mailcensus_store::vocab::{
    AllQualifier, BimiStatus, DkimStatus, DnssecStatus, MxStatus, Policy, Resolution, Status,
};
use mailcensus_store::{Row, Shard};

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

fn row(i: u64, seed: u64) -> Row {
    let mut g = Rng::new(seed);
    let d = domain(i);
    let mut r = fixture::absent(&d);
    // Operators follow a heavy tail: a few large hosters hold most domains.
    let op = match g.pick(&[300, 200, 120, 80, 300]) {
        k @ 0..=3 => format!("hoster{k}.net"),
        _ => format!("op{}.be", g.below(400)),
    };
    r.ns_hosts = vec![format!("ns1.{op}"), format!("ns2.{op}")];
    if g.chance(10) {
        r.posture.resolution = Resolution::NxDomain;
        return r;
    }
    if g.chance(5) {
        fixture::mark_error(&mut r);
        return r;
    }
    let p = &mut r.posture;
    let provider = g.pick(&[250, 150, 50, 350, 200]);
    let mut mx = MxPosture::absent();
    match g.pick(&[700, 30, 10, 260]) {
        0 => {
            mx.status = MxStatus::Present;
            mx.hosts = match provider {
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
            mx.status = MxStatus::NullMx;
            mx.hosts = vec![".".into()];
        }
        2 => mx.status = MxStatus::Error,
        _ => {}
    }
    let null_mx = mx.status == MxStatus::NullMx;
    let mx_present = mx.status == MxStatus::Present;
    p.mx = Some(mx);
    let mut spf = SpfPosture::absent();
    let spf_pick = if null_mx && g.chance(600) {
        0
    } else {
        g.pick(&[550, 50, 20, 380])
    };
    if spf_pick <= 1 {
        spf.status = if spf_pick == 0 {
            Status::Valid
        } else {
            Status::Invalid
        };
        let all = if null_mx {
            0
        } else {
            g.pick(&[300, 550, 100, 20, 30])
        };
        spf.all = [
            AllQualifier::Fail,
            AllQualifier::SoftFail,
            AllQualifier::Neutral,
            AllQualifier::Pass,
        ]
        .get(all)
        .copied();
        let include = match provider {
            0 => Some("_spf.google.com".to_string()),
            1 | 2 => Some("spf.protection.outlook.com".to_string()),
            3 => Some(format!("spf.{op}")),
            _ => None,
        };
        let lookups = if spf_pick == 1 && g.chance(500) {
            11 + g.below(3)
        } else {
            g.below(8)
        };
        spf.lookups = Some(i32::try_from(lookups).unwrap_or(0));
        spf.void_lookups = Some(0);
        let mut rec = "v=spf1 mx".to_string();
        if !null_mx && let Some(t) = include {
            rec.push_str(" include:");
            rec.push_str(&t);
        }
        if let Some(a) = spf.all {
            rec.push(' ');
            rec.push_str(a.label());
        }
        spf.record = Some(rec);
    } else if spf_pick == 2 {
        spf.status = Status::Error;
    }
    let spf_fail_all = spf.all == Some(AllQualifier::Fail);
    let spf_valid = spf.status == Status::Valid;
    p.spf = Some(spf);
    let mut dmarc = DmarcPosture::absent();
    let dmarc_pick = if null_mx && spf_fail_all {
        0
    } else {
        g.pick(&[250, 20, 10, 720])
    };
    match dmarc_pick {
        0 => {
            dmarc.status = Status::Valid;
            let policy = if null_mx {
                2
            } else {
                g.pick(&[500, 250, 220, 30])
            };
            dmarc.p = [Policy::None, Policy::Quarantine, Policy::Reject]
                .get(policy)
                .copied();
            if g.chance(100) {
                dmarc.pct = Some(i32::try_from(g.below(100)).unwrap_or(0));
            } else if g.chance(300) {
                dmarc.pct = Some(100);
            }
            if g.chance(600) {
                match g.pick(&[400, 300, 300]) {
                    0 => {
                        dmarc.rua = vec![format!("mailto:dmarc@{d}")];
                    }
                    k => {
                        let host = if k == 1 {
                            "rua.dmarcian.com"
                        } else {
                            "rua.agari.com"
                        };
                        dmarc.rua = vec![format!("mailto:{}@{host}", g.below(1000))];
                        dmarc.rua_authorized = Some(!g.chance(100));
                    }
                }
            }
        }
        1 => dmarc.status = Status::Invalid,
        2 => dmarc.status = Status::Error,
        _ => {}
    }
    if dmarc.status == Status::Valid {
        // RFC 9989 tags, and the record text they come from (the report
        // reads psd from it: the contract has no psd column).
        let mut rec = format!("v=DMARC1; p={}", dmarc.p.map_or("none", |p| p.label()));
        if g.chance(80) {
            dmarc.np = Some(Policy::Reject);
            rec.push_str("; np=reject");
        }
        if g.chance(50) {
            let test = g.chance(500);
            dmarc.t = Some(test);
            rec.push_str(if test { "; t=y" } else { "; t=n" });
        }
        if g.chance(30) {
            rec.push_str("; psd=n");
        }
        if let Some(pct) = dmarc.pct {
            rec.push_str(&format!("; pct={pct}"));
        }
        for uri in &dmarc.rua {
            rec.push_str(&format!("; rua={uri}"));
        }
        dmarc.record = Some(rec);
    }
    let reject = dmarc.p == Some(Policy::Reject);
    p.dmarc = Some(dmarc);
    let dnssec = [
        DnssecStatus::Secure,
        DnssecStatus::Bogus,
        DnssecStatus::Error,
        DnssecStatus::Insecure,
    ][g.pick(&[100, 5, 10, 885])];
    let mut bimi = BimiPosture::absent();
    bimi.status =
        [BimiStatus::Valid, BimiStatus::Declined, BimiStatus::Absent][g.pick(&[10, 5, 985])];
    if bimi.status == BimiStatus::Valid {
        bimi.logo = Some(format!("https://{d}/logo.svg"));
    }
    p.bimi = Some(bimi);
    p.mta_sts = Some([Status::Valid, Status::Invalid, Status::Absent][g.pick(&[30, 3, 967])]);
    p.tlsrpt = Some([Status::Valid, Status::Absent][g.pick(&[40, 960])]);
    p.dkim =
        Some([DkimStatus::Likely, DkimStatus::Error, DkimStatus::Absent][g.pick(&[400, 5, 595])]);
    if mx_present {
        p.dane = Some([Status::Valid, Status::Invalid, Status::Absent][g.pick(&[20, 2, 978])]);
    }
    p.parked = null_mx && spf_valid && spf_fail_all && reject;
    fixture::set_dnssec(&mut r, dnssec);
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
    for (k, date) in args.dates.iter().enumerate() {
        let k = k as u64;
        // Later snapshots: 1% more domains, 0.5% deleted, 5% changed.
        let total = args.rows + k * args.rows / 100;
        let per_part = total.div_ceil(args.parts);
        let count = u32::try_from(args.parts)?;
        for part in 0..count {
            let (lo, hi) = (
                u64::from(part) * per_part,
                ((u64::from(part) + 1) * per_part).min(total),
            );
            // Each part is one shard of the store's writer (its own parts and
            // manifest), so large fixtures stream instead of sitting in memory.
            let rows = (lo..hi).filter_map(|i| {
                let mut fate = Rng::new(args.seed ^ (i << 8) ^ (k << 56) ^ 0xA5);
                if k > 0 && fate.chance(5) {
                    return None;
                }
                let seed = if k > 0 && fate.chance(50) {
                    args.seed ^ (i << 8) ^ (k << 48)
                } else {
                    args.seed ^ (i << 8)
                };
                let mut r = row(i, seed);
                r.scanned_at_ms = fixture::SCANNED_AT_MS + k as i64 * 86_400_000;
                Some(r)
            });
            let shard = Shard { index: part, count };
            let summary = fixture::write_shard(&args.out, date, shard, rows)?;
            eprintln!(
                "wrote {} ({} rows)",
                summary.manifest_path.display(),
                summary.rows_written
            );
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
