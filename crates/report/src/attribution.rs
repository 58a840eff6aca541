//! What caused a change: each trend metric's change between two consecutive
//! snapshots, split among DNS operators and MX providers (issue 16 item 2).
//!
//! A share moves from `a / N_A` to `b / N_B`. Group `g`'s part of the move is
//! `b_g / N_B − a_g / N_A`, where `b_g` counts the domains of the later
//! snapshot that are in `g` and meet the metric, and `a_g` the domains of the
//! earlier snapshot that meet it **and are in `g` on the later date** (a
//! domain that changed operator is counted where it went), or, for a domain
//! deleted in between, that were in `g` on the earlier date. The parts add up
//! to the change exactly; a domain that moved without changing its posture
//! adds nothing anywhere.
//!
//! This needs each domain's state on both dates: the [`Tracker`] keeps the
//! earlier snapshot's domains (name, metric bits and two interned group ids,
//! roughly 60 bytes a domain) while the later one streams past, so memory
//! holds two snapshots' domain names at the peak, never their rows.

use std::collections::HashMap;

use serde::Serialize;

use crate::groups::{Interner, OTHER};
use crate::metrics::{TREND_METRICS, metric_index, pct, pct_tenths};

/// Metrics attributed.
const N: usize = TREND_METRICS.len();

/// Groups listed by name per metric and dimension; the rest are summed in `other`.
pub const CONTRIBUTORS: usize = 5;

#[derive(Debug, Clone, Copy)]
struct State {
    bits: u64,
    operator: u32,
    mx: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Side {
    a: [u64; N],
    b: [u64; N],
}

#[derive(Debug)]
struct Snap {
    date: String,
    domains: u64,
    states: HashMap<Box<str>, State>,
}

/// One group's part of a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The DNS operator or MX provider (DNS-derived: escape before display).
    pub name: String,
    /// Domains counted for the group on the earlier date (where they are on
    /// the later date).
    pub count_from: u64,
    /// Domains counted for the group on the later date.
    pub count_to: u64,
    /// The group's part of the change, in percentage points, two decimals.
    pub points: f64,
    /// The group's part as a percentage of the whole change (one decimal),
    /// `None` when the share did not move.
    pub share_of_change: Option<f64>,
}

/// One metric's change between two snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricChange {
    /// The metric's key.
    pub metric: &'static str,
    /// Domains meeting it on the earlier date.
    pub count_from: u64,
    /// Domains meeting it on the later date.
    pub count_to: u64,
    /// Its share on the earlier date (one decimal, as the tables print it).
    pub pct_from: f64,
    /// Its share on the later date.
    pub pct_to: f64,
    /// `pct_to − pct_from`, in points (one decimal).
    pub delta_points: f64,
    /// The largest parts by DNS operator, then `other`.
    pub by_dns_operator: Vec<Contribution>,
    /// The largest parts by MX provider (`no MX` for domains without one),
    /// then `other`.
    pub by_mx_provider: Vec<Contribution>,
}

/// The changes between two consecutive snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The earlier date.
    pub from: String,
    /// The later date.
    pub to: String,
    /// Domains on the earlier date.
    pub domains_from: u64,
    /// Domains on the later date.
    pub domains_to: u64,
    /// One entry per trend metric, in [`TREND_METRICS`] order.
    pub metrics: Vec<MetricChange>,
}

/// Collects the domains of consecutive snapshots and attributes each pair's
/// changes. Feed a snapshot's rows with [`Tracker::add`], then close it with
/// [`Tracker::finish_snapshot`]; snapshots in date order.
#[derive(Debug)]
pub struct Tracker {
    names: Interner,
    bit: [u32; N],
    prev: Option<Snap>,
    cur: HashMap<Box<str>, State>,
    by_operator: HashMap<u32, Side>,
    by_mx: HashMap<u32, Side>,
    changes: Vec<Change>,
}

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

fn has(bits: u64, bit: u32) -> bool {
    bits & (1u64 << bit) != 0
}

