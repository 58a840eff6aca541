//! The engine: retries across upstreams, politeness, and the probe plan
//! (what to ask for each domain); [`crate::decode`] says what answers mean.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use mailcensus_posture::dkim::DkimEvidence;
use mailcensus_posture::dnssec::DnssecEvidence;
use mailcensus_posture::{
    DomainEvidence, Failure, Lookup, MxRecord, Outcome, Posture, TlsaRecord, TxtRecord, Validated,
    classify_domain, dane, dmarc, spf,
};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::cache::SharedCache;
use crate::config::{EngineConfig, Probe};
use crate::decode::{
    Answer, dnskey_algorithm, ds_algorithm, failure_of, mx_hosts, mx_record, rcode_failure,
    tlsa_record, to_lookup, txt_record,
};
use crate::error::DnsError;
use crate::limits::{Pacer, Signal, Window};

use crate::stats::{Counters, StatsSnapshot};
use crate::transport::Transport;
use crate::upstream::{Pick, Pool};
use crate::wire::{QuerySpec, Question, WireName};
use crate::woken::woken;

/// One domain's result.
#[derive(Debug, Clone)]
pub struct DomainResult {
    /// The domain.
    pub domain: String,
    /// What the engine found.
    pub evidence: DomainEvidence,
    /// The classification of that evidence.
    pub posture: Posture,
    /// Queries sent for this domain (retries included, cache hits excluded).
    pub queries: u32,
    /// Wall time from first query to classification.
    pub elapsed: Duration,
}

/// RFC 7208 §4.6.4: more than 10 DNS-querying terms make SPF `permerror`. The
/// engine fetches include/redirect targets until one more than that has been
/// reached, so the classifier sees the limit exceeded, and then stops.
const SPF_FETCH_LIMIT: usize = 11;

/// Queries the window allows per domain [`Engine::run`] keeps started: a
/// started domain has one query in flight (MX), then up to nine at once,
/// about four on average, so one domain per four slots keeps the window
/// about full. More domains only queue for window slots, each queued query
/// costing a wake-up and the started domains' state spilling out of the
/// caches. Against Knot (`benches/dns`, medians of 5 interleaved runs at
/// --concurrency 1,000): two domains per slot gave 74k qps, one per two
/// slots 100-105k, one per four 113k, with p50 domain latencies of about
/// 35, 7 and 3 ms.
const WINDOW_SLOTS_PER_DOMAIN: usize = 4;

/// The lowest admission bound, for windows cut to their floor (32 slots by
/// default).
const MIN_DOMAINS_ADMITTED: usize = 16;

/// The selected probes, one bit each: asked about a dozen times per domain,
/// where a `HashSet` paid a SipHash each time (5% of the engine's
/// instructions with the hashing of the caches).
#[derive(Debug, Clone, Copy, Default)]
struct ProbeMask(u32);

impl ProbeMask {
    fn of(probes: &[Probe]) -> Self {
        probes
            .iter()
            .fold(ProbeMask::default(), |mask, &p| mask.with(p))
    }

    fn bit(probe: Probe) -> u32 {
        1 << (probe as u32)
    }

    fn with(self, probe: Probe) -> Self {
        ProbeMask(self.0 | Self::bit(probe))
    }

    fn contains(self, probe: Probe) -> bool {
        self.0 & Self::bit(probe) != 0
    }
}

/// Backoff before a retry: grows per attempt, capped.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(10u64.saturating_mul(1 << attempt.min(6))).min(Duration::from_millis(500))
}

struct Inner {
    config: EngineConfig,
    probes: ProbeMask,
    transport: Transport,
    pool: Pool,
    window: Window,
    global: Option<Pacer>,
    per_upstream: Vec<Pacer>,
    counters: Arc<Counters>,
    spf_cache: SharedCache<TxtRecord>,
    tlsa_cache: SharedCache<TlsaRecord>,
}

