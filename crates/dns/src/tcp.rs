//! TCP to the upstreams: a small pool of pipelined connections per upstream.
//!
//! A truncated UDP answer (TC=1) repeats its query over TCP (RFC 7766 §5).
//! Opening a connection per query would cost a handshake per query and leave
//! thousands of sockets in TIME_WAIT on a large scan, and RFC 7766 §6.2.1 asks
//! clients to reuse connections instead. So each upstream gets at most
//! [`TCP_CONNECTIONS_PER_UPSTREAM`] connections, opened lazily by the first
//! truncated answer that finds no room, and kept while they are in use:
//!
//! - Several queries travel on one connection at once without waiting for
//!   each other's answers (pipelining, RFC 7766 §6.2.1.1), at most
//!   [`IN_FLIGHT_PER_CONNECTION`]; a query that finds every connection full
//!   and the cap reached waits for a slot (within its own timeout).
//! - Each message carries the two-byte length prefix of RFC 1035 §4.2.2.
//! - Answers may come in any order (RFC 7766 §7): each is matched by message
//!   id *and* question (name case-insensitively per RFC 4343, type, class) to
//!   an outstanding query of the connection it came in on. Ids are random and
//!   unique among that connection's outstanding and recently expired queries.
//!   Anything that matches nothing is counted and dropped, so a confused or
//!   hostile server can never complete another query with its answer.
//! - Each connection has one task: a writer half that sends the queued
//!   queries (coalescing those queued together into one write) and a reader
//!   half that reads and dispatches answers.
//! - A connection with nothing outstanding for [`IDLE_TIMEOUT`] is closed by
//!   us (RFC 7766 §6.2.3). One the server closes, or that breaks, fails its
//!   outstanding queries at once with [`TransportError::Closed`] (RFC 7766 §6.2.4
//!   leaves the retry to the client: the engine retries them, and a failure
//!   is never turned into absence); the next query opens a fresh one. So
//!   does one presumed stuck: a query timed out and the server has answered
//!   nothing on that connection since the query was sent, or a write could
//!   not complete within the idle timeout.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hickory_proto::op::Header;
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::pending::{Draw, PendingTable, Reply, TransportError, complete};
use crate::stats::Counters;
use crate::wire::{QuerySpec, answers_query, encode};

/// TCP connections the engine keeps open to one upstream at most.
///
/// RFC 7766 §6.2.2 recommends a single connection per server for ordinary
/// queries, to spare the server; we allow one more so that when the server
/// closes a connection (Knot after 10 s idle, Unbound after 30 s, or after
/// as little as 200 ms when its TCP buffers run short) the other keeps
/// carrying queries while it is replaced, and so that one slow answer at the
/// head of a server's per-connection queue does not hold up every other
/// truncated answer.
pub const TCP_CONNECTIONS_PER_UPSTREAM: usize = 2;

/// Queries outstanding on one connection at most. RFC 7766 sets no number;
/// a server typically works through a connection's queries one after the
/// other (Knot does), so a deeper pipeline mostly lengthens the wait of its
/// last query, while this many
/// already amortises a connection over a burst of truncated answers (which
/// are rare: large TXT, DNSKEY with DO=1).
pub(crate) const IN_FLIGHT_PER_CONNECTION: usize = 32;

/// A connection with no outstanding query for this long is closed
/// (RFC 7766 §6.2.3: clients should close idle connections; servers time
/// them out anyway, Knot after 10 s and Unbound after 30 s by default, so
/// keeping one much longer would mostly mean finding it closed). A connection
/// closes between one and two idle timeouts after its last activity.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(3);

/// Ids of queries that timed out recently, per connection: a late answer is
/// told from an unsolicited one, and these ids are not drawn again while the
/// old answer may still arrive (it carries the same id, and possibly the same
/// question asked with other flags).
const RECENT_EXPIRED: usize = 256;

/// Buffer of a connection's reader: several pipelined answers per read call.
const READ_BUFFER: usize = 16 * 1024;

/// Random id draws per query before giving up; with at most
/// [`IN_FLIGHT_PER_CONNECTION`] + [`RECENT_EXPIRED`] ids taken out of 65,536,
/// one draw almost always suffices.
const ID_DRAWS: usize = 16;

