//! One attempt of one query: UDP from the socket pool of [`crate::udp`], and
//! TCP when the answer is truncated, through the pooled, pipelined
//! connections of [`crate::tcp`] (RFC 7766 §5).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use crate::pending::{Reply, TransportError};
use crate::stats::Counters;
use crate::tcp::TcpPool;
use crate::udp::UdpPool;
use crate::wire::QuerySpec;

/// The UDP socket pool and the TCP fallback.
pub(crate) struct Transport {
    udp: UdpPool,
    /// Connections for truncated answers, opened on first need.
    tcp: TcpPool,
    counters: Arc<Counters>,
}

impl Transport {
    /// Binds `per_family` UDP sockets for each address family the upstreams
    /// use (see [`UdpPool::new`]); no TCP connection is opened before a
    /// truncated answer needs one. Must be called inside a tokio runtime.
    pub fn new(
        upstreams: &[SocketAddr],
        per_family: usize,
        counters: Arc<Counters>,
    ) -> io::Result<Self> {
        Ok(Transport {
            udp: UdpPool::new(upstreams, per_family, Arc::clone(&counters))?,
            tcp: TcpPool::new(upstreams, &counters),
            counters,
        })
    }

    /// One attempt: UDP, then TCP when the answer is truncated (RFC 7766 §5).
    pub async fn exchange(
        &self,
        upstream: SocketAddr,
        spec: &QuerySpec,
        timeout: Duration,
    ) -> Reply {
        let reply = self.udp.exchange(upstream, spec, timeout).await?;
        if reply.truncation {
            Counters::bump(&self.counters.truncated);
            // Boxed: the TCP state machine is large and rarely needed; inline
            // it would be copied with every query's future.
            return Box::pin(self.tcp.exchange(upstream, spec, timeout)).await;
        }
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Question, WireName};
    use hickory_proto::rr::RecordType;

    fn spec(name: &str, qtype: RecordType) -> QuerySpec {
        QuerySpec {
            question: Question::new(&WireName::from_text(name).unwrap(), qtype),
            dnssec_ok: true,
            checking_disabled: true,
        }
    }

    /// A datagram the kernel refuses to send (port 0 is not a destination)
    /// ends its query as a transport failure through the sender task, not
    /// as a timeout, so the engine retries it at once.
    #[tokio::test]
    async fn a_send_error_fails_the_query_without_waiting_for_the_timeout() {
        let counters = Arc::new(Counters::default());
        let upstream: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let transport = Transport::new(&[upstream], 1, Arc::clone(&counters)).unwrap();
        let reply = transport
            .exchange(
                upstream,
                &spec("a.mcdns.", RecordType::TXT),
                Duration::from_secs(60),
            )
            .await;
        assert!(matches!(reply, Err(TransportError::Send)));
        let snapshot = counters.snapshot(0);
        assert_eq!(snapshot.transport_errors, 1);
        assert_eq!(snapshot.sent_udp, 0);
        assert_eq!(snapshot.timeouts, 0);
    }
}
