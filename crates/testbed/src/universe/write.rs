//! Writing a plan out: zone files, signing, the dump, the truth files.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::model::*;
use super::options::*;
use super::plan::{check, plan_blocks};
use super::truth::SummaryCounts;
use crate::error::TestbedError;
use crate::signing::{self, Algorithm, EXPIRATION, INCEPTION, Key};

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The output directory.
    pub dir: PathBuf,
    /// Domains in the dump (and in the truth).
    pub domains: usize,
    /// Zones in `zones.list` (TLD included).
    pub zones: usize,
    /// Signed child zones.
    pub signed_children: usize,
    /// The layout used.
    pub layout: Layout,
}

// ---------------------------------------------------------------------------
// Writing.

pub(super) fn write(path: &Path, text: &str) -> Result<(), TestbedError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| TestbedError::io(format!("create {}", parent.display()), e))?;
    }
    fs::write(path, text).map_err(|e| TestbedError::io(format!("write {}", path.display()), e))
}

pub(super) fn soa(apex: &str, mname: &str) -> String {
    format!("{apex}. 3600 IN SOA {mname}. hostmaster.{apex}. 1 3600 600 864000 300\n")
}

pub(super) fn child_zone(d: &Domain) -> String {
    let mut z = format!("$ORIGIN {}.\n$TTL 3600\n", d.name);
    z.push_str(&soa(&d.name, &d.ns[0]));
    for ns in &d.ns {
        let _ = writeln!(z, "@ NS {ns}.");
    }
    for r in &d.records {
        let _ = writeln!(z, "{} {} {}", r.owner, r.rtype, r.rdata);
    }
    z
}

/// The records of `d` written into the TLD zone (flat layout).
pub(super) fn flat_records(d: &Domain, out: &mut String) {
    for r in &d.records {
        let owner = if r.owner == "@" {
            d.label.clone()
        } else {
            format!("{}.{}", r.owner, d.label)
        };
        let rdata = if r.rtype == "MX" && !r.rdata.ends_with('.') {
            // Relative exchange names are relative to the child; make them absolute.
            let (pref, host) = r.rdata.split_once(' ').unwrap_or(("10", &r.rdata));
            format!("{pref} {host}.{}.", d.name)
        } else {
            r.rdata.clone()
        };
        let _ = writeln!(out, "{owner} {} {rdata}", r.rtype);
    }
}

pub(super) fn delegation(d: &Domain, ds: Option<&str>, out: &mut String) {
    for ns in &d.ns {
        let _ = writeln!(out, "{}. 86400 IN NS {ns}.", d.name);
    }
    if let Some(ds) = ds {
        // ldns writes `owner TTL? IN DS …`; keep the RDATA only.
        if let Some(pos) = ds.find(" DS ") {
            let _ = writeln!(out, "{}. 86400 IN DS {}", d.name, &ds[pos + 4..]);
        }
    }
    for (host, addr) in &d.glue {
        let _ = writeln!(out, "{host}. 86400 IN A {addr}");
    }
}

