//! The error type of the testbed crate.

use std::path::PathBuf;

/// Everything that can go wrong while generating a universe or running the
/// loopback servers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestbedError {
    /// `knotd`, `unbound` or an ldns tool is not installed.
    #[error(
        "`{name}` not found (searched PATH, /usr/sbin, /usr/local/sbin, /sbin): \
         run scripts/install-deps.sh to install knot, knot-dnsutils, unbound, dnsperf and ldnsutils"
    )]
    BinaryMissing {
        /// The program that was looked for.
        name: String,
    },
    /// A file or process operation failed. The message names the operation
    /// only; the I/O error is the `source()`, so callers print the chain.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A server process exited or never answered its readiness query.
    #[error(
        "{server} did not become ready on {addr}: {reason}\n--- {server} stderr (tail) ---\n{stderr_tail}"
    )]
    NotReady {
        /// `knotd` or `unbound`.
        server: &'static str,
        /// The address it was told to listen on.
        addr: String,
        /// Why we gave up.
        reason: String,
        /// The last lines the server wrote to stderr.
        stderr_tail: String,
    },
    /// An external tool (ldns-keygen, ldns-signzone…) failed.
    #[error("`{command}` failed: {message}")]
    Command {
        /// The command line that was run.
        command: String,
        /// Its exit status and stderr.
        message: String,
    },
    /// A caller-supplied value cannot be used (bad zone name, empty zone list…).
    #[error("invalid testbed input: {0}")]
    Invalid(String),
    /// A file the testbed needs could not be parsed.
    #[error("cannot parse {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl TestbedError {
    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        TestbedError::Io {
            context: context.into(),
            source,
        }
    }
}
