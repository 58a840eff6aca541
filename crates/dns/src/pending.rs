//! The table of a socket's or a connection's outstanding queries, and how a
//! matched answer ends one.
//!
//! Each query is registered under a random id (RFC 5452 §4.3) with a token
//! naming that registration: once a query is answered its id can be drawn
//! again, and the older query's cleanup must not touch the newer one. Ids
//! given up recently are remembered, so an answer that still comes is
//! counted late rather than unsolicited. UDP sockets and TCP connections
//! both keep one such table, of the same [`Pending`] records registered the
//! same way ([`PendingTable::register`]); they differ only in the peer an
//! answer must come from and in which ids they may draw ([`Draw`]).

use std::collections::HashMap;
use std::collections::VecDeque;

use hickory_proto::serialize::binary::DecodeError;
use tokio::sync::oneshot;

use crate::stats::Counters;
use crate::wire::{Question, Response};

/// How one attempt ends.
pub(crate) type Reply = Result<Response, TransportError>;

/// Why an attempt got no usable answer. The engine decides what each means
/// for the query (retry, failure kind of the evidence).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum TransportError {
    /// No matching answer came within the attempt's timeout.
    #[error("no answer within the attempt's timeout")]
    Timeout,
    /// No socket of the upstream's address family, or no TCP pool for it.
    #[error("no socket or connection pool for this upstream")]
    NoRoute,
    /// Every id drawn was taken.
    #[error("no free query id")]
    NoFreeId,
    /// The kernel refused the datagram.
    #[error("sending the query failed")]
    Send,
    /// The TCP connection closed, broke or was presumed stuck before the
    /// answer came (RFC 7766 §6.2.4 leaves the retry to the client).
    #[error("the connection ended before the answer came")]
    Closed,
    /// The query's registration ended without a reply (its pool shut down).
    #[error("the query was dropped unanswered")]
    Dropped,
    /// The query does not fit a TCP length prefix (RFC 1035 §4.2.2).
    #[error("query too long for TCP framing")]
    TooLong,
    /// The answer matched the query but the rest does not decode.
    #[error("undecodable answer")]
    Malformed(#[source] DecodeError),
}

/// An outstanding query as a table keeps it.
pub(crate) struct Pending<Peer> {
    /// Where the query went, when the table's transport needs it to match
    /// an answer: a UDP socket talks to every upstream, so the answer must
    /// come from this address (RFC 5452 §9.1); a TCP connection has one
    /// peer, `()`.
    pub peer: Peer,
    /// The question the answer must repeat.
    pub question: Question,
    /// Which registration this is: once a query is answered its id is free
    /// again, and its waiting future must not forget a newer query that drew
    /// the same id before that future was dropped.
    pub token: u64,
    /// Where the reply goes.
    pub tx: oneshot::Sender<Reply>,
}

/// How ids are drawn for a new registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Draw {
    /// Any id no query is outstanding under (a UDP socket: a late answer to
    /// an expired id comes from the same peer with the same question only
    /// if that question was asked again).
    NotOutstanding,
    /// Neither outstanding nor recently given up (a TCP connection, where a
    /// late answer could carry the same question asked with other flags).
    Unused,
}

/// Outstanding queries by id, and the ids given up recently.
pub(crate) struct PendingTable<Peer> {
    pending: HashMap<u16, Pending<Peer>>,
    expired: VecDeque<u16>,
    /// How many given-up ids are remembered.
    capacity: usize,
    next_token: u64,
}

impl<Peer> PendingTable<Peer> {
    /// An empty table remembering the last `capacity` given-up ids.
    pub fn new(capacity: usize) -> Self {
        PendingTable {
            pending: HashMap::new(),
            expired: VecDeque::with_capacity(capacity),
            capacity,
            next_token: 0,
        }
    }

