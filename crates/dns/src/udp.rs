//! UDP to the upstreams: a few sockets per address family, each with its
//! own random port and id space (RFC 5452 §9.2, §4.3), a sender task that
//! writes queued queries in bursts and a receiver task that reads answers in
//! bursts ([`crate::datagrams`]).
//!
//! Matching follows RFC 5452 §9.1: a response is accepted only when it comes
//! from the address the query went to, on the socket it left from, with the
//! query's id and the query's question (name compared case-insensitively,
//! RFC 4343 §3). Anything else is dropped and counted; it can never complete
//! another query, so a hostile or confused sender cannot make a domain look
//! like it has (or lacks) a record.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hickory_proto::op::Header;
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use crate::datagrams::{self, Datagram, ReceiveBuffers, Received};
use crate::pending::{Draw, PendingTable, Reply, TransportError, complete};
use crate::stats::Counters;
use crate::wire::{QuerySpec, Response, answers_query, encode};

/// Ids of queries that timed out recently, per socket, to tell a late answer
/// from an unsolicited one.
const RECENT_EXPIRED: usize = 1024;

/// Random id draws per query before the socket counts as full and the
/// query tries the next socket.
const ID_DRAWS: usize = 16;

/// A socket's outstanding queries, each with the upstream it went to.
type Table = PendingTable<SocketAddr>;

/// A query waiting for the socket's sender task.
struct Outgoing {
    id: u16,
    /// The registration, so a failed send ends this query and never a newer
    /// one that drew the same id after this one was given up.
    token: u64,
    upstream: SocketAddr,
    bytes: Vec<u8>,
}

impl Datagram for Outgoing {
    fn payload(&self) -> &[u8] {
        &self.bytes
    }

    fn destination(&self) -> SocketAddr {
        self.upstream
    }
}

struct Slot {
    socket: UdpSocket,
    table: Mutex<Table>,
    /// Queries to send, in order. One sender task per socket drains it after
    /// the tasks woken by the same burst of answers have queued their next
    /// queries, so the server is woken once per burst instead of once per
    /// datagram (waking the server per query was the largest kernel cost
    /// measured, since the engine sends one query per answer received:
    /// BENCHMARKS.md, "Resolver engine").
    outbox: Mutex<Vec<Outgoing>>,
    outbox_ready: Notify,
}

impl Slot {
    fn new(socket: UdpSocket) -> Self {
        Slot {
            socket,
            table: Mutex::new(PendingTable::new(RECENT_EXPIRED)),
            outbox: Mutex::new(Vec::new()),
            outbox_ready: Notify::new(),
        }
    }

    fn outbox(&self) -> MutexGuard<'_, Vec<Outgoing>> {
        // As for the table: a queue of datagrams cannot be left half-updated.
        self.outbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a datagram for the sender task.
    fn enqueue(&self, outgoing: Outgoing) {
        let mut outbox = self.outbox();
        let was_empty = outbox.is_empty();
        outbox.push(outgoing);
        drop(outbox);
        // A non-empty queue already has a wake-up pending (Notify keeps one
        // permit when the sender is not waiting), so only the first needs one.
        if was_empty {
            self.outbox_ready.notify_one();
        }
    }

    /// Sends queued datagrams until the queue is empty, a burst per system
    /// call ([`datagrams::send`]).
    async fn send_loop(&self, counters: &Counters) {
        let mut batch = Vec::new();
        loop {
            self.outbox_ready.notified().await;
            // Let the other tasks that are ready now queue theirs first.
            tokio::task::yield_now().await;
            batch.clear();
            std::mem::swap(&mut *self.outbox(), &mut batch);
            let mut rest = batch.as_slice();
            while !rest.is_empty() {
                let sent = match self.socket.writable().await {
                    Ok(()) => self
                        .socket
                        .try_io(Interest::WRITABLE, || datagrams::send(&self.socket, rest)),
                    Err(error) => Err(error),
                };
                match sent {
                    Ok(count) if count > 0 => {
                        counters.sent_udp.fetch_add(count as u64, Ordering::Relaxed);
                        rest = rest.get(count..).unwrap_or_default();
                    }
                    // Buffer full: wait for the socket to drain.
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    // The first datagram could not be sent: fail its query
                    // (the engine retries it at once) and go on with the rest.
                    Ok(_) | Err(_) => {
                        Counters::bump(&counters.transport_errors);
                        if let Some((failed, after)) = rest.split_first() {
                            self.fail(failed.id, failed.token);
                            rest = after;
                        }
                    }
                }
            }
        }
    }

