//! Pre-signing zones with the ldns tools (`ldns-keygen`, `ldns-signzone`).
//!
//! Zones are signed once, at generation time, so Knot serves static files and
//! never re-signs at start (DESIGN.md: re-signing a large zone delays every start). Keys
//! are single combined signing keys (flags 257) thrown away after signing: the
//! universe is static. Signatures are incepted in 2020 and expire in 2080,
//! well before DNSSEC's 32-bit time fields wrap in 2106 (RFC 4034 §3.1.5 serial
//! arithmetic).

use std::path::Path;
use std::process::Command;

use crate::error::TestbedError;
use crate::servers::require_binary;

/// Signature inception used for every valid zone.
pub const INCEPTION: &str = "20200101000000";
/// Signature expiration used for every valid zone.
pub const EXPIRATION: &str = "20800101000000";

/// A DNSSEC algorithm the generator plants (RFC 8624 names and numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// 8, RSASHA256 (2048-bit keys).
    RsaSha256,
    /// 13, ECDSAP256SHA256.
    EcdsaP256,
    /// 15, ED25519.
    Ed25519,
}

impl Algorithm {
    /// The IANA algorithm number.
    pub fn number(self) -> u8 {
        match self {
            Algorithm::RsaSha256 => 8,
            Algorithm::EcdsaP256 => 13,
            Algorithm::Ed25519 => 15,
        }
    }

    fn ldns_args(self) -> &'static [&'static str] {
        match self {
            Algorithm::RsaSha256 => &["-a", "RSASHA256", "-b", "2048"],
            Algorithm::EcdsaP256 => &["-a", "ECDSAP256SHA256"],
            Algorithm::Ed25519 => &["-a", "ED25519"],
        }
    }
}

/// A generated key: its file base name (in the key directory) and its DS text.
#[derive(Debug, Clone)]
pub struct Key {
    /// `K<name>+<alg>+<id>` in the key directory.
    pub base: String,
    /// The DS RR (SHA-256 digest) as ldns wrote it, one line.
    pub ds: String,
}

/// Generates a key for `zone` (fqdn) in `key_dir`.
pub fn keygen(zone: &str, alg: Algorithm, key_dir: &Path) -> Result<Key, TestbedError> {
    let bin = require_binary("ldns-keygen")?;
    let out = Command::new(&bin)
        .args(alg.ldns_args())
        .arg("-k")
        .arg(zone)
        .current_dir(key_dir)
        .output()
        .map_err(|e| TestbedError::io("run ldns-keygen", e))?;
    if !out.status.success() {
        return Err(TestbedError::Command {
            command: format!("ldns-keygen {} -k {zone}", alg.ldns_args().join(" ")),
            message: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr)),
        });
    }
    let base = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let ds_path = key_dir.join(format!("{base}.ds"));
    let ds = std::fs::read_to_string(&ds_path)
        .map_err(|e| TestbedError::io(format!("read {}", ds_path.display()), e))?;
    let ds = ds
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .ok_or_else(|| TestbedError::Parse {
            path: ds_path.clone(),
            message: "empty DS file".into(),
        })?;
    Ok(Key { base, ds })
}

/// Signs `unsigned` into `signed` with `key` (NSEC, RFC 4035), between the
/// given inception and expiration (`YYYYMMDDhhmmss`).
pub fn signzone(
    unsigned: &Path,
    signed: &Path,
    origin: &str,
    key: &Key,
    key_dir: &Path,
    inception: &str,
    expiration: &str,
) -> Result<(), TestbedError> {
    let bin = require_binary("ldns-signzone")?;
    let out = Command::new(&bin)
        .args(["-i", inception, "-e", expiration, "-o", origin, "-f"])
        .arg(signed)
        .arg(unsigned)
        .arg(key_dir.join(&key.base))
        .output()
        .map_err(|e| TestbedError::io("run ldns-signzone", e))?;
    if !out.status.success() {
        return Err(TestbedError::Command {
            command: format!("ldns-signzone {}", unsigned.display()),
            message: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr)),
        });
    }
    Ok(())
}