/// Generates a universe into `out` (created if missing; existing generated
/// files are overwritten).
///
/// The plan is made block by block (`plan_blocks`: at most
/// [`BLOCK_DOMAINS`](super::BLOCK_DOMAINS) domains each) and every file is
/// streamed: child zones, the TLD zone and the dump, the truth, the sectors,
/// `zones.list`, while the summary only counts. Memory is one block's plan
/// plus 16 bytes or less per label drawn, whatever the size of the universe.
/// Within a block, domains are written in name order.
pub fn generate(opts: &UniverseOptions, out: &Path) -> Result<Generated, TestbedError> {
    let (layout, tld) = check(opts)?;
    fs::create_dir_all(out)
        .map_err(|e| TestbedError::io(format!("create {}", out.display()), e))?;
    let zones_dir = out.join("zones");
    if zones_dir.exists() {
        fs::remove_dir_all(&zones_dir).map_err(|e| TestbedError::io("clear old zones", e))?;
    }
    let children_dir = zones_dir.join("children");
    fs::create_dir_all(&children_dir).map_err(|e| TestbedError::io("create zones dir", e))?;
    let keys = tempdir_in(out)?;

    // The served TLD zone and the dump, streamed: at a million domains they are
    // hundreds of MB each.
    let mname = format!("a.nic.{tld}");
    let tld_path = zones_dir.join(format!("{tld}.zone"));
    let unsigned_tld = keys.join("tld.unsigned");
    let mut tld_zone = Sink::create(if opts.dump_only {
        Path::new("/dev/null")
    } else if layout == Layout::Zones {
        &unsigned_tld
    } else {
        &tld_path
    })?;
    let mut dump = Sink::create(&out.join("dump.zone"))?;
    let head = format!(
        "{}{tld}. 86400 IN NS {mname}.\n{mname}. 86400 IN A 127.0.0.1\n",
        soa(&tld, &mname)
    );
    tld_zone.put(&format!("$ORIGIN {tld}.\n$TTL 3600\n{head}"))?;
    dump.put(&format!(
        "; Zone dump of .{tld} as a registry publishes it (synthetic, seed {}).\n$ORIGIN {tld}.\n$TTL 86400\n{head}",
        opts.seed
    ))?;
    // zones.list goes to a temporary name until the TLD zone is signed.
    let zones_list_tmp = keys.join("zones.list");
    let mut zones_list = Sink::create(&zones_list_tmp)?;
    zones_list.put(&format!("{tld} zones/{tld}.zone\n"))?;
    let mut zones = 1;
    // `dump_only` discards what the scanner does not read: the served zones
    // (child zones are then neither written nor signed), truth and sectors.
    let kept = |name: &str| {
        if opts.dump_only {
            let _ = fs::remove_file(out.join(name));
            PathBuf::from("/dev/null")
        } else {
            out.join(name)
        }
    };
    let mut truth = Sink::create(&kept("truth.jsonl"))?;
    let mut sectors = Sink::create(&kept("sectors.csv"))?;
    sectors.put("domain,sector,size_class\n")?;
    let mut counts = SummaryCounts::default();
    let mut domains = 0;
    let mut signed_children = 0;

    plan_blocks(opts, |_, doms| {
        // Child zones (zones layout), signed where planned.
        let mut ds_of: HashMap<String, String> = HashMap::new();
        if layout == Layout::Zones && !opts.dump_only {
            let mut jobs = Vec::new();
            for d in doms.iter().filter(|d| d.served()) {
                let file = children_dir.join(format!("{}.zone", d.label));
                zones_list.put(&format!("{} zones/children/{}.zone\n", d.name, d.label))?;
                zones += 1;
                if d.signing == Signing::None {
                    write(&file, &child_zone(d))?;
                } else {
                    let unsigned = keys.join(format!("{}.unsigned", d.label));
                    write(&unsigned, &child_zone(d))?;
                    jobs.push((d.name.clone(), d.signing, unsigned, file));
                }
            }
            signed_children += jobs.len();
            ds_of = sign_children(jobs, &keys)?;
        }
        let mut buf = String::new();
        for d in &doms {
            let ds = ds_of.get(&d.name).map(String::as_str);
            buf.clear();
            delegation(d, ds, &mut buf);
            dump.put(&buf)?;
            if d.health == Health::NxDomain {
                continue;
            }
            buf.clear();
            match layout {
                Layout::Zones => delegation(d, ds, &mut buf),
                Layout::Flat if d.served() => flat_records(d, &mut buf),
                Layout::Flat => delegation(d, None, &mut buf),
            }
            tld_zone.put(&buf)?;
        }
        for d in &doms {
            let mut line = serde_json::to_string(&d.truth)
                .map_err(|e| TestbedError::Invalid(format!("serialise truth: {e}")))?;
            line.push('\n');
            truth.put(&line)?;
            sectors.put(&format!("{},{},{}\n", d.name, d.sector, d.size))?;
            counts.add(&d.truth);
        }
        domains += doms.len();
        Ok(())
    })?;
    tld_zone.finish()?;
    dump.finish()?;
    truth.finish()?;
    sectors.finish()?;
    zones_list.finish()?;
    if opts.dump_only {
        let _ = fs::remove_dir_all(&zones_dir);
        let _ = fs::remove_file(out.join("zones.list"));
        let _ = fs::remove_file(out.join("trust-anchors"));
    } else if layout == Layout::Zones {
        let key = signing::keygen(&format!("{tld}."), Algorithm::EcdsaP256, &keys)?;
        signing::signzone(
            &unsigned_tld,
            &tld_path,
            &format!("{tld}."),
            &key,
            &keys,
            INCEPTION,
            EXPIRATION,
        )?;
        write(&out.join("trust-anchors"), &format!("{}\n", key.ds))?;
    } else {
        let _ = fs::remove_file(out.join("trust-anchors"));
    }
    if !opts.dump_only {
        let zones_list_path = out.join("zones.list");
        fs::rename(&zones_list_tmp, &zones_list_path)
            .map_err(|e| TestbedError::io(format!("rename to {}", zones_list_path.display()), e))?;
    }
    let _ = fs::remove_dir_all(&keys);

    let summary = counts.summary(opts, layout, &tld);
    let text = serde_json::to_string_pretty(&summary)
        .map_err(|e| TestbedError::Invalid(format!("serialise summary: {e}")))?;
    write(&out.join("summary.json"), &(text + "\n"))?;
    Ok(Generated {
        dir: out.to_path_buf(),
        domains,
        zones,
        signed_children,
        layout,
    })
}