    /// Reads answers, a burst per system call ([`datagrams::receive`]),
    /// and hands each to its query.
    async fn receive_loop(&self, counters: &Counters) {
        let mut buffers = ReceiveBuffers::new();
        loop {
            let received = match self.socket.readable().await {
                Ok(()) => self.socket.try_io(Interest::READABLE, || {
                    datagrams::receive(&self.socket, &mut buffers)
                }),
                Err(error) => Err(error),
            };
            match received {
                Ok(()) => {
                    for datagram in buffers.datagrams() {
                        self.dispatch(datagram, counters);
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                // ICMP errors surface here on some systems; the query they
                // belong to will time out and be retried.
                Err(_) => Counters::bump(&counters.transport_errors),
            }
        }
    }

    /// Ends a pending query whose datagram could not be sent.
    fn fail(&self, id: u16, token: u64) {
        let taken = self.table().take(id, token);
        if let Some(pending) = taken {
            let _ = pending.tx.send(Err(TransportError::Send));
        }
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        // A panic while holding the lock cannot leave the table inconsistent
        // in a way that matters more than losing the whole engine would.
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Random ids (RFC 5452 §4.3); a few draws find a free one unless the
    /// socket is nearly full, in which case the caller tries another socket.
    fn register(
        &self,
        upstream: SocketAddr,
        spec: &QuerySpec,
    ) -> Option<(u16, u64, oneshot::Receiver<Reply>)> {
        self.table().register(
            upstream,
            spec.question.clone(),
            ID_DRAWS,
            Draw::NotOutstanding,
        )
    }

    /// Forgets a query that will not be answered (timeout or cancellation),
    /// if `id` still belongs to that registration.
    fn forget(&self, id: u16, token: u64) {
        self.table().forget(id, token);
    }

    fn dispatch(&self, datagram: Received<'_>, counters: &Counters) {
        Counters::bump(&counters.received);
        let Received { bytes, source, cut } = datagram;
        let Some(source) = source else {
            Counters::bump(&counters.unsolicited);
            return;
        };
        let Ok(header) = Header::read(&mut BinDecoder::new(bytes)) else {
            Counters::bump(&counters.unsolicited);
            return;
        };
        let id = header.metadata.id;
        let mut table = self.table();
        let Some(pending) = table.get(id) else {
            if table.was_expired(id) {
                Counters::bump(&counters.late);
            } else {
                Counters::bump(&counters.unsolicited);
            }
            return;
        };
        if pending.peer != source || !answers_query(&header, bytes, &pending.question) {
            Counters::bump(&counters.mismatched);
            return;
        }
        let Some(pending) = table.remove(id) else {
            return;
        };
        drop(table);
        if cut {
            // The query's header and question, but the rest did not fit our
            // buffer: never read as complete. Taken as TC=1, so the same
            // query goes over TCP (RFC 7766 §5), where nothing is cut.
            Counters::bump(&counters.accepted);
            let _ = pending.tx.send(Ok(Response::truncated()));
            return;
        }
        complete(bytes, &pending.question, pending.tx, counters);
    }
}

/// Removes the pending entry when the waiting future ends for any reason.
struct PendingGuard<'a> {
    slot: &'a Slot,
    id: u16,
    token: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.slot.forget(self.id, self.token);
    }
}

/// The UDP sockets of both address families.
pub(crate) struct UdpPool {
    v4: Vec<Arc<Slot>>,
    v6: Vec<Arc<Slot>>,
    next: AtomicUsize,
    /// The per-socket receiver and sender tasks.
    tasks: Vec<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Drop for UdpPool {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn bind_udp(local: SocketAddr) -> io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let domain = if local.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    // A large receive buffer keeps answers to a full window from being dropped
    // by our own kernel; the kernel caps it at net.core.rmem_max.
    let _ = socket.set_recv_buffer_size(8 << 20);
    let _ = socket.set_send_buffer_size(4 << 20);
    socket.set_nonblocking(true)?;
    // Port 0: the kernel picks a random ephemeral port (RFC 5452 §9.2).
    socket.bind(&local.into())?;
    UdpSocket::from_std(socket.into())
}

impl UdpPool {
    /// Binds `per_family` sockets for each address family the upstreams use,
    /// on loopback when every upstream of that family is on loopback.
    /// Must be called inside a tokio runtime: it spawns a receiver and a
    /// sender task per socket.
    pub fn new(
        upstreams: &[SocketAddr],
        per_family: usize,
        counters: Arc<Counters>,
    ) -> io::Result<Self> {
        let per_family = per_family.max(1);
        let mut pool = UdpPool {
            v4: Vec::new(),
            v6: Vec::new(),
            next: AtomicUsize::new(0),
            tasks: Vec::new(),
            counters,
        };
        let v4: Vec<_> = upstreams.iter().filter(|a| a.is_ipv4()).collect();
        let v6: Vec<_> = upstreams.iter().filter(|a| a.is_ipv6()).collect();
        if !v4.is_empty() {
            let local = if v4.iter().all(|a| a.ip().is_loopback()) {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            } else {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            };
            for _ in 0..per_family {
                let slot = pool.spawn_slot(SocketAddr::new(local, 0))?;
                pool.v4.push(slot);
            }
        }
        if !v6.is_empty() {
            let local = if v6.iter().all(|a| a.ip().is_loopback()) {
                IpAddr::V6(Ipv6Addr::LOCALHOST)
            } else {
                IpAddr::V6(Ipv6Addr::UNSPECIFIED)
            };
            for _ in 0..per_family {
                let slot = pool.spawn_slot(SocketAddr::new(local, 0))?;
                pool.v6.push(slot);
            }
        }
        Ok(pool)
    }

