//! Many UDP datagrams per system call: `sendmmsg(2)` and `recvmmsg(2)` on
//! Linux, one `sendto`/`recvfrom` per datagram elsewhere.
//!
//! Why: on loopback every datagram sent wakes the server inside our system
//! call, and the scheduler then preempts us for it at the call's return.
//! One call per datagram meant about one context switch per query, and
//! switching and wake-up locking took a large share of the engine's CPU (perf;
//! figures in BENCHMARKS.md, "Resolver engine"). Handing the kernel a
//! whole burst at once lets the server wake once per burst and read it with
//! one `recvmmsg` of its own; reading answers in bursts does the same on
//! our side.
//!
//! These functions are synchronous and non-blocking: they run inside
//! tokio's `try_io`, which turns `WouldBlock` into waiting for readiness.

use std::io;
use std::net::SocketAddr;

/// Datagrams handed to the kernel per send call, at most.
pub(crate) const BATCH: usize = 64;

/// Datagrams read per receive call, at most: every call prepares a header
/// per slot (nix's `MultiHeaders`, which cannot be kept across an await),
/// and answers come a few to a few dozen at a time.
pub(crate) const RECEIVE_BATCH: usize = 32;

/// Receive buffer per datagram. We advertise an EDNS0 payload of 1,232
/// bytes and servers without EDNS0 send at most 512 (RFC 6891 §6.2.5), so
/// only a server ignoring both sends more; such a datagram is cut here and
/// reported as cut, never read as whole. Small on purpose: every buffer
/// of every socket is touched, and 64 KiB ones cost megabytes of page
/// zeroing per socket, which showed in perf profiles of the benchmark
/// (BENCHMARKS.md, "Resolver engine").
pub(crate) const MAX_DATAGRAM: usize = 4096;

/// One datagram to send.
pub(crate) trait Datagram {
    /// The bytes.
    fn payload(&self) -> &[u8];
    /// Where to.
    fn destination(&self) -> SocketAddr;
}

/// One datagram received.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received<'a> {
    /// The bytes, at most [`MAX_DATAGRAM`].
    pub bytes: &'a [u8],
    /// The sender; `None` when the kernel gave no IPv4 or IPv6 address.
    pub source: Option<SocketAddr>,
    /// The datagram was longer than [`MAX_DATAGRAM`] and `bytes` is its
    /// beginning only.
    pub cut: bool,
}

/// Where received datagrams land: `RECEIVE_BATCH` buffers of [`MAX_DATAGRAM`] bytes,
/// allocated once per socket, and the length, source and cut flag of each
/// datagram of the last call.
pub(crate) struct ReceiveBuffers {
    bytes: Vec<u8>,
    received: Vec<(usize, Option<SocketAddr>, bool)>,
}

impl ReceiveBuffers {
    pub(crate) fn new() -> Self {
        ReceiveBuffers {
            bytes: vec![0; RECEIVE_BATCH * MAX_DATAGRAM],
            received: Vec::with_capacity(RECEIVE_BATCH),
        }
    }

    /// The datagrams of the last receive, in arrival order.
    pub(crate) fn datagrams(&self) -> impl Iterator<Item = Received<'_>> {
        self.bytes
            .chunks(MAX_DATAGRAM)
            .zip(&self.received)
            .map(|(buffer, &(len, source, cut))| Received {
                bytes: buffer.get(..len).unwrap_or(buffer),
                source,
                cut,
            })
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::net::SocketAddr;
    use std::os::fd::AsRawFd;

    use nix::sys::socket::{
        ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg,
    };
    use tokio::net::UdpSocket;

    use super::{BATCH, Datagram, MAX_DATAGRAM, ReceiveBuffers};