/// A query waiting for the connection's writer, length prefix included.
struct Frame {
    id: u16,
    /// The registration it belongs to (see [`crate::pending::Pending::token`]).
    token: u64,
    bytes: Vec<u8>,
}

/// One connection's state, shared by its task and the queries using it.
struct Conn {
    /// Tells this connection from its successors (a closed connection's
    /// task and guards must not touch a new one).
    serial: u64,
    /// Outstanding queries; the connection is their only peer.
    pending: PendingTable<()>,
    /// When the last query was registered or answered (idle timeout).
    last_active: Instant,
    /// When the server last answered one of our queries (late ones
    /// included), or the connection was established; `None` while
    /// connecting. A connection silent for a whole query timeout is stuck.
    last_progress: Option<Instant>,
    /// Queue to the writer; bounded, so queries a stalled server does not
    /// read cannot pile up.
    frames: mpsc::Sender<Frame>,
    /// The connection's task, aborted when the pool is dropped.
    task: AbortHandle,
}

#[derive(Default)]
struct Conns {
    next_serial: u64,
    /// Open (or opening) connections that take new queries; a connection
    /// leaves this list when it closes, fails or retires idle.
    live: Vec<Conn>,
}

/// The connections to one upstream.
struct Upstream {
    addr: SocketAddr,
    /// One permit per query slot over all connections, so a query that holds
    /// one always finds a connection with room or room to open one.
    slots: Semaphore,
    conns: Mutex<Conns>,
    idle: Duration,
    counters: Arc<Counters>,
}

/// What a registered query needs to send and wait.
struct Registered {
    serial: u64,
    id: u16,
    token: u64,
    frames: mpsc::Sender<Frame>,
    reply: oneshot::Receiver<Reply>,
}

impl Upstream {
    fn conns(&self) -> MutexGuard<'_, Conns> {
        // A panic while holding the lock cannot leave the tables in a state
        // worse than losing the engine would.
        self.conns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a query on the least-loaded connection with room, opening a
    /// connection when none has room and the cap allows (RFC 7766 §6.2.1:
    /// reuse first, §6.2.2: few connections).
    fn register(
        self: &Arc<Self>,
        spec: &QuerySpec,
        connect_timeout: Duration,
    ) -> Option<Registered> {
        let mut conns = self.conns();
        let least = conns
            .live
            .iter()
            .enumerate()
            .min_by_key(|(_, conn)| conn.pending.len())
            .map(|(index, conn)| (index, conn.pending.len()));
        let index = match least {
            Some((index, load))
                if load < IN_FLIGHT_PER_CONNECTION
                    || conns.live.len() >= TCP_CONNECTIONS_PER_UPSTREAM =>
            {
                // The second case cannot happen while slots are held per
                // query; were it to, the least-loaded connection takes one
                // more rather than the query failing.
                index
            }
            _ => self.open(&mut conns, connect_timeout),
        };
        let conn = conns.live.get_mut(index)?;
        // Random ids (RFC 5452 §4.3), unique on this connection among the
        // outstanding and recently expired queries.
        let (id, token, reply) =
            conn.pending
                .register((), spec.question.clone(), ID_DRAWS, Draw::Unused)?;
        conn.last_active = Instant::now();
        Some(Registered {
            serial: conn.serial,
            id,
            token,
            frames: conn.frames.clone(),
            reply,
        })
    }

    /// Starts a connection's task and lists the connection; returns its index.
    fn open(self: &Arc<Self>, conns: &mut Conns, connect_timeout: Duration) -> usize {
        let serial = conns.next_serial;
        conns.next_serial = conns.next_serial.wrapping_add(1);
        let (frames, queue) = mpsc::channel(IN_FLIGHT_PER_CONNECTION);
        let upstream = Arc::clone(self);
        // The task cannot see the connection before it is listed: it takes
        // the lock we hold to find it.
        let task = tokio::spawn(async move { upstream.run(serial, queue, connect_timeout).await });
        Counters::bump(&self.counters.tcp_connections);
        conns.live.push(Conn {
            serial,
            pending: PendingTable::new(RECENT_EXPIRED),
            last_active: Instant::now(),
            last_progress: None,
            frames,
            task: task.abort_handle(),
        });
        conns.live.len() - 1
    }