    fn spawn_slot(&mut self, local: SocketAddr) -> io::Result<Arc<Slot>> {
        let slot = Arc::new(Slot::new(bind_udp(local)?));
        let sender = Arc::clone(&slot);
        let counters = Arc::clone(&self.counters);
        self.tasks.push(tokio::spawn(async move {
            sender.send_loop(&counters).await;
        }));
        let receiver = Arc::clone(&slot);
        let counters = Arc::clone(&self.counters);
        self.tasks.push(tokio::spawn(async move {
            receiver.receive_loop(&counters).await;
        }));
        Ok(slot)
    }

    fn slots_for(&self, upstream: SocketAddr) -> &[Arc<Slot>] {
        if upstream.is_ipv4() {
            &self.v4
        } else {
            &self.v6
        }
    }

    /// One attempt over UDP, within `timeout`.
    pub async fn exchange(
        &self,
        upstream: SocketAddr,
        spec: &QuerySpec,
        timeout: Duration,
    ) -> Reply {
        let slots = self.slots_for(upstream);
        if slots.is_empty() {
            return Err(TransportError::NoRoute);
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut registered = None;
        for offset in 0..slots.len() {
            let Some(slot) = slots.get((start + offset) % slots.len()) else {
                continue;
            };
            if let Some((id, token, rx)) = slot.register(upstream, spec) {
                registered = Some((slot, id, token, rx));
                break;
            }
        }
        let Some((slot, id, token, rx)) = registered else {
            Counters::bump(&self.counters.transport_errors);
            return Err(TransportError::NoFreeId);
        };
        let guard = PendingGuard { slot, id, token };
        let bytes = encode(id, spec);
        // A send error comes back through `rx` as a transport failure.
        slot.enqueue(Outgoing {
            id,
            token,
            upstream,
            bytes,
        });
        let outcome = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(TransportError::Dropped),
            Err(_) => {
                Counters::bump(&self.counters.timeouts);
                Err(TransportError::Timeout)
            }
        };
        drop(guard);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Question, WireName};
    use hickory_proto::op::{Message, MessageType, OpCode, Query};
    use hickory_proto::rr::{Name, RecordType};

    fn datagram(bytes: &[u8], source: SocketAddr) -> Received<'_> {
        Received {
            bytes,
            source: Some(source),
            cut: false,
        }
    }

    fn spec(name: &str, qtype: RecordType) -> QuerySpec {
        QuerySpec {
            question: Question::new(&WireName::from_text(name).unwrap(), qtype),
            dnssec_ok: true,
            checking_disabled: true,
        }
    }

    /// Registers a newer query under `id` as if a random draw had hit it (one
    /// time in 65,536): its token and its reply channel.
    fn force_registration(
        slot: &Slot,
        id: u16,
        upstream: SocketAddr,
        question: &Question,
    ) -> (u64, oneshot::Receiver<Reply>) {
        slot.table().force(id, upstream, question.clone())
    }