    pub(crate) fn send<D: Datagram>(socket: &UdpSocket, datagrams: &[D]) -> io::Result<usize> {
        let chunk = datagrams
            .get(..datagrams.len().min(BATCH))
            .unwrap_or_default();
        let slices: Vec<[IoSlice<'_>; 1]> = chunk
            .iter()
            .map(|datagram| [IoSlice::new(datagram.payload())])
            .collect();
        let destinations: Vec<Option<SockaddrStorage>> = chunk
            .iter()
            .map(|datagram| Some(SockaddrStorage::from(datagram.destination())))
            .collect();
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(chunk.len(), None);
        let no_control: [ControlMessage<'_>; 0] = [];
        // The kernel reports how many went; an error on the first datagram
        // is the call's error, an error on a later one ends the batch there
        // (sendmmsg(2)) and shows again, alone, on the next call.
        let results = sendmmsg(
            socket.as_raw_fd(),
            &mut headers,
            &slices,
            &destinations,
            no_control,
            MsgFlags::MSG_DONTWAIT,
        )?;
        Ok(results.count())
    }

    pub(crate) fn receive(socket: &UdpSocket, buffers: &mut ReceiveBuffers) -> io::Result<()> {
        buffers.received.clear();
        let mut slices: Vec<[IoSliceMut<'_>; 1]> = buffers
            .bytes
            .chunks_mut(MAX_DATAGRAM)
            .map(|buffer| [IoSliceMut::new(buffer)])
            .collect();
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(slices.len(), None);
        let results = recvmmsg(
            socket.as_raw_fd(),
            &mut headers,
            slices.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        )?;
        for message in results {
            let source = message.address.and_then(|address| socket_addr(&address));
            let cut = message.flags.contains(MsgFlags::MSG_TRUNC);
            buffers.received.push((message.bytes, source, cut));
        }
        Ok(())
    }

    fn socket_addr(address: &SockaddrStorage) -> Option<SocketAddr> {
        if let Some(v4) = address.as_sockaddr_in() {
            return Some(SocketAddr::V4((*v4).into()));
        }
        if let Some(v6) = address.as_sockaddr_in6() {
            return Some(SocketAddr::V6((*v6).into()));
        }
        // An address of another family cannot be an upstream's.
        None
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    use std::io;

    use tokio::net::UdpSocket;

    use super::{Datagram, ReceiveBuffers};

    pub(crate) fn send<D: Datagram>(socket: &UdpSocket, datagrams: &[D]) -> io::Result<usize> {
        match datagrams.first() {
            Some(datagram) => socket
                .try_send_to(datagram.payload(), datagram.destination())
                .map(|_| 1),
            None => Ok(0),
        }
    }

    pub(crate) fn receive(socket: &UdpSocket, buffers: &mut ReceiveBuffers) -> io::Result<()> {
        buffers.received.clear();
        let first = buffers
            .bytes
            .get_mut(..super::MAX_DATAGRAM)
            .unwrap_or_default();
        // Without the flags of recvmsg a cut cannot be seen; one byte more
        // than a buffer holds would be needed to tell, so a full buffer is
        // taken as cut.
        let (len, source) = socket.try_recv_from(first)?;
        buffers
            .received
            .push((len, Some(source), len == super::MAX_DATAGRAM));
        Ok(())
    }
}

/// Sends the first datagrams of `datagrams` (at most [`BATCH`]) in one
/// call and returns how many went: at least one, unless the first failed,
/// which is the error. `WouldBlock` when the socket's buffer is full.
pub(crate) fn send<D: Datagram>(
    socket: &tokio::net::UdpSocket,
    datagrams: &[D],
) -> io::Result<usize> {
    imp::send(socket, datagrams)
}

/// Reads the datagrams waiting on the socket (at most [`RECEIVE_BATCH`]) into
/// `buffers`. `WouldBlock` when none is waiting.
pub(crate) fn receive(
    socket: &tokio::net::UdpSocket,
    buffers: &mut ReceiveBuffers,
) -> io::Result<()> {
    imp::receive(socket, buffers)
}
