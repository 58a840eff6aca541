//! The engine's setup errors.

/// Errors of the engine's setup (queries themselves never error: they end in
/// an [`mailcensus_posture::Outcome`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// No upstream resolver was configured or found.
    #[error("no upstream resolver configured")]
    NoResolvers,
    /// A setting is out of range.
    #[error("invalid engine setting: {0}")]
    InvalidConfig(String),
    /// A `--probes` item is not a probe name.
    #[error(
        "unknown probe {0:?} (expected mx, spf, dmarc, dnssec, bimi, mta-sts, tlsrpt, dkim, dane or all)"
    )]
    UnknownProbe(String),
    /// A socket could not be created or bound.
    #[error("socket setup failed")]
    Socket(#[from] std::io::Error),
    /// `/etc/resolv.conf` could not be read.
    #[error("reading {path}")]
    ReadResolvConf {
        /// The file.
        path: String,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// `/etc/resolv.conf` lists no usable nameserver.
    #[error("no nameserver found in {0}")]
    NoSystemResolvers(String),
}
