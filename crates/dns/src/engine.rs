//! The engine: retries across upstreams, politeness, and the probe plan
//! (what to ask for each domain); [`crate::decode`] says what answers mean.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use mailcensus_posture::dkim::{self, DkimEvidence};
use mailcensus_posture::dnssec::DnssecEvidence;
use mailcensus_posture::spf::HostQuery;
use mailcensus_posture::{
    DomainEvidence, Failure, Lookup, MxRecord, Outcome, Posture, TlsaRecord, TxtRecord, Validated,
    classify_domain, dane, dmarc, spf,
};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::cache::SharedCache;
use crate::config::{EngineConfig, Probe};
use crate::decode::{
    Answer, dnskey_algorithm, ds_algorithm, failure_of, mx_hosts, mx_record, tlsa_record,
    to_lookup, to_validated, txt_record,
};
use crate::error::DnsError;
use crate::limits::{Pacer, Signal, Window};

use crate::stats::{Counters, StatsSnapshot};
use crate::transport::Transport;
use crate::upstream::{Pick, Pool};
use crate::wire::{QuerySpec, Question, Response, WireName};
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
/// reached, so the classifier sees the limit exceeded, and then stops; and
/// likewise asks at most this many `a`/`mx` targets per domain (each
/// distinct one is at least one more term, so past that the record is over
/// the limit whatever the rest would say).
const SPF_FETCH_LIMIT: usize = spf::MAX_LOOKUPS as usize + 1;

/// Which `a`/`mx` targets a record at an owner name sends queries for:
/// [`spf::host_queries_of`], replaceable in the engine's own tests.
type HostQueries = fn(&str, &Lookup<TxtRecord>) -> Vec<HostQuery>;

/// What the SPF probe found: the apex TXT, the include/redirect targets'
/// TXT, and the `a`/`mx` targets' A and MX (see [`DomainEvidence`]).
#[derive(Default)]
struct SpfFound {
    targets: HashMap<String, Arc<Lookup<TxtRecord>>>,
    a: HashMap<String, Outcome>,
    mx: HashMap<String, Arc<Lookup<MxRecord>>>,
    /// Distinct `a`/`mx` targets asked (or taken from the MX probe).
    hosts: usize,
}

/// Queries the window allows per domain [`Engine::run`] keeps started: a
/// started domain has one query in flight (MX), then up to nine at once and
/// a few on average, so one domain per four slots keeps the window about
/// full. More domains only queue for window slots, each queued query
/// costing a wake-up and the started domains' state spilling out of the
/// caches. Chosen by measurement against Knot (fewer slots per domain gave
/// less throughput and longer domain latency): the figures are in
/// BENCHMARKS.md, "Resolver engine".
const WINDOW_SLOTS_PER_DOMAIN: usize = 4;

/// The lowest admission bound, for windows cut to their floor (32 slots by
/// default).
const MIN_DOMAINS_ADMITTED: usize = 16;