/// The resolver engine. Cheap to clone (shared state); build it inside a
/// tokio runtime.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Counts the queries one domain sent.
type QueryCount = AtomicU32;

impl Engine {
    /// Binds the socket pool and starts the receivers and pacing tasks.
    ///
    /// Must be called inside a tokio runtime. DANE needs the MX hosts, so
    /// selecting [`Probe::Dane`] turns [`Probe::Mx`] on as well.
    pub fn new(config: EngineConfig) -> Result<Self, DnsError> {
        config.validate()?;
        let counters = Arc::new(Counters::default());
        let transport =
            Transport::new(&config.resolvers, config.udp_sockets, Arc::clone(&counters))?;
        let mut probes = ProbeMask::of(&config.probes);
        if probes.contains(Probe::Dane) {
            probes = probes.with(Probe::Mx);
        }
        let global = config
            .qps
            .and_then(NonZeroU32::new)
            .map(|qps| Pacer::new(qps, config.rate_burst));
        let per_upstream = match config.qps_per_upstream.and_then(NonZeroU32::new) {
            Some(qps) => config
                .resolvers
                .iter()
                .map(|_| Pacer::new(qps, config.rate_burst))
                .collect(),
            None => Vec::new(),
        };
        let window = Window::new(
            config.window_floor,
            config.concurrency,
            (config.timeout / 4).max(Duration::from_millis(10)),
        );
        let inner = Inner {
            probes,
            pool: Pool::new(&config.resolvers),
            transport,
            window,
            global,
            per_upstream,
            counters,
            spf_cache: SharedCache::new(config.cache_capacity),
            tlsa_cache: SharedCache::new(config.cache_capacity),
            config,
        };
        Ok(Engine {
            inner: Arc::new(inner),
        })
    }