fn count(side: &mut Side, bit: &[u32; N], now: u64, before: Option<u64>) {
    for (k, b) in bit.iter().enumerate() {
        side.b[k] += u64::from(has(now, *b));
        if let Some(before) = before {
            side.a[k] += u64::from(has(before, *b));
        }
    }
}

impl Tracker {
    /// An empty tracker.
    pub fn new() -> Self {
        let mut bit = [0u32; N];
        for (k, key) in TREND_METRICS.iter().enumerate() {
            // TREND_METRICS are METRICS keys (a unit test checks it).
            bit[k] = metric_index(key)
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(63);
        }
        Tracker {
            names: Interner::default(),
            bit,
            prev: None,
            cur: HashMap::new(),
            by_operator: HashMap::new(),
            by_mx: HashMap::new(),
            changes: Vec::new(),
        }
    }

    /// Adds one domain of the current snapshot: its metric bits, DNS operator
    /// and MX provider.
    pub fn add(&mut self, domain: &str, bits: u64, operator: &str, mx: &str) {
        let state = State {
            bits,
            operator: self.names.id(operator),
            mx: self.names.id(mx),
        };
        if let Some(prev) = self.prev.as_mut() {
            let before = prev.states.remove(domain).map(|s| s.bits);
            count(
                self.by_operator.entry(state.operator).or_default(),
                &self.bit,
                bits,
                before,
            );
            count(
                self.by_mx.entry(state.mx).or_default(),
                &self.bit,
                bits,
                before,
            );
        }
        self.cur.insert(domain.into(), state);
    }

    /// Closes the current snapshot (`date`, `domains` rows) and attributes
    /// its changes from the previous one.
    pub fn finish_snapshot(&mut self, date: &str, domains: u64) {
        if let Some(prev) = self.prev.take() {
            // Deleted domains are counted where they were.
            for s in prev.states.values() {
                let side = self.by_operator.entry(s.operator).or_default();
                count_before(side, &self.bit, s.bits);
                let side = self.by_mx.entry(s.mx).or_default();
                count_before(side, &self.bit, s.bits);
            }
            let by_operator = std::mem::take(&mut self.by_operator);
            let by_mx = std::mem::take(&mut self.by_mx);
            let change = self.change(&prev, date, domains, &by_operator, &by_mx);
            self.changes.push(change);
        }
        self.prev = Some(Snap {
            date: date.to_string(),
            domains,
            states: std::mem::take(&mut self.cur),
        });
    }

    fn change(
        &self,
        prev: &Snap,
        date: &str,
        domains: u64,
        by_operator: &HashMap<u32, Side>,
        by_mx: &HashMap<u32, Side>,
    ) -> Change {
        let (na, nb) = (prev.domains, domains);
        let metrics = TREND_METRICS
            .iter()
            .enumerate()
            .map(|(k, key)| {
                let a: u64 = by_operator.values().map(|s| s.a[k]).sum();
                let b: u64 = by_operator.values().map(|s| s.b[k]).sum();
                let tenths = |c, n| i128::from(pct_tenths(c, n));
                MetricChange {
                    metric: key,
                    count_from: a,
                    count_to: b,
                    pct_from: pct(a, na),
                    pct_to: pct(b, nb),
                    delta_points: (tenths(b, nb) - tenths(a, na)) as f64 / 10.0,
                    by_dns_operator: self.contributions(by_operator, k, (a, b), (na, nb)),
                    by_mx_provider: self.contributions(by_mx, k, (a, b), (na, nb)),
                }
            })
            .collect();
        Change {
            from: prev.date.clone(),
            to: date.to_string(),
            domains_from: na,
            domains_to: nb,
            metrics,
        }
    }