    /// The connection's life: connect, then write and read until either side
    /// ends (error, end of stream, idle retirement), then fail what is left.
    async fn run(
        self: Arc<Self>,
        serial: u64,
        queue: mpsc::Receiver<Frame>,
        connect_timeout: Duration,
    ) {
        if let Ok(Ok(stream)) =
            tokio::time::timeout(connect_timeout, TcpStream::connect(self.addr)).await
        {
            // Queries are small and latency matters more than segment count;
            // the writer already coalesces what is queued together.
            let _ = stream.set_nodelay(true);
            self.connected(serial);
            let (reader, writer) = stream.into_split();
            tokio::select! {
                () = self.read_loop(serial, reader) => {}
                () = self.write_loop(serial, writer, queue) => {}
            }
        }
        self.close(serial);
    }

    /// Reads length-prefixed answers (RFC 1035 §4.2.2) until the stream ends
    /// or breaks.
    async fn read_loop(&self, serial: u64, reader: OwnedReadHalf) {
        let mut reader = BufReader::with_capacity(READ_BUFFER, reader);
        // One buffer of the largest possible message: memory stays bounded
        // whatever lengths the server announces.
        let mut body = vec![0u8; usize::from(u16::MAX)];
        loop {
            let mut prefix = [0u8; 2];
            if reader.read_exact(&mut prefix).await.is_err() {
                return;
            }
            let len = usize::from(u16::from_be_bytes(prefix));
            let Some(frame) = body.get_mut(..len) else {
                return;
            };
            if reader.read_exact(frame).await.is_err() {
                return;
            }
            self.dispatch(serial, frame);
        }
    }