    fn query(name: &str, qtype: RecordType) -> Query {
        Query::query(Name::from_ascii(name).unwrap(), qtype)
    }

    /// A response to a query we never sent, and bytes too short to be DNS,
    /// are counted and dropped without touching the pending table.
    #[tokio::test]
    async fn unsolicited_and_short_datagrams_are_dropped() {
        let counters = Arc::new(Counters::default());
        let slot = Slot::new(bind_udp("127.0.0.1:0".parse().unwrap()).unwrap());
        let upstream: SocketAddr = "127.0.0.1:53".parse().unwrap();
        let q = spec("a.mcdns.", RecordType::TXT);
        let (id, _, mut rx) = slot.register(upstream, &q).unwrap();
        let mut other = Message::new(id.wrapping_add(1), MessageType::Response, OpCode::Query);
        other.add_query(query("a.mcdns.", RecordType::TXT));
        slot.dispatch(datagram(&other.to_vec().unwrap(), upstream), &counters);
        slot.dispatch(datagram(&[1, 2, 3], upstream), &counters);
        // Right id, upper-case name: accepted (RFC 4343 case-insensitivity).
        let mut right = Message::new(id, MessageType::Response, OpCode::Query);
        right.add_query(query("A.MCDNS.", RecordType::TXT));
        // Same id from another address: dropped.
        slot.dispatch(
            datagram(&right.to_vec().unwrap(), "127.0.0.2:53".parse().unwrap()),
            &counters,
        );
        assert!(rx.try_recv().is_err());
        slot.dispatch(datagram(&right.to_vec().unwrap(), upstream), &counters);
        assert!(matches!(rx.try_recv(), Ok(Ok(_))));
        let snapshot = counters.snapshot(0);
        assert_eq!(snapshot.unsolicited, 2);
        assert_eq!(snapshot.mismatched, 1);
        assert_eq!(snapshot.accepted, 1);
    }

    /// A datagram that could not be sent fails its own query only: if that
    /// query was given up and a newer one drew its id meanwhile, the newer
    /// one stays pending.
    #[tokio::test]
    async fn a_failed_send_fails_only_its_own_registration() {
        let slot = Slot::new(bind_udp("127.0.0.1:0".parse().unwrap()).unwrap());
        let upstream: SocketAddr = "127.0.0.1:53".parse().unwrap();
        let q = spec("a.mcdns.", RecordType::TXT);
        let (id, old_token, _old_rx) = slot.register(upstream, &q).unwrap();
        slot.forget(id, old_token);
        let (new_token, mut newer) = force_registration(&slot, id, upstream, &q.question);
        slot.fail(id, old_token);
        assert!(
            newer.try_recv().is_err(),
            "the newer query must stay pending"
        );
        assert!(slot.table().get(id).is_some());
        slot.fail(id, new_token);
        assert!(matches!(newer.try_recv(), Ok(Err(TransportError::Send))));
    }

    /// An answered query's id is free at once; the answered query's future,
    /// dropped later, must not forget a newer query that drew the same id
    /// meanwhile (that query would fail for nothing, and its retry be spent).
    #[tokio::test]
    async fn a_finished_query_does_not_forget_a_newer_one_with_its_id() {
        let counters = Counters::default();
        let slot = Slot::new(bind_udp("127.0.0.1:0".parse().unwrap()).unwrap());
        let upstream: SocketAddr = "127.0.0.1:53".parse().unwrap();
        let q = spec("a.mcdns.", RecordType::TXT);
        let (id, token, mut rx) = slot.register(upstream, &q).unwrap();
        let guard = PendingGuard {
            slot: &slot,
            id,
            token,
        };
        let mut answer = Message::new(id, MessageType::Response, OpCode::Query);
        answer.add_query(query("a.mcdns.", RecordType::TXT));
        let answer = answer.to_vec().unwrap();
        slot.dispatch(datagram(&answer, upstream), &counters);
        assert!(matches!(rx.try_recv(), Ok(Ok(_))));
        let (_, mut newer) = force_registration(&slot, id, upstream, &q.question);
        drop(guard);
        assert!(slot.table().get(id).is_some());
        slot.dispatch(datagram(&answer, upstream), &counters);
        assert!(matches!(newer.try_recv(), Ok(Ok(_))));
        assert_eq!(counters.snapshot(0).accepted, 2);
    }
}