/// The selected probes, one bit each: asked about a dozen times per domain,
/// where a `HashSet` paid a SipHash each time, a visible share of the
/// engine's instructions (BENCHMARKS.md, "Resolver engine").
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
    spf_cache: SharedCache<Lookup<TxtRecord>>,
    spf_a_cache: SharedCache<Outcome>,
    spf_mx_cache: SharedCache<Lookup<MxRecord>>,
    tlsa_cache: SharedCache<Validated<TlsaRecord>>,
    host_queries: HostQueries,
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
        Self::with_host_queries(config, spf::host_queries_of)
    }

    fn with_host_queries(
        config: EngineConfig,
        host_queries: HostQueries,
    ) -> Result<Self, DnsError> {
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
            spf_a_cache: SharedCache::new(config.cache_capacity),
            spf_mx_cache: SharedCache::new(config.cache_capacity),
            tlsa_cache: SharedCache::new(config.cache_capacity),
            host_queries,
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
        // Boxed: the probe plan's state machine is large, and an unboxed one
        // is copied whole each time the future moves (into the task, into
        // `join!`); one allocation per domain is cheaper (sizes and the
        // profile: BENCHMARKS.md, "Resolver engine").
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
            // queue for window slots: domain latency grows, throughput does
            // not, and each query costs more CPU (BENCHMARKS.md). Bounded:
            // each turn reaps one started domain.
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
            // DO=1: whether the MX RRset was validated is a DANE input
            // (RFC 7672 §2.2.1).
            let reply = self.query(apex, RecordType::MX, true, false, count).await;
            let Validated {
                lookup: mx,
                authenticated,
            } = to_validated(reply, mx_record);
            evidence.mx_authenticated = authenticated;
            if matches!(mx, Lookup::NxDomain) {
                // RFC 8020 §2: nothing exists below a name that does not exist.
                self.fill_nxdomain(&mut evidence);
                evidence.mx = Some(mx);
                return evidence;
            }
            evidence.mx = Some(mx);
        }
        let mx_hosts = evidence.mx.as_ref().map(mx_hosts).unwrap_or_default();
        let apex_mx = evidence.mx.as_ref();
        let dmarc_name = under(&["_dmarc"]);
        let bimi_name = under(&["default", "_bimi"]);
        let mta_sts_name = under(&["_mta-sts"]);
        let tlsrpt_name = under(&["_smtp", "_tls"]);
        let dkim_name = under(&["_domainkey"]);
        // Each branch is polled only when its own answer came (see `woken`).
        let (spf, dmarc, dnssec, bimi, mta_sts, tlsrpt, dkim, tlsa) = tokio::join!(
            woken(self.when(Probe::Spf, self.spf(domain, apex, apex_mx, count))),
            woken(self.when(Probe::Dmarc, self.dmarc(domain, dmarc_name.as_ref(), count))),
            woken(self.when(Probe::Dnssec, self.dnssec(apex, count))),
            woken(self.when(Probe::Bimi, self.txt(bimi_name.as_ref(), count))),
            woken(self.when(Probe::MtaSts, self.txt(mta_sts_name.as_ref(), count))),
            woken(self.when(Probe::Tlsrpt, self.txt(tlsrpt_name.as_ref(), count))),
            woken(self.when(Probe::Dkim, self.dkim(dkim_name.as_ref(), count))),
            woken(self.when(Probe::Dane, self.tlsa_of(&mx_hosts, count))),
        );
        if let Some((apex, found)) = spf {
            evidence.apex_txt = Some(apex);
            evidence.spf_targets = found.targets;
            evidence.spf_a = found.a;
            evidence.spf_mx = found.mx;
        }
        if let Some((record, authorizations)) = dmarc {
            evidence.dmarc = Some(record);
            evidence.dmarc_authorizations = authorizations;
        }
        evidence.dnssec = dnssec;
        evidence.bimi = bimi;
        evidence.mta_sts = mta_sts;
        evidence.tlsrpt = tlsrpt;
        evidence.dkim = dkim;
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

    /// SPF: the apex TXT, then, depth first in evaluation order (RFC 7208
    /// §4.6: directives in order, an include followed where it stands), each
    /// record's `a`/`mx` targets and then its include/redirect targets, the
    /// records of those fetched in turn. Targets are fetched through the
    /// shared caches, each once per domain, until none is new or a limit is
    /// passed ([`SPF_FETCH_LIMIT`]). (Within a record the `a`/`mx` targets
    /// come before its includes: the order of the common `a mx include:…`.)
    async fn spf(
        &self,
        domain: &str,
        name: Option<&WireName>,
        apex_mx: Option<&Lookup<MxRecord>>,
        count: &QueryCount,
    ) -> (Lookup<TxtRecord>, SpfFound) {
        let apex = self.txt(name, count).await;
        let mut found = SpfFound::default();
        self.spf_hosts(domain, domain, &apex, apex_mx, &mut found, count)
            .await;
        let mut stack = Vec::new();
        let first = spf::targets_of(&apex);
        if !first.is_empty() {
            stack.push(first.into_iter());
        }
        while let Some(siblings) = stack.last_mut() {
            let Some(name) = siblings.next() else {
                stack.pop();
                continue;
            };
            if found.targets.len() >= SPF_FETCH_LIMIT {
                break;
            }
            if found.targets.contains_key(&name) {
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
            self.spf_hosts(domain, &name, &lookup, apex_mx, &mut found, count)
                .await;
            stack.push(spf::targets_of(&lookup).into_iter());
            found.targets.insert(name, lookup);
        }
        (apex, found)
    }

    /// The `a` and `mx` targets of the SPF record in `txt`, published at
    /// `owner`: `A <name>` and `MX <name>`, for the void-lookup count and the
    /// MX-host limit (RFC 7208 §4.6.4), each name once per domain.
    ///
    /// Names outside the domain go through caches shared across domains, like
    /// include targets. The domain's own names (itself and below) are asked
    /// directly: no other domain's record is likely to name them, and they
    /// would only push shared entries out of the caches. A bare `mx` at the
    /// apex (`MX <d>`) is the MX probe's own answer, not asked again.
    async fn spf_hosts(
        &self,
        domain: &str,
        owner: &str,
        txt: &Lookup<TxtRecord>,
        apex_mx: Option<&Lookup<MxRecord>>,
        found: &mut SpfFound,
        count: &QueryCount,
    ) {
        for query in (self.inner.host_queries)(owner, txt) {
            if found.hosts >= SPF_FETCH_LIMIT {
                return;
            }
            let own = is_at_or_below(query_name(&query), domain);
            match query {
                HostQuery::A(name) => {
                    if found.a.contains_key(&name) {
                        continue;
                    }
                    let outcome = if own {
                        self.host_a(&name, count).await
                    } else {
                        let (outcome, hit) = self
                            .inner
                            .spf_a_cache
                            .get_or_fetch(&name, || self.host_a(&name, count))
                            .await;
                        if hit {
                            Counters::bump(&self.inner.counters.cache_hits);
                        }
                        *outcome
                    };
                    found.a.insert(name, outcome);
                }
                HostQuery::Mx(name) => {
                    if found.mx.contains_key(&name) {
                        continue;
                    }
                    let lookup = match apex_mx {
                        Some(apex_mx) if name == domain => Arc::new(apex_mx.clone()),
                        _ if own => Arc::new(self.host_mx(&name, count).await),
                        _ => {
                            let (lookup, hit) = self
                                .inner
                                .spf_mx_cache
                                .get_or_fetch(&name, || self.host_mx(&name, count))
                                .await;
                            if hit {
                                Counters::bump(&self.inner.counters.cache_hits);
                            }
                            lookup
                        }
                    };
                    found.mx.insert(name, lookup);
                }
            }
            found.hosts += 1;
        }
    }

    async fn host_a(&self, name: &str, count: &QueryCount) -> Outcome {
        let wire = WireName::from_text(name);
        let reply = self
            .query(wire.as_ref(), RecordType::A, false, false, count)
            .await;
        // Only the outcome is kept: an A record's data plays no part in the
        // void-lookup count, and need not be decoded as more than present.
        to_lookup(reply, |_| Some(())).outcome()
    }

    async fn host_mx(&self, name: &str, count: &QueryCount) -> Lookup<MxRecord> {
        let wire = WireName::from_text(name);
        self.mx(wire.as_ref(), count).await
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

    /// DKIM hint: `TXT _domainkey.<d>`; when that exists (NOERROR, with or
    /// without data), also a name below it that cannot exist
    /// ([`dkim::NONEXISTENT_LABEL`]): a NOERROR there too means the zone
    /// answers every name (a wildcard, or compact denial of existence,
    /// RFC 9824), and the first NOERROR says nothing. After NXDOMAIN nothing
    /// exists below (RFC 8020 §2); after a failure there is nothing to check.
    async fn dkim(&self, name: Option<&WireName>, count: &QueryCount) -> DkimEvidence {
        let domainkey = self.txt(name, count).await.outcome();
        let nonexistent = match domainkey {
            Outcome::Answer | Outcome::NoData => {
                let below = name.and_then(|name| name.descendant(&[dkim::NONEXISTENT_LABEL]));
                Some(self.txt(below.as_ref(), count).await)
            }
            _ => None,
        };
        DkimEvidence {
            domainkey,
            nonexistent,
        }
    }

    /// DNSSEC: DS and DNSKEY with DO=1, reading AD (RFC 4035 §3.2.3). A
    /// SERVFAIL of either is examined further ([`Engine::dnssec_servfail`])
    /// so that `bogus` rests on a DS RRset, a confirmed SERVFAIL and data
    /// under CD=1, and a lone SERVFAIL stays `error` (DESIGN.md "DNSSEC").
    async fn dnssec(&self, domain: Option<&WireName>, count: &QueryCount) -> DnssecEvidence {
        let (ds, dnskey) = tokio::join!(
            woken(self.query(domain, RecordType::DS, true, false, count)),
            woken(self.query(domain, RecordType::DNSKEY, true, false, count)),
        );
        let ds_reason = failure_reason(&ds);
        let dnskey_reason = failure_reason(&dnskey);
        let ds = to_validated(ds, ds_algorithm);
        let dnskey = to_validated(dnskey, dnskey_algorithm);
        let mut evidence = DnssecEvidence {
            ds: ds.lookup,
            ds_authenticated: ds.authenticated,
            dnskey: dnskey.lookup,
            dnskey_authenticated: dnskey.authenticated,
            servfail_confirmation: None,
            checking_disabled_retry: None,
            ds_checking_disabled: None,
            // RFC 8914: the reason the resolver gave for the failed answer;
            // DNSKEY's first, since it fails when the child's chain breaks.
            extended_error: dnskey_reason.or(ds_reason),
        };
        if is_servfail(&evidence.dnskey) || is_servfail(&evidence.ds) {
            // Boxed: rare, and its futures would otherwise enlarge every
            // domain's probe plan.
            Box::pin(self.dnssec_servfail(domain, &mut evidence, count)).await;
        }
        evidence
    }

    /// After a SERVFAIL of DNSKEY (else DS): the same query again, plainly
    /// (CD=0), to tell a lasting failure from a transient one. An answer
    /// there replaces the SERVFAIL (with its own AD). A second SERVFAIL is
    /// retried with CD=1 (RFC 4035 §3.2.2): data there means it exists but
    /// does not validate (bogus); a failure there too, broken servers. And
    /// while DS itself stands as SERVFAIL, `DS` with CD=1 says whether the
    /// parent publishes one at all (without, there is no chain of trust to
    /// break: never bogus).
    async fn dnssec_servfail(
        &self,
        domain: Option<&WireName>,
        evidence: &mut DnssecEvidence,
        count: &QueryCount,
    ) {
        let (qtype, extract): (RecordType, fn(&RData) -> Option<u8>) =
            if is_servfail(&evidence.dnskey) {
                (RecordType::DNSKEY, dnskey_algorithm)
            } else {
                (RecordType::DS, ds_algorithm)
            };
        let reply = self.query(domain, qtype, true, false, count).await;
        let reason = failure_reason(&reply);
        evidence.extended_error = evidence.extended_error.or(reason);
        let confirmation = to_validated(reply, extract);
        evidence.servfail_confirmation = Some(confirmation.lookup.outcome());
        let confirmed = is_servfail(&confirmation.lookup);
        if confirmation.lookup.failure().is_none() {
            // Transient: the second answer stands.
            if qtype == RecordType::DNSKEY {
                evidence.dnskey = confirmation.lookup;
                evidence.dnskey_authenticated = confirmation.authenticated;
            } else {
                evidence.ds = confirmation.lookup;
                evidence.ds_authenticated = confirmation.authenticated;
            }
        }
        let retry_is_ds = confirmed && qtype == RecordType::DS;
        let ds_unknown = is_servfail(&evidence.ds) && !retry_is_ds;
        let (retry, ds_cd) = tokio::join!(
            async {
                if confirmed {
                    let reply = self.query(domain, qtype, true, true, count).await;
                    Some(to_lookup(reply, extract))
                } else {
                    None
                }
            },
            async {
                if ds_unknown {
                    let reply = self.query(domain, RecordType::DS, true, true, count).await;
                    Some(to_lookup(reply, ds_algorithm))
                } else {
                    None
                }
            },
        );
        evidence.checking_disabled_retry = retry.as_ref().map(Lookup::outcome);
        evidence.ds_checking_disabled = if retry_is_ds { retry } else { ds_cd };
    }

    /// TLSA `_25._tcp.<host>` for each MX host, through the shared cache,
    /// with DO=1 and the AD flag kept: only a TLSA RRset the resolver
    /// validated is usable (RFC 7672 §2.2, RFC 6698 §4.1).
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
            let (validated, hit) = self
                .inner
                .tlsa_cache
                .get_or_fetch(host, || async {
                    let name = WireName::from_text(&dane::tlsa_name(host));
                    let reply = self
                        .query(name.as_ref(), RecordType::TLSA, true, false, count)
                        .await;
                    to_validated(reply, tlsa_record)
                })
                .await;
            if hit {
                Counters::bump(&self.inner.counters.cache_hits);
            }
            found.insert(host.clone(), validated);
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
    /// When the attempts after a SERVFAIL or REFUSED only time out, that
    /// answer is the result: a resolver did answer, and its Extended DNS
    /// Error (RFC 8914) says why, which a timeout would lose.
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
        // The RCODE and Extended DNS Error of the last SERVFAIL or REFUSED
        // answer, retried elsewhere (all the evidence reads of it; kept
        // small, as every query's future holds it).
        let mut refusal: Option<(ResponseCode, Option<u16>)> = None;
        let mut patience = inner.config.outage_patience;
        let mut attempt = 0;
        while attempt < attempts {
            let (index, upstream, probe) = match inner.pool.pick(previous, &inner.counters) {
                Pick::Use { index, addr, probe } => (index, addr, probe),
                Pick::Wait(wait) => {
                    // Circuit breaker open: wait without spending an attempt.
                    if patience.is_zero() {
                        return refused(refusal).ok_or(Failure::Timeout);
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
            // is large, and unboxed it would be copied each time the probe
            // plan's futures are built and moved (memmove showed at the top of
            // a profile, BENCHMARKS.md); one allocation is cheaper.
            let reply = Box::pin(self.attempt(index, upstream, &spec, count, timeout)).await;
            match reply {
                Ok(response) => {
                    inner.pool.answered(index);
                    match response.response_code {
                        ResponseCode::ServFail | ResponseCode::Refused
                            if inner.pool.len() > 1 && attempt < attempts =>
                        {
                            previous = Some(index);
                            refusal = Some((response.response_code, response.extended_error));
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
        refused(refusal).ok_or(last_failure)
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

/// The Extended DNS Error (RFC 8914) of an answer that failed (any RCODE
/// but NOERROR and NXDOMAIN); `None` for a timeout, which has no answer.
fn failure_reason(reply: &Answer) -> Option<u16> {
    match reply {
        Ok(response)
            if !matches!(
                response.response_code,
                ResponseCode::NoError | ResponseCode::NXDomain
            ) =>
        {
            response.extended_error
        }
        _ => None,
    }
}

/// The answer a retried SERVFAIL or REFUSED stands for: its RCODE and
/// Extended DNS Error, no records (a failure's records are never read).
fn refused(refusal: Option<(ResponseCode, Option<u16>)>) -> Option<Response> {
    refusal.map(|(response_code, extended_error)| Response {
        response_code,
        authentic_data: false,
        truncation: false,
        extended_error,
        answers: Vec::new(),
    })
}

fn is_servfail<T>(lookup: &Lookup<T>) -> bool {
    lookup.failure() == Some(Failure::ServFail)
}

fn query_name(query: &HostQuery) -> &str {
    match query {
        HostQuery::A(name) | HostQuery::Mx(name) => name,
    }
}

/// `name` is `domain` or a name below it (both lowercase, no trailing dot).
fn is_at_or_below(name: &str, domain: &str) -> bool {
    name.strip_suffix(domain)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EngineConfig;
    use mailcensus_testbed::{KnotServer, ZoneSpec};

    /// A stand-in for [`spf::host_queries_of`] while the engine's walk is
    /// tested on its own: every `a`, `a:<name>`, `mx`, `mx:<name>` term of
    /// the first `v=spf1` record, in order (no macros in the test zone).
    fn plain_host_queries(owner: &str, txt: &Lookup<TxtRecord>) -> Vec<HostQuery> {
        let Some(record) = txt
            .records()
            .iter()
            .map(TxtRecord::joined)
            .find(|text| text.starts_with("v=spf1 "))
        else {
            return Vec::new();
        };
        record
            .split_whitespace()
            .filter_map(|term| match term.split_once(':') {
                None if term == "a" => Some(HostQuery::A(owner.to_string())),
                None if term == "mx" => Some(HostQuery::Mx(owner.to_string())),
                Some(("a", name)) => Some(HostQuery::A(name.to_ascii_lowercase())),
                Some(("mx", name)) => Some(HostQuery::Mx(name.to_ascii_lowercase())),
                _ => None,
            })
            .collect()
    }

    /// Knot serving the signed test TLD, and an engine asking it MX and SPF
    /// with [`plain_host_queries`].
    fn knot_and_engine(dir: &std::path::Path) -> (KnotServer, Engine) {
        let zone = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/zones/mcdns.zone.signed");
        let knot = KnotServer::start(&[ZoneSpec::new("mcdns", zone)], dir).unwrap();
        let mut config = EngineConfig::new(vec![knot.addr]);
        config.timeout = Duration::from_secs(2);
        config.probes = vec![Probe::Mx, Probe::Spf];
        let engine = Engine::with_host_queries(config, plain_host_queries).unwrap();
        (knot, engine)
    }

    /// RFC 7208 §4.6.4: the `a`/`mx` targets of the apex record and of its
    /// include target are asked (A, MX), each once, and their void answers
    /// (NODATA, NXDOMAIN) recorded; the bare `mx` at the apex is the MX
    /// probe's own answer. Names outside the domain are shared through the
    /// caches with the next domain; the domain's own names are not.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spf_a_and_mx_targets_are_asked_once_and_shared() {
        let dir = tempfile::TempDir::new().unwrap();
        let (_knot, engine) = knot_and_engine(dir.path());
        let first = engine.probe_domain("spfvoid.mcdns").await;
        let ev = &first.evidence;
        let a: HashMap<&str, Outcome> = ev.spf_a.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            a,
            HashMap::from([
                ("gone.spfvoid.mcdns", Outcome::NxDomain),
                ("mx.good.mcdns", Outcome::Answer),
                ("_spf.nohost.mcdns", Outcome::NoData),
            ])
        );
        assert_eq!(ev.spf_mx.len(), 2, "{:?}", ev.spf_mx);
        assert_eq!(*ev.spf_mx["_spf.nohost.mcdns"], Lookup::NoData);
        assert_eq!(Some(&*ev.spf_mx["spfvoid.mcdns"]), ev.mx.as_ref());
        assert_eq!(ev.spf_mx["spfvoid.mcdns"].records().len(), 1);
        // MX, TXT, A gone, A mx.good, TXT _spf.nohost, its A and its MX.
        assert_eq!(first.queries, 7);

        let hits = engine.stats().cache_hits;
        let second = engine.probe_domain("spfvoid.mcdns").await;
        assert_eq!(second.evidence.spf_a, first.evidence.spf_a);
        assert_eq!(second.evidence.spf_mx, first.evidence.spf_mx);
        // MX, TXT and the domain's own A gone.spfvoid.mcdns; the include
        // target's TXT, A and MX and the A of mx.good.mcdns are cached.
        assert_eq!(second.queries, 3);
        assert_eq!(engine.stats().cache_hits - hits, 4);
    }

    /// RFC 7208 §4.6.4: past 10 lookups the record is `permerror` whatever
    /// the rest says, so the engine asks at most 11 `a`/`mx` targets per
    /// domain, in evaluation order, a repeated one once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spf_host_queries_stop_past_the_lookup_limit() {
        let dir = tempfile::TempDir::new().unwrap();
        let (_knot, engine) = knot_and_engine(dir.path());
        let result = engine.probe_domain("spfmany.mcdns").await;
        let mut asked: Vec<&str> = result.evidence.spf_a.keys().map(String::as_str).collect();
        asked.sort_unstable_by_key(|name| {
            name.trim_start_matches('h')
                .split('.')
                .next()
                .and_then(|n| n.parse::<u32>().ok())
        });
        let expected: Vec<String> = (1..=11).map(|i| format!("h{i}.spfmany.mcdns")).collect();
        assert_eq!(asked, expected);
        assert!(
            result
                .evidence
                .spf_a
                .values()
                .all(|outcome| *outcome == Outcome::NxDomain)
        );
        // MX, TXT and eleven A.
        assert_eq!(result.queries, 13);
    }

    #[test]
    fn own_names_are_the_domain_and_below() {
        assert!(is_at_or_below("example.mcdns", "example.mcdns"));
        assert!(is_at_or_below("mail.example.mcdns", "example.mcdns"));
        assert!(!is_at_or_below("badexample.mcdns", "example.mcdns"));
        assert!(!is_at_or_below("example.mcdns.org", "example.mcdns"));
        assert!(!is_at_or_below("mcdns", "example.mcdns"));
    }

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