    /// Writes queued queries, all those queued together in one write, and
    /// retires the connection once it has been idle long enough.
    async fn write_loop(
        &self,
        serial: u64,
        mut writer: OwnedWriteHalf,
        mut queue: mpsc::Receiver<Frame>,
    ) {
        let mut batch = Vec::with_capacity(IN_FLIGHT_PER_CONNECTION);
        let mut out = Vec::new();
        let mut wait = self.idle;
        loop {
            match tokio::time::timeout(wait, queue.recv_many(&mut batch, IN_FLIGHT_PER_CONNECTION))
                .await
            {
                // Every sender is gone: the connection was dropped from the pool.
                Ok(0) => return,
                Ok(_) => wait = self.idle,
                Err(_) => match self.retire_if_idle(serial) {
                    Some(left) => {
                        wait = left;
                        continue;
                    }
                    None => return,
                },
            }
            out.clear();
            let mut written = 0u64;
            {
                let conns = self.conns();
                let conn = conns.live.iter().find(|conn| conn.serial == serial);
                for frame in batch.drain(..) {
                    // A query that gave up while queued is not sent: its
                    // answer would only be counted as late.
                    let waiting = conn
                        .and_then(|conn| conn.pending.get(frame.id))
                        .is_some_and(|pending| pending.token == frame.token);
                    if waiting {
                        out.extend_from_slice(&frame.bytes);
                        written += 1;
                    }
                }
            }
            if out.is_empty() {
                continue;
            }
            // A server that stops reading leaves the write pending: bounded,
            // so such a connection ends (and its queries fail) instead of
            // staying listed forever.
            match tokio::time::timeout(self.idle, writer.write_all(&out)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return,
            }
            self.counters
                .sent_tcp
                .fetch_add(written, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Closes the connection when nothing is outstanding and nothing happened
    /// for the idle timeout (returns `None`: stop); else says how long to wait
    /// before looking again.
    fn retire_if_idle(&self, serial: u64) -> Option<Duration> {
        let mut conns = self.conns();
        let index = conns.live.iter().position(|conn| conn.serial == serial)?;
        let conn = conns.live.get(index)?;
        if !conn.pending.is_empty() {
            return Some(self.idle);
        }
        let quiet = conn.last_active.elapsed();
        if quiet < self.idle {
            return Some(self.idle - quiet);
        }
        // Unlisted under the lock: no query can register on it any more.
        conns.live.swap_remove(index);
        None
    }

    /// Unlists a connection and fails its outstanding queries as transport
    /// failures, for the engine to retry.
    fn close(&self, serial: u64) {
        let mut conn = {
            let mut conns = self.conns();
            let Some(index) = conns.live.iter().position(|conn| conn.serial == serial) else {
                return;
            };
            conns.live.swap_remove(index)
        };
        for pending in conn.pending.drain() {
            Counters::bump(&self.counters.transport_errors);
            let _ = pending.tx.send(Err(TransportError::Closed));
        }
    }

    /// Marks the connection established: the stuck-connection rule of
    /// [`Upstream::expired`] measures from here.
    fn connected(&self, serial: u64) {
        let mut conns = self.conns();
        if let Some(conn) = conns.live.iter_mut().find(|conn| conn.serial == serial) {
            conn.last_progress = Some(Instant::now());
        }
    }

    /// A query registered at `registered_at` timed out (and was forgotten).
    /// When the server has answered nothing on this connection since, it is
    /// presumed stuck (a server that accepts but no longer answers, a path
    /// that silently died) and closed: its other queries fail as transport
    /// failures for the engine to retry, and the next query opens a fresh
    /// connection instead of waiting on this one forever (RFC 7766 §6.2.4
    /// leaves closing on unusual conditions, and the retries, to the client).
    /// A connection still connecting, or one answering other queries, is
    /// left alone: a slow answer is not a stuck connection.
    fn expired(&self, serial: u64, registered_at: Instant) {
        let mut conn = {
            let mut conns = self.conns();
            let Some(index) = conns.live.iter().position(|conn| {
                conn.serial == serial
                    && conn
                        .last_progress
                        .is_some_and(|progress| progress < registered_at)
            }) else {
                return;
            };
            conns.live.swap_remove(index)
        };
        // Unlisted first, so its task (which would close it the same way)
        // finds nothing to do if it gets there before the abort lands.
        conn.task.abort();
        for pending in conn.pending.drain() {
            Counters::bump(&self.counters.transport_errors);
            let _ = pending.tx.send(Err(TransportError::Closed));
        }
    }

    /// Forgets a query that will not be answered (timeout or cancellation),
    /// if `id` still belongs to that registration.
    fn forget(&self, serial: u64, id: u16, token: u64) {
        let mut conns = self.conns();
        let Some(conn) = conns.live.iter_mut().find(|conn| conn.serial == serial) else {
            return;
        };
        conn.pending.forget(id, token);
    }

    /// Hands an answer to the outstanding query of this connection it
    /// answers, or counts and drops it.
    fn dispatch(&self, serial: u64, bytes: &[u8]) {
        let counters = &self.counters;
        let Ok(header) = Header::read(&mut BinDecoder::new(bytes)) else {
            Counters::bump(&counters.unsolicited);
            return;
        };
        let id = header.metadata.id;
        let mut conns = self.conns();
        let Some(conn) = conns.live.iter_mut().find(|conn| conn.serial == serial) else {
            return;
        };
        let Some(pending) = conn.pending.get(id) else {
            if conn.pending.was_expired(id) {
                // Slow, but the server is answering.
                conn.last_progress = Some(Instant::now());
                Counters::bump(&counters.late);
            } else {
                Counters::bump(&counters.unsolicited);
            }
            return;
        };
        // The query stays outstanding after a mismatch: its own answer may
        // still come, else it times out; it never takes this one.
        if !answers_query(&header, bytes, &pending.question) {
            Counters::bump(&counters.mismatched);
            return;
        }
        let Some(pending) = conn.pending.remove(id) else {
            return;
        };
        let now = Instant::now();
        conn.last_active = now;
        conn.last_progress = Some(now);
        drop(conns);
        complete(bytes, &pending.question, pending.tx, counters);
    }
}

/// Removes the pending entry when the waiting future ends for any reason.
struct PendingGuard<'a> {
    upstream: &'a Upstream,
    serial: u64,
    id: u16,
    token: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.upstream.forget(self.serial, self.id, self.token);
    }
}

/// The TCP connection pools of every upstream.
pub(crate) struct TcpPool {
    upstreams: Vec<Arc<Upstream>>,
    counters: Arc<Counters>,
}

impl Drop for TcpPool {
    fn drop(&mut self) {
        for upstream in &self.upstreams {
            for conn in &upstream.conns().live {
                conn.task.abort();
            }
        }
    }
}

impl TcpPool {
    /// Pools for these upstreams; no connection is opened before a query
    /// needs one.
    pub fn new(upstreams: &[SocketAddr], counters: &Arc<Counters>) -> Self {
        Self::with_idle_timeout(upstreams, counters, IDLE_TIMEOUT)
    }