/// A buffered output file whose errors name the file.
pub(super) struct Sink {
    w: std::io::BufWriter<fs::File>,
    path: PathBuf,
}

impl Sink {
    fn create(path: &Path) -> Result<Self, TestbedError> {
        let f = fs::File::create(path)
            .map_err(|e| TestbedError::io(format!("create {}", path.display()), e))?;
        Ok(Sink {
            w: std::io::BufWriter::with_capacity(1 << 20, f),
            path: path.to_path_buf(),
        })
    }
    fn put(&mut self, text: &str) -> Result<(), TestbedError> {
        use std::io::Write as _;
        self.w
            .write_all(text.as_bytes())
            .map_err(|e| TestbedError::io(format!("write {}", self.path.display()), e))
    }
    fn finish(mut self) -> Result<(), TestbedError> {
        use std::io::Write as _;
        self.w
            .flush()
            .map_err(|e| TestbedError::io(format!("write {}", self.path.display()), e))
    }
}

pub(super) fn tempdir_in(out: &Path) -> Result<PathBuf, TestbedError> {
    let dir = out.join(".keys");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| TestbedError::io("create key dir", e))?;
    Ok(dir)
}

/// Signs the planned children on two threads; returns the DS text the parent
/// publishes for each (absent for islands).
pub(super) fn sign_children(
    jobs: Vec<(String, Signing, PathBuf, PathBuf)>,
    keys: &Path,
) -> Result<HashMap<String, String>, TestbedError> {
    let sign_one = |(name, signing, unsigned, file): &(String, Signing, PathBuf, PathBuf)| -> Result<Option<(String, String)>, TestbedError> {
        let origin = format!("{name}.");
        let alg = match signing {
            Signing::Secure(a) | Signing::Island(a) => *a,
            _ => Algorithm::EcdsaP256,
        };
        let key: Key = signing::keygen(&origin, alg, keys)?;
        let (inception, expiration) = match signing {
            // Signatures that expired in 2011: bogus (RFC 4035 §5.3.1).
            Signing::Expired => ("20100101000000", "20110101000000"),
            _ => (INCEPTION, EXPIRATION),
        };
        signing::signzone(unsigned, file, &origin, &key, keys, inception, expiration)?;
        Ok(match signing {
            Signing::Island(_) | Signing::None => None,
            // The parent publishes the DS of a key the child never uses.
            Signing::BogusDs => Some((name.clone(), signing::keygen(&origin, alg, keys)?.ds)),
            _ => Some((name.clone(), key.ds)),
        })
    };
    let halves: Vec<&[(String, Signing, PathBuf, PathBuf)]> = {
        let mid = jobs.len() / 2;
        vec![&jobs[..mid], &jobs[mid..]]
    };
    let results: Vec<Result<Vec<(String, String)>, TestbedError>> = std::thread::scope(|s| {
        let handles: Vec<_> = halves
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    let mut out = Vec::new();
                    for job in part {
                        if let Some(ds) = sign_one(job)? {
                            out.push(ds);
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(TestbedError::Invalid("signing thread panicked".into()))
                })
            })
            .collect()
    });
    let mut map = HashMap::new();
    for r in results {
        map.extend(r?);
    }
    Ok(map)
}