    /// Registers a query under a random id (RFC 5452 §4.3), the first of
    /// `draws` draws that `draw` allows; returns the id, the registration's
    /// token and the reply channel. `None` when every draw was taken (the
    /// table is nearly full: the caller tries elsewhere or fails the query).
    pub fn register(
        &mut self,
        peer: Peer,
        question: Question,
        draws: usize,
        draw: Draw,
    ) -> Option<(u16, u64, oneshot::Receiver<Reply>)> {
        let id = (0..draws)
            .map(|_| rand::random::<u16>())
            .find(|&id| match draw {
                Draw::NotOutstanding => !self.pending.contains_key(&id),
                Draw::Unused => self.is_free(id),
            })?;
        let (token, rx) = self.insert(id, peer, question);
        Some((id, token, rx))
    }

    /// Registers a query under `id`, replacing any there.
    fn insert(
        &mut self,
        id: u16,
        peer: Peer,
        question: Question,
    ) -> (u64, oneshot::Receiver<Reply>) {
        let token = self.next_token;
        self.next_token = token.wrapping_add(1);
        let (tx, rx) = oneshot::channel();
        let pending = Pending {
            peer,
            question,
            token,
            tx,
        };
        self.pending.insert(id, pending);
        (token, rx)
    }

    /// Registers a query under `id` whatever was there, as if a random draw
    /// had hit an id in use again (one time in 65,536): tests force an id
    /// collision with it.
    #[cfg(test)]
    pub fn force(
        &mut self,
        id: u16,
        peer: Peer,
        question: Question,
    ) -> (u64, oneshot::Receiver<Reply>) {
        self.insert(id, peer, question)
    }

    /// The query outstanding under `id`.
    pub fn get(&self, id: u16) -> Option<&Pending<Peer>> {
        self.pending.get(&id)
    }

    /// `id` is neither outstanding nor recently given up: free to draw for a
    /// connection, where a late answer could carry the same question.
    pub fn is_free(&self, id: u16) -> bool {
        !self.pending.contains_key(&id) && !self.expired.contains(&id)
    }

    /// `id` was given up recently.
    pub fn was_expired(&self, id: u16) -> bool {
        self.expired.contains(&id)
    }

    /// Removes the query outstanding under `id`, whichever registration it
    /// is (an answer matched to it).
    pub fn remove(&mut self, id: u16) -> Option<Pending<Peer>> {
        self.pending.remove(&id)
    }

    /// Removes the query registered as `token` under `id`. `None` when the
    /// id is free or now belongs to a newer registration.
    pub fn take(&mut self, id: u16, token: u64) -> Option<Pending<Peer>> {
        if self
            .pending
            .get(&id)
            .is_some_and(|entry| entry.token == token)
        {
            self.pending.remove(&id)
        } else {
            None
        }
    }

    /// Forgets a query that will not be answered (timeout or cancellation),
    /// if `id` still belongs to that registration, and remembers its id.
    pub fn forget(&mut self, id: u16, token: u64) {
        if self.take(id, token).is_some() {
            if self.expired.len() >= self.capacity {
                self.expired.pop_front();
            }
            self.expired.push_back(id);
        }
    }

    /// How many queries are outstanding.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// No query is outstanding.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Every outstanding query, leaving the table empty of them.
    pub fn drain(&mut self) -> impl Iterator<Item = Pending<Peer>> + '_ {
        self.pending.drain().map(|(_, query)| query)
    }
}

/// Hands a matched answer to its query. Its header and question were
/// checked to be the query's, so whatever follows belongs to it too: an
/// undecodable rest is this query's malformed answer.
pub(crate) fn complete(
    bytes: &[u8],
    question: &Question,
    tx: oneshot::Sender<Reply>,
    counters: &Counters,
) {
    let reply = Response::decode(bytes, question).map_err(|error| {
        Counters::bump(&counters.malformed);
        TransportError::Malformed(error)
    });
    Counters::bump(&counters.accepted);
    // The receiver may have given up meanwhile; nothing to do then.
    let _ = tx.send(reply);
}
