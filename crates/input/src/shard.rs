//! Stable hash partition of domains across shards.
//!
//! A domain belongs to shard `xxh3_64(name, seed 0) mod N`, where `name` is the
//! normalised form (lowercase A-labels, no trailing dot) as UTF-8 bytes. xxh3 is
//! specified bit-for-bit and independent of platform and endianness, so the same
//! domain lands in the same shard on every machine and every night; each domain
//! has exactly one residue, so the shards are disjoint and together cover the
//! input. Changing this function reshuffles every historical series: tests pin
//! known values.

use std::fmt;
use std::str::FromStr;

use xxhash_rust::xxh3::xxh3_64;

use crate::InputError;

/// Environment variables that carry the shard index, in order of preference.
pub const INDEX_VARS: [&str; 2] = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"];

/// One part `index` of `count` of a hash partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based shard index, `< count`.
    pub index: u32,
    /// Number of shards, `>= 1`.
    pub count: u32,
}

impl Shard {
    /// A shard, checked.
    pub fn new(index: u32, count: u32) -> Result<Self, InputError> {
        if count == 0 || index >= count {
            return Err(InputError::InvalidShard(format!("{index}/{count}")));
        }
        Ok(Self { index, count })
    }

    /// The shard of `count` that `name` (normalised) belongs to.
    pub fn of(name: &str, count: u32) -> u32 {
        (xxh3_64(name.as_bytes()) % u64::from(count.max(1))) as u32
    }

    /// True when `name` (normalised) belongs to this shard.
    pub fn contains(&self, name: &str) -> bool {
        Self::of(name, self.count) == self.index
    }

    /// `--shards N`: the index comes from `JOB_COMPLETION_INDEX` (Kubernetes
    /// Indexed Jobs) or else `SLURM_ARRAY_TASK_ID` (Slurm job arrays).
    pub fn from_env(count: u32) -> Result<Self, InputError> {
        Self::from_lookup(count, |k| std::env::var(k).ok())
    }

    /// [`Shard::from_env`] with an injectable environment (for tests).
    pub fn from_lookup(
        count: u32,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, InputError> {
        if count == 0 {
            return Err(InputError::ShardIndex {
                count,
                reason: "shard count must be at least 1".into(),
            });
        }
        for var in INDEX_VARS {
            if let Some(v) = lookup(var) {
                let index: u32 = v.trim().parse().map_err(|_| InputError::ShardIndex {
                    count,
                    reason: format!("{var}={v:?} is not a non-negative integer"),
                })?;
                if index >= count {
                    return Err(InputError::ShardIndex {
                        count,
                        reason: format!("{var}={index} is not below the shard count"),
                    });
                }
                return Ok(Self { index, count });
            }
        }
        Err(InputError::ShardIndex {
            count,
            reason: "neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set".into(),
        })
    }
}

impl FromStr for Shard {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InputError::InvalidShard(s.to_owned());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index = i.trim().parse().map_err(|_| bad())?;
        let count = n.trim().parse().map_err(|_| bad())?;
        Self::new(index, count).map_err(|_| bad())
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_reference_xxh3() {
        // XXH3_64bits("") from the reference implementation's test vectors:
        // other tools (Python `xxhash`, DuckDB extensions) can recompute shards.
        assert_eq!(xxh3_64(b""), 0x2D06_8005_38D3_94C2);
    }

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<(u32, u32)>)] = &[
            ("0/1", Some((0, 1))),
            ("3/4", Some((3, 4))),
            (" 1 / 2 ", Some((1, 2))),
            ("4/4", None),
            ("0/0", None),
            ("1", None),
            ("a/2", None),
            ("-1/2", None),
        ];
        for (s, want) in cases {
            let got = s.parse::<Shard>().ok().map(|sh| (sh.index, sh.count));
            assert_eq!(got, *want, "{s:?}");
        }
    }

    #[test]
    fn env_lookup_table() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            Shard::from_lookup(4, env(&[("JOB_COMPLETION_INDEX", "2")])).ok(),
            Some(Shard { index: 2, count: 4 })
        );
        assert_eq!(
            Shard::from_lookup(4, env(&[("SLURM_ARRAY_TASK_ID", "3")])).ok(),
            Some(Shard { index: 3, count: 4 })
        );
        // Kubernetes wins when both are set.
        assert_eq!(
            Shard::from_lookup(
                4,
                env(&[("SLURM_ARRAY_TASK_ID", "3"), ("JOB_COMPLETION_INDEX", "1")])
            )
            .ok(),
            Some(Shard { index: 1, count: 4 })
        );
        assert!(Shard::from_lookup(4, env(&[])).is_err());
        assert!(Shard::from_lookup(4, env(&[("JOB_COMPLETION_INDEX", "4")])).is_err());
        assert!(Shard::from_lookup(4, env(&[("JOB_COMPLETION_INDEX", "x")])).is_err());
        assert!(Shard::from_lookup(0, env(&[("JOB_COMPLETION_INDEX", "0")])).is_err());
    }
}