    /// The engine's counters now.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner
            .counters
            .snapshot(self.inner.window.limit() as u64)
    }

    /// `TXT <name>` through the engine (retries, caps), uncached.
    pub async fn lookup_txt(&self, name: &str) -> Lookup<TxtRecord> {
        let count = QueryCount::new(0);
        self.txt(WireName::from_text(name).as_ref(), &count).await
    }

    /// `MX <name>` through the engine (retries, caps), uncached.
    pub async fn lookup_mx(&self, name: &str) -> Lookup<MxRecord> {
        let count = QueryCount::new(0);
        self.mx(WireName::from_text(name).as_ref(), &count).await
    }

    /// Probes one domain with the configured probe set and classifies it.
    pub async fn probe_domain(&self, domain: &str) -> DomainResult {
        let start = Instant::now();
        let count = QueryCount::new(0);
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        // Boxed: the probe plan's state machine is tens of kilobytes, and an
        // unboxed one is copied whole each time the future moves (into the
        // task, into `join!`); one allocation per domain is cheaper.
        let evidence = Box::pin(self.gather(&domain, &count)).await;
        let posture = classify_domain(&evidence);
        Counters::bump(&self.inner.counters.domains);
        DomainResult {
            domain,
            evidence,
            posture,
            queries: count.load(Ordering::Relaxed),
            elapsed: start.elapsed(),
        }
    }

    /// Probes every domain received on `input` and sends each result, with
    /// the caller's tag, on `output`, at most `domains_in_flight` at a time
    /// (default: half of `concurrency`, at most 4,096: more domains waiting
    /// for window slots only add latency and memory) and at most one per four
    /// queries the adaptive window allows (16 at least). Results come in completion
    /// order; the tag carries whatever the caller needs to restore its own
    /// order. Returns when `input` is closed and every domain is done, or
    /// early if `output` is closed.
    pub async fn run<T: Send + 'static>(
        &self,
        mut input: mpsc::Receiver<(String, T)>,
        output: mpsc::Sender<(DomainResult, T)>,
    ) {
        let limit = match self.inner.config.domains_in_flight {
            0 => (self.inner.config.concurrency / 2).clamp(1, 4096),
            n => n,
        };
        let slots = Arc::new(Semaphore::new(limit));
        let mut tasks = JoinSet::new();
        while let Some((domain, tag)) = input.recv().await {
            // Also at most one domain per WINDOW_SLOTS_PER_DOMAIN queries the
            // adaptive window allows now: when the server's buffer holds the
            // window at a few hundred, thousands of admitted domains only
            // queue for window slots, which measured here as ~1 s of domain
            // latency at --concurrency 10,000 for no throughput (and more CPU
            // per query). Bounded: each turn reaps one started domain.
            let admit = self
                .inner
                .window
                .limit()
                .div_ceil(WINDOW_SLOTS_PER_DOMAIN)
                .max(MIN_DOMAINS_ADMITTED);
            while tasks.len() >= admit {
                if tasks.join_next().await.is_none() {
                    break;
                }
            }
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                break;
            };
            if output.is_closed() {
                break;
            }
            let engine = self.clone();
            let output = output.clone();
            tasks.spawn(async move {
                let result = engine.probe_domain(&domain).await;
                let _ = output.send((result, tag)).await;
                drop(slot);
            });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    }

    fn selected(&self, probe: Probe) -> bool {
        self.inner.probes.contains(probe)
    }

    async fn gather(&self, domain: &str, count: &QueryCount) -> DomainEvidence {
        let mut evidence = DomainEvidence {
            domain: domain.to_string(),
            // Without it a deselected DANE probe would read as "no TLSA found".
            dane_skipped: !self.selected(Probe::Dane),
            ..DomainEvidence::default()
        };
        // Parsed once; every probe name is built from it. A name DNS cannot
        // carry (a label over 63 octets, a name over 255) is never sent: its
        // probes fail as FORMERR.
        let apex = WireName::from_text(domain);
        let apex = apex.as_ref();
        let under = |labels: &[&str]| apex.and_then(|apex| apex.descendant(labels));
        if self.selected(Probe::Mx) {
            let mx = self.mx(apex, count).await;
            if matches!(mx, Lookup::NxDomain) {
                // RFC 8020 §2: nothing exists below a name that does not exist.
                self.fill_nxdomain(&mut evidence);
                evidence.mx = Some(mx);
                return evidence;
            }
            evidence.mx = Some(mx);
        }
        let mx_hosts = evidence.mx.as_ref().map(mx_hosts).unwrap_or_default();
        let dmarc_name = under(&["_dmarc"]);
        let bimi_name = under(&["default", "_bimi"]);
        let mta_sts_name = under(&["_mta-sts"]);
        let tlsrpt_name = under(&["_smtp", "_tls"]);
        let dkim_name = under(&["_domainkey"]);
        // Each branch is polled only when its own answer came (see `woken`).
        let (spf, dmarc, dnssec, bimi, mta_sts, tlsrpt, dkim, tlsa) = tokio::join!(
            woken(self.when(Probe::Spf, self.spf(apex, count))),
            woken(self.when(Probe::Dmarc, self.dmarc(domain, dmarc_name.as_ref(), count))),
            woken(self.when(Probe::Dnssec, self.dnssec(apex, count))),
            woken(self.when(Probe::Bimi, self.txt(bimi_name.as_ref(), count))),
            woken(self.when(Probe::MtaSts, self.txt(mta_sts_name.as_ref(), count))),
            woken(self.when(Probe::Tlsrpt, self.txt(tlsrpt_name.as_ref(), count))),
            woken(self.when(Probe::Dkim, self.txt(dkim_name.as_ref(), count))),
            woken(self.when(Probe::Dane, self.tlsa_of(&mx_hosts, count))),
        );
        if let Some((apex, targets)) = spf {
            evidence.apex_txt = Some(apex);
            evidence.spf_targets = targets;
        }
        if let Some((record, authorizations)) = dmarc {
            evidence.dmarc = Some(record);
            evidence.dmarc_authorizations = authorizations;
        }
        evidence.dnssec = dnssec;
        evidence.bimi = bimi;
        evidence.mta_sts = mta_sts;
        evidence.tlsrpt = tlsrpt;
        evidence.dkim = dkim.map(|lookup| DkimEvidence {
            domainkey: lookup.outcome(),
            nonexistent: None,
        });
        evidence.tlsa = tlsa.unwrap_or_default();
        evidence
    }

    async fn when<F: Future>(&self, probe: Probe, work: F) -> Option<F::Output> {
        if self.selected(probe) {
            Some(work.await)
        } else {
            None
        }
    }

    fn fill_nxdomain(&self, evidence: &mut DomainEvidence) {
        let nx = |probe| self.selected(probe).then_some(Lookup::NxDomain);
        evidence.apex_txt = nx(Probe::Spf);
        evidence.dmarc = nx(Probe::Dmarc);
        evidence.bimi = nx(Probe::Bimi);
        evidence.mta_sts = nx(Probe::MtaSts);
        evidence.tlsrpt = nx(Probe::Tlsrpt);
        evidence.dkim = self.selected(Probe::Dkim).then_some(DkimEvidence {
            domainkey: Outcome::NxDomain,
            nonexistent: None,
        });
        evidence.dnssec = self.selected(Probe::Dnssec).then(DnssecEvidence::nxdomain);
    }

    /// SPF: the apex TXT, then the include/redirect targets breadth-first
    /// through the shared cache, until none is new or the limit is passed.
    async fn spf(
        &self,
        domain: Option<&WireName>,
        count: &QueryCount,
    ) -> (Lookup<TxtRecord>, HashMap<String, Arc<Lookup<TxtRecord>>>) {
        let apex = self.txt(domain, count).await;
        let mut targets: HashMap<String, Arc<Lookup<TxtRecord>>> = HashMap::new();
        let mut frontier = spf::targets_of(&apex);
        while !frontier.is_empty() && targets.len() < SPF_FETCH_LIMIT {
            let mut next = Vec::new();
            for name in frontier {
                if targets.len() >= SPF_FETCH_LIMIT || targets.contains_key(&name) {
                    continue;
                }
                let (lookup, hit) = self
                    .inner
                    .spf_cache
                    .get_or_fetch(&name, || async {
                        let wire = WireName::from_text(&name);
                        self.txt(wire.as_ref(), count).await
                    })
                    .await;
                if hit {
                    Counters::bump(&self.inner.counters.cache_hits);
                }
                next.extend(spf::targets_of(&lookup));
                targets.insert(name, lookup);
            }
            frontier = next;
        }
        (apex, targets)
    }

    /// DMARC: `_dmarc.<d>`, then the external report authorisations
    /// (RFC 7489 §7.1).
    async fn dmarc(
        &self,
        domain: &str,
        name: Option<&WireName>,
        count: &QueryCount,
    ) -> (Lookup<TxtRecord>, HashMap<String, Lookup<TxtRecord>>) {
        let record = self.txt(name, count).await;
        let mut authorizations = HashMap::new();
        for auth in dmarc::authorization_names(domain, &record) {
            if let std::collections::hash_map::Entry::Vacant(slot) = authorizations.entry(auth) {
                let name = WireName::from_text(slot.key());
                let lookup = self.txt(name.as_ref(), count).await;
                slot.insert(lookup);
            }
        }
        (record, authorizations)
    }

    /// DNSSEC: DS and DNSKEY with DO=1, reading AD (RFC 4035 §3.2.3); a
    /// SERVFAIL is retried with CD=1 (RFC 4035 §3.2.2) so a chain that does not
    /// validate (the data comes back) is told from broken servers.
    async fn dnssec(&self, domain: Option<&WireName>, count: &QueryCount) -> DnssecEvidence {
        let (ds, dnskey) = tokio::join!(
            woken(self.query(domain, RecordType::DS, true, false, count)),
            woken(self.query(domain, RecordType::DNSKEY, true, false, count)),
        );
        let authenticated =
            |reply: &Answer| reply.as_ref().is_ok_and(|response| response.authentic_data);
        let ds_authenticated = authenticated(&ds);
        let dnskey_authenticated = authenticated(&dnskey);
        let ds = to_lookup(ds, ds_algorithm);
        let dnskey = to_lookup(dnskey, dnskey_algorithm);
        let retry_type = if dnskey.failure() == Some(Failure::ServFail) {
            Some(RecordType::DNSKEY)
        } else if ds.failure() == Some(Failure::ServFail) {
            Some(RecordType::DS)
        } else {
            None
        };
        let checking_disabled_retry = match retry_type {
            Some(qtype) => {
                let reply = self.query(domain, qtype, true, true, count).await;
                Some(to_lookup(reply, |_| Some(())).outcome())
            }
            None => None,
        };
        DnssecEvidence {
            ds,
            ds_authenticated,
            dnskey,
            dnskey_authenticated,
            servfail_confirmation: None,
            checking_disabled_retry,
            ds_checking_disabled: None,
            extended_error: None,
        }
    }

    /// TLSA `_25._tcp.<host>` for each MX host, through the shared cache.
    async fn tlsa_of(
        &self,
        hosts: &[String],
        count: &QueryCount,
    ) -> HashMap<String, Arc<Validated<TlsaRecord>>> {
        let mut found = HashMap::new();
        for host in hosts {
            if found.contains_key(host) {
                continue;
            }
            let (lookup, hit) = self
                .inner
                .tlsa_cache
                .get_or_fetch(host, || async {
                    let name = WireName::from_text(&dane::tlsa_name(host));
                    let reply = self
                        .query(name.as_ref(), RecordType::TLSA, false, false, count)
                        .await;
                    to_lookup(reply, tlsa_record)
                })
                .await;
            if hit {
                Counters::bump(&self.inner.counters.cache_hits);
            }
            // Interim (issue 12): AD is not carried yet.
            found.insert(
                host.clone(),
                Arc::new(Validated::unvalidated(lookup.as_ref().clone())),
            );
        }
        found
    }

    async fn txt(&self, name: Option<&WireName>, count: &QueryCount) -> Lookup<TxtRecord> {
        let reply = self.query(name, RecordType::TXT, false, false, count).await;
        to_lookup(reply, txt_record)
    }

    async fn mx(&self, name: Option<&WireName>, count: &QueryCount) -> Lookup<MxRecord> {
        let reply = self.query(name, RecordType::MX, false, false, count).await;
        to_lookup(reply, mx_record)
    }

    /// One query with retries: a timeout or broken exchange is retried with
    /// backoff; SERVFAIL and REFUSED are retried only on another upstream (the
    /// same one would most likely say the same); every other reply is final.
    /// `None` is a name DNS cannot carry (a label over 63 octets, a name over
    /// 255, see [`WireName`]): the query cannot be formed and is never sent.
    async fn query(
        &self,
        name: Option<&WireName>,
        qtype: RecordType,
        dnssec_ok: bool,
        checking_disabled: bool,
        count: &QueryCount,
    ) -> Answer {
        let Some(name) = name else {
            return Err(Failure::FormErr);
        };
        let spec = QuerySpec {
            question: Question::new(name, qtype),
            dnssec_ok,
            checking_disabled,
        };
        let inner = &self.inner;
        let attempts = inner.config.retries.saturating_add(1);
        let mut previous = None;
        let mut last_failure = Failure::Timeout;
        let mut patience = inner.config.outage_patience;
        let mut attempt = 0;
        while attempt < attempts {
            let (index, upstream, probe) = match inner.pool.pick(previous, &inner.counters) {
                Pick::Use { index, addr, probe } => (index, addr, probe),
                Pick::Wait(wait) => {
                    // Circuit breaker open: wait without spending an attempt.
                    if patience.is_zero() {
                        return Err(Failure::Timeout);
                    }
                    let wait = wait.min(patience);
                    let held = Instant::now();
                    // Boxed, like the backoff below: rare waits whose timers
                    // would otherwise enlarge every query's future.
                    Box::pin(inner.pool.hold(wait)).await;
                    patience = patience.saturating_sub(held.elapsed());
                    continue;
                }
            };
            if attempt > 0 {
                Counters::bump(&inner.counters.retries);
            }
            attempt += 1;
            // Early attempts use the upstream's retransmit timeout so a lost
            // datagram costs little; the last one waits the full timeout, so
            // a slow but working resolver still gets its answer in.
            let timeout = if attempt < attempts {
                inner.pool.retransmit_timeout(index, inner.config.timeout)
            } else {
                inner.config.timeout
            };
            // Boxed: the attempt's state (timer, semaphore waits, transport)
            // is over a kilobyte, and unboxed it would be copied each time the
            // probe plan's futures are built and moved (memmove was the
            // largest user-space cost in a profile); one allocation is cheaper.
            let reply = Box::pin(self.attempt(index, upstream, &spec, count, timeout)).await;
            match reply {
                Ok(response) => {
                    inner.pool.answered(index);
                    match response.response_code {
                        ResponseCode::ServFail | ResponseCode::Refused
                            if inner.pool.len() > 1 && attempt < attempts =>
                        {
                            previous = Some(index);
                            last_failure = rcode_failure(response.response_code);
                            continue;
                        }
                        _ => return Ok(response),
                    }
                }
                Err(failure @ (Failure::Timeout | Failure::Transport)) => {
                    inner.pool.lost(index, probe);
                    last_failure = failure;
                    previous = Some(index);
                    if attempt < attempts {
                        Box::pin(tokio::time::sleep(backoff(attempt))).await;
                    }
                }
                Err(failure) => return Err(failure),
            }
        }
        Err(last_failure)
    }

    async fn attempt(
        &self,
        index: usize,
        upstream: SocketAddr,
        spec: &QuerySpec,
        count: &QueryCount,
        timeout: Duration,
    ) -> Answer {
        let inner = &self.inner;
        if let Some(pacer) = inner.per_upstream.get(index) {
            pacer.acquire().await;
        }
        if let Some(pacer) = &inner.global {
            pacer.acquire().await;
        }
        let Some(permit) = inner.window.acquire().await else {
            return Err(Failure::Transport);
        };
        count.fetch_add(1, Ordering::Relaxed);
        let sent = Instant::now();
        let reply = inner
            .transport
            .exchange(upstream, spec, timeout)
            .await
            .map_err(|error| failure_of(&error));
        let signal = match &reply {
            Ok(_) => {
                inner.pool.sample(index, sent.elapsed());
                Signal::Delivered
            }
            Err(Failure::Timeout) => Signal::Lost(sent),
            Err(_) => Signal::Neutral,
        };
        inner.window.release(permit, signal);
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_mask_holds_exactly_the_selected_probes() {
        let all = ProbeMask::of(&Probe::ALL);
        assert!(Probe::ALL.iter().all(|&probe| all.contains(probe)));
        for &left_out in &Probe::ALL {
            let others: Vec<Probe> = Probe::ALL
                .iter()
                .copied()
                .filter(|&p| p != left_out)
                .collect();
            let mask = ProbeMask::of(&others);
            assert!(!mask.contains(left_out), "{left_out:?}");
            assert!(others.iter().all(|&probe| mask.contains(probe)));
            assert!(mask.with(left_out).contains(left_out));
        }
        assert!(!ProbeMask::default().contains(Probe::Mx));
    }
}