    /// The groups' parts of metric `k`'s change, largest first.
    fn contributions(
        &self,
        groups: &HashMap<u32, Side>,
        k: usize,
        (a, b): (u64, u64),
        (na, nb): (u64, u64),
    ) -> Vec<Contribution> {
        let total = numerator(a, b, na, nb);
        let mut parts: Vec<(&str, u64, u64, i128)> = groups
            .iter()
            .map(|(id, s)| {
                (
                    self.names.name(*id),
                    s.a[k],
                    s.b[k],
                    numerator(s.a[k], s.b[k], na, nb),
                )
            })
            .filter(|p| p.3 != 0)
            .collect();
        parts.sort_by(|x, y| {
            y.3.unsigned_abs()
                .cmp(&x.3.unsigned_abs())
                .then_with(|| x.0.cmp(y.0))
        });
        let part = |name: &str, ca: u64, cb: u64| {
            let num = numerator(ca, cb, na, nb);
            let denom = i128::from(na) * i128::from(nb);
            Contribution {
                name: name.to_string(),
                count_from: ca,
                count_to: cb,
                points: if denom == 0 {
                    0.0
                } else {
                    round(100.0 * num as f64 / denom as f64, 100.0)
                },
                share_of_change: (total != 0)
                    .then(|| round(100.0 * num as f64 / total as f64, 10.0)),
            }
        };
        let mut out: Vec<Contribution> = parts
            .iter()
            .take(CONTRIBUTORS)
            .map(|p| part(p.0, p.1, p.2))
            .collect();
        if parts.len() > CONTRIBUTORS {
            let rest = &parts[CONTRIBUTORS..];
            let ca = rest.iter().map(|p| p.1).sum();
            let cb = rest.iter().map(|p| p.2).sum();
            out.push(part(OTHER, ca, cb));
        }
        out
    }

    /// Every pair's changes, oldest first.
    pub fn into_changes(self) -> Vec<Change> {
        self.changes
    }
}

fn count_before(side: &mut Side, bit: &[u32; N], before: u64) {
    for (k, b) in bit.iter().enumerate() {
        side.a[k] += u64::from(has(before, *b));
    }
}

/// `b / nb − a / na` scaled by `na × nb`: exact, in integers.
fn numerator(a: u64, b: u64, na: u64, nb: u64) -> i128 {
    i128::from(b) * i128::from(na) - i128::from(a) * i128::from(nb)
}

fn round(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(keys: &[&str]) -> u64 {
        keys.iter()
            .map(|k| 1u64 << metric_index(k).unwrap())
            .fold(0, |a, b| a | b)
    }

    /// Parts add up to the change, and a domain that moved is counted where
    /// it went (issue 16 item 2).
    #[test]
    fn parts_add_up_and_movers_count_where_they_went() {
        let sec = bits(&["dnssec_secure"]);
        let mut t = Tracker::new();
        // Day 1: a, b at op1 (a secure); c at op2.
        t.add("a", sec, "op1", "no MX");
        t.add("b", 0, "op1", "no MX");
        t.add("c", 0, "op2", "no MX");
        t.finish_snapshot("2026-01-01", 3);
        // Day 2: a moved to op2 and stays secure; b signed at op1; c deleted;
        // d registered at op2, secure.
        t.add("a", sec, "op2", "no MX");
        t.add("b", sec, "op1", "no MX");
        t.add("d", sec, "op2", "no MX");
        t.finish_snapshot("2026-01-02", 3);
        let changes = t.into_changes();
        let m = &changes[0].metrics[TREND_METRICS
            .iter()
            .position(|k| *k == "dnssec_secure")
            .unwrap()];
        assert_eq!((m.count_from, m.count_to), (1, 3));
        assert_eq!(m.delta_points, 66.7); // 100.0 - 33.3, as the tables print them
        let by: Vec<(&str, u64, u64, f64, Option<f64>)> = m
            .by_dns_operator
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.count_from,
                    c.count_to,
                    c.points,
                    c.share_of_change,
                )
            })
            .collect();
        // op1: b signed (+1/3); op2: a counted there on both dates (0), d new (+1/3).
        assert_eq!(
            by,
            [
                ("op1", 0, 1, 33.33, Some(50.0)),
                ("op2", 1, 2, 33.33, Some(50.0))
            ]
        );
    }
}