    /// The same with another idle timeout (tests).
    pub fn with_idle_timeout(
        upstreams: &[SocketAddr],
        counters: &Arc<Counters>,
        idle: Duration,
    ) -> Self {
        let mut addrs = upstreams.to_vec();
        addrs.sort_unstable();
        addrs.dedup();
        TcpPool {
            upstreams: addrs
                .into_iter()
                .map(|addr| {
                    Arc::new(Upstream {
                        addr,
                        slots: Semaphore::new(
                            TCP_CONNECTIONS_PER_UPSTREAM * IN_FLIGHT_PER_CONNECTION,
                        ),
                        conns: Mutex::new(Conns::default()),
                        idle,
                        counters: Arc::clone(counters),
                    })
                })
                .collect(),
            counters: Arc::clone(counters),
        }
    }

    /// One query over TCP, within `timeout` all included: waiting for a slot,
    /// connecting when a new connection is needed, writing, and the answer.
    pub async fn exchange(
        &self,
        upstream: SocketAddr,
        spec: &QuerySpec,
        timeout: Duration,
    ) -> Reply {
        let Some(pool) = self.upstreams.iter().find(|pool| pool.addr == upstream) else {
            Counters::bump(&self.counters.transport_errors);
            return Err(TransportError::NoRoute);
        };
        let counters = &pool.counters;
        // Which connection the query went to, and when: a timeout may mean
        // that connection is stuck.
        let mut sent_on = None;
        let work = async {
            // Declared before the guard, so dropped after it: the pending
            // entry is gone before the slot is handed to another query.
            let _slot = pool
                .slots
                .acquire()
                .await
                .map_err(|_| TransportError::Dropped)?;
            let Some(registered) = pool.register(spec, timeout) else {
                Counters::bump(&counters.transport_errors);
                return Err(TransportError::NoFreeId);
            };
            let _guard = PendingGuard {
                upstream: pool,
                serial: registered.serial,
                id: registered.id,
                token: registered.token,
            };
            sent_on = Some((registered.serial, Instant::now()));
            let bytes = framed(registered.id, spec)?;
            // A closed queue means the connection is ending: its end fails
            // (and counts) this still registered query through `reply`.
            let _ = registered
                .frames
                .send(Frame {
                    id: registered.id,
                    token: registered.token,
                    bytes,
                })
                .await;
            registered
                .reply
                .await
                .map_err(|_| TransportError::Dropped)?
        };
        // Bound to a name so the query's future, its guard included, is
        // dropped here: the query is forgotten before the check below.
        let outcome = tokio::time::timeout(timeout, work).await;
        match outcome {
            Ok(reply) => reply,
            Err(_) => {
                Counters::bump(&counters.timeouts);
                if let Some((serial, registered_at)) = sent_on {
                    pool.expired(serial, registered_at);
                }
                Err(TransportError::Timeout)
            }
        }
    }
}

/// The query with its RFC 1035 §4.2.2 two-byte length prefix.
fn framed(id: u16, spec: &QuerySpec) -> Result<Vec<u8>, TransportError> {
    let message = encode(id, spec);
    let len = u16::try_from(message.len()).map_err(|_| TransportError::TooLong)?;
    let mut bytes = Vec::with_capacity(message.len() + 2);
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes.extend_from_slice(&message);
    Ok(bytes)
}

#[cfg(test)]
mod tests;
