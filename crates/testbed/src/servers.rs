//! Knot DNS (authoritative) and Unbound (validating resolver) on loopback.
//!
//! Each [`KnotServer`] / [`UnboundServer`] is a child process with its own
//! configuration, pid file, control socket and databases under a caller-given
//! work directory, listening on `127.0.0.1` and a free high port. Instances are
//! fully independent, so tests may start many of them in parallel threads and
//! processes. Dropping a server kills its process by PID.
//!
//! Start-up is checked with real DNS queries: the server must answer
//! `id.server. CH TXT` with a random identity written into its configuration
//! (which proves the port belongs to *this* instance, not to a server another
//! test started on the same port a moment earlier), over UDP and TCP, and Knot
//! must answer `SOA` authoritatively for every zone it was given.
//!
//! The Unbound configuration follows the facts in DESIGN.md ("Testing ground"):
//! every zone, `.` included, is a stub zone pointing at Knot, so the resolver never
//! contacts a root server or anything outside 127.0.0.0/8; `do-ip6: no`,
//! `outgoing-interface: 127.0.0.1`, `do-not-query-localhost: no`,
//! `qname-minimisation: no`, `stub-no-cache: yes`, `ede: yes` (RFC 8914 Extended
//! DNS Errors, which Unbound 1.17 sends only when asked), larger caches, validation on
//! with the given trust anchors. These are the only configurations: the
//! detached testbed behind `scripts/testbed.sh` ([`crate::detached`]) starts
//! the same servers.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::TestbedError;

/// How many times a start is retried on a new port when the one picked was taken
/// between the probe and the server's bind.
const PORT_ATTEMPTS: usize = 8;

/// One zone for Knot to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSpec {
    /// The zone apex, with or without the trailing dot (`mctest`, `example.mctest.`).
    pub name: String,
    /// The zone file (master-file format, RFC 1035 §5).
    pub file: PathBuf,
}

impl ZoneSpec {
    /// A zone spec from its apex and file.
    pub fn new(name: impl Into<String>, file: impl Into<PathBuf>) -> Self {
        ZoneSpec {
            name: name.into(),
            file: file.into(),
        }
    }

    /// The zones of `dir/zones.list`: one `name file` per line, the file
    /// relative to `dir` unless absolute; blank lines and `#` comments are
    /// skipped (the format `universe::generate` writes).
    pub fn read_list(dir: &Path) -> Result<Vec<ZoneSpec>, TestbedError> {
        let path = dir.join("zones.list");
        let text = fs::read_to_string(&path)
            .map_err(|e| TestbedError::io(format!("read {}", path.display()), e))?;
        let mut zones = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let mut words = line.split_whitespace();
            let Some(name) = words.next().filter(|w| !w.starts_with('#')) else {
                continue;
            };
            let Some(file) = words.next() else {
                return Err(TestbedError::Parse {
                    path: path.clone(),
                    message: format!("line {}: zone {name} names no file", n + 1),
                });
            };
            zones.push(ZoneSpec::new(name, dir.join(file)));
        }
        Ok(zones)
    }
}

/// The trust anchors of `dir/trust-anchors` (DS or DNSKEY RRs in zone-file
/// syntax, one a line); none when the file is missing.
pub fn read_trust_anchors(dir: &Path) -> Result<Vec<String>, TestbedError> {
    let path = dir.join("trust-anchors");
    match fs::read_to_string(&path) {
        Ok(text) => Ok(text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(TestbedError::io(format!("read {}", path.display()), e)),
    }
}

/// The stub zones that keep a resolver on the testbed: the top label (TLD) of
/// every zone, sorted and once each (`.` is always stubbed besides).
pub fn top_labels(zones: &[ZoneSpec]) -> Vec<String> {
    let mut tops: Vec<String> = zones
        .iter()
        .map(|z| {
            fqdn(
                z.name
                    .trim_end_matches('.')
                    .rsplit('.')
                    .next()
                    .unwrap_or(""),
            )
        })
        .collect();
    tops.sort();
    tops.dedup();
    tops
}

/// The methods both server handles share, over their `process`.
macro_rules! server_handle {
    ($server:ident, $program:literal) => {
        impl $server {
            #[doc = concat!("The process id of `", $program, "`.")]
            pub fn pid(&self) -> u32 {
                self.process.pid()
            }

            /// Leaves the server running when this handle is dropped;
            /// returns its process id, by which it must then be stopped.
            pub fn detach(mut self) -> u32 {
                self.process.detach()
            }

            /// Kills the server now (as drop does); a later `restart`
            /// brings it back on the same address.
            pub fn stop(&mut self) {
                self.process.kill();
            }

            #[doc = concat!("The last lines `", $program, "` wrote to stderr (for test failure messages; Unbound logs validation failures there with `val-log-level: 2`).")]
            pub fn stderr_tail(&self) -> String {
                self.process.stderr_tail()
            }
        }
    };
}

/// Tuning of a Knot instance; [`KnotOptions::default`] suits tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnotOptions {
    /// `server.udp-workers` (Knot's default: one per CPU).
    pub udp_workers: usize,
    /// `server.tcp-workers`.
    pub tcp_workers: usize,
    /// `server.background-workers` (zone loading).
    pub background_workers: usize,
    /// How long to wait for the server and all its zones to answer.
    pub ready_timeout: Duration,
    /// Listen on this port instead of a free one picked at random (one
    /// attempt: a taken port is an error).
    pub port: Option<u16>,
    /// Start in a process group of its own, so that a signal to the
    /// caller's group (Ctrl-C in its terminal) does not reach the server:
    /// for a server that is [`detached`](KnotServer::detach) and outlives
    /// its caller.
    pub own_process_group: bool,
}

impl Default for KnotOptions {
    fn default() -> Self {
        KnotOptions {
            udp_workers: 2,
            tcp_workers: 2,
            background_workers: 2,
            ready_timeout: Duration::from_secs(120),
            port: None,
            own_process_group: false,
        }
    }
}

/// A running `knotd`, killed on drop.
#[derive(Debug)]
pub struct KnotServer {
    /// Where it listens (UDP and TCP), always on 127.0.0.1.
    pub addr: SocketAddr,
    process: ServerProcess,
    zones: Vec<ZoneSpec>,
    work_dir: PathBuf,
    options: KnotOptions,
}

impl KnotServer {
    /// Starts Knot serving `zones` with default [`KnotOptions`].
    ///
    /// Its files live in `work_dir` (created if missing); use a distinct directory
    /// per instance.
    pub fn start(zones: &[ZoneSpec], work_dir: &Path) -> Result<Self, TestbedError> {
        Self::start_with(zones, work_dir, &KnotOptions::default())
    }

    /// Starts Knot serving `zones` with the given options.
    pub fn start_with(
        zones: &[ZoneSpec],
        work_dir: &Path,
        options: &KnotOptions,
    ) -> Result<Self, TestbedError> {
        if zones.is_empty() {
            return Err(TestbedError::Invalid("Knot needs at least one zone".into()));
        }
        let knotd = require_binary("knotd")?;
        let work_dir = prepare_dir(work_dir)?;
        let zones = zones
            .iter()
            .map(|z| {
                let file = absolute(&z.file)?;
                if !file.is_file() {
                    return Err(TestbedError::Invalid(format!(
                        "zone file {} of {} does not exist",
                        file.display(),
                        z.name
                    )));
                }
                Ok(ZoneSpec {
                    name: fqdn(&z.name),
                    file,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (port, process) = launch_on_port(options.port, |port| {
            Self::launch(&knotd, &zones, &work_dir, port, options)
        })?;
        Ok(KnotServer {
            addr: loopback(port),
            process,
            zones,
            work_dir,
            options: options.clone(),
        })
    }

    fn launch(
        knotd: &Path,
        zones: &[ZoneSpec],
        work_dir: &Path,
        port: u16,
        options: &KnotOptions,
    ) -> Result<ServerProcess, Launch> {
        let identity = new_identity("knot");
        let conf = knot_config(zones, work_dir, port, &identity, options);
        let conf_path = work_dir.join("knot.conf");
        write_file(&conf_path, &conf).map_err(Launch::Fatal)?;
        for sub in ["db", "run"] {
            fs::create_dir_all(work_dir.join(sub))
                .map_err(|e| Launch::Fatal(TestbedError::io(format!("mkdir {sub}"), e)))?;
        }
        let mut cmd = Command::new(knotd);
        cmd.arg("-c").arg(&conf_path);
        if options.own_process_group {
            cmd.process_group(0);
        }
        let mut process = ServerProcess::spawn("knotd", cmd, work_dir, loopback(port))?;
        let deadline = Instant::now() + options.ready_timeout;
        process.wait_identity(&identity, deadline, false)?;
        for zone in zones {
            process.wait_soa(&zone.name, deadline)?;
        }
        Ok(process)
    }

    /// Kills the server if it runs, then starts it again on the same address with
    /// the same zones (for tests of an upstream that dies and comes back).
    pub fn restart(&mut self) -> Result<(), TestbedError> {
        self.process.kill();
        let knotd = require_binary("knotd")?;
        self.process = relaunch_on(self.addr.port(), |port| {
            Self::launch(&knotd, &self.zones, &self.work_dir, port, &self.options)
        })?;
        Ok(())
    }

    /// The zones it serves (apexes with trailing dot, absolute files).
    pub fn zones(&self) -> &[ZoneSpec] {
        &self.zones
    }
}

server_handle!(KnotServer, "knotd");

/// The Knot configuration for `zones` on `127.0.0.1@port`; paths absolute.
pub fn knot_config(
    zones: &[ZoneSpec],
    work_dir: &Path,
    port: u16,
    identity: &str,
    options: &KnotOptions,
) -> String {
    let w = work_dir.display();
    let mut c = format!(
        r#"# Generated by mailcensus-testbed; one private instance.
server:
    identity: "{identity}"
    rundir: "{w}/run"
    pidfile: "{w}/knot.pid"
    listen: 127.0.0.1@{port}
    udp-workers: {udp}
    tcp-workers: {tcp}
    background-workers: {bg}

database:
    storage: "{w}/db"

control:
    listen: "{w}/run/knot.sock"

log:
  - target: stderr
    any: warning

template:
  - id: default
    # Pre-signed static files: never re-sign, never write back, no journal.
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off

zone:
"#,
        udp = options.udp_workers.max(1),
        tcp = options.tcp_workers.max(1),
        bg = options.background_workers.max(1),
    );
    for z in zones {
        c.push_str(&format!(
            "  - domain: \"{}\"\n    file: \"{}\"\n",
            fqdn(&z.name),
            z.file.display()
        ));
    }
    c
}

/// Configuration of an Unbound instance.
///
/// Build it with [`UnboundOptions::new`] and adjust fields; the struct is left
/// open so that tests can use struct-update syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnboundOptions {
    /// The Knot server every stub zone points at.
    pub upstream: SocketAddr,
    /// Zones to stub to `upstream` (`.` is always added).
    pub stub_zones: Vec<String>,
    /// Trust anchors as DS or DNSKEY RR text (one RR each, zone-file syntax).
    /// Validation is always on; with no anchor every answer is `insecure`.
    pub trust_anchors: Vec<String>,
    /// `num-threads`.
    pub threads: usize,
    /// `msg-cache-size` in MB (Unbound's default of 4 MB is far too small for a
    /// large universe).
    pub msg_cache_mb: usize,
    /// `rrset-cache-size` in MB.
    pub rrset_cache_mb: usize,
    /// `key-cache-size` in MB.
    pub key_cache_mb: usize,
    /// `num-queries-per-thread`.
    pub queries_per_thread: usize,
    /// `outgoing-range` (sockets per thread for upstream queries).
    pub outgoing_range: usize,
    /// `val-log-level` (2 logs why a validation failed).
    pub val_log_level: u8,
    /// `verbosity`.
    pub verbosity: u8,
    /// `stub-no-cache` on every stub (DESIGN.md: without it Unbound may cache a
    /// child's NS and then query it on port 53).
    pub stub_no_cache: bool,
    /// Extra raw lines for the `server:` clause (e.g. `"serve-expired: yes"`).
    pub extra_server_lines: Vec<String>,
    /// How long to wait for the resolver to answer.
    pub ready_timeout: Duration,
    /// Listen on this port instead of a free one picked at random.
    pub port: Option<u16>,
    /// Start in a process group of its own (see [`KnotOptions::own_process_group`]).
    pub own_process_group: bool,
}

impl UnboundOptions {
    /// Defaults for a resolver in front of `upstream`.
    pub fn new(upstream: SocketAddr) -> Self {
        UnboundOptions {
            upstream,
            stub_zones: Vec::new(),
            trust_anchors: Vec::new(),
            threads: 1,
            msg_cache_mb: 64,
            rrset_cache_mb: 128,
            key_cache_mb: 16,
            queries_per_thread: 4096,
            outgoing_range: 8192,
            val_log_level: 2,
            verbosity: 1,
            stub_no_cache: true,
            extra_server_lines: Vec::new(),
            ready_timeout: Duration::from_secs(60),
            port: None,
            own_process_group: false,
        }
    }
}

/// A running `unbound`, killed on drop.
#[derive(Debug)]
pub struct UnboundServer {
    /// Where it listens (UDP and TCP), always on 127.0.0.1.
    pub addr: SocketAddr,
    process: ServerProcess,
    options: UnboundOptions,
    work_dir: PathBuf,
}

impl UnboundServer {
    /// Starts Unbound per `opts`, its files in `work_dir` (created if missing).
    pub fn start(opts: &UnboundOptions, work_dir: &Path) -> Result<Self, TestbedError> {
        if !opts.upstream.ip().is_loopback() {
            return Err(TestbedError::Invalid(format!(
                "upstream {} is not on loopback; the testbed never leaves 127.0.0.0/8",
                opts.upstream
            )));
        }
        let unbound = require_binary("unbound")?;
        let work_dir = prepare_dir(work_dir)?;
        let (port, process) = launch_on_port(opts.port, |port| {
            Self::launch(&unbound, opts, &work_dir, port)
        })?;
        Ok(UnboundServer {
            addr: loopback(port),
            process,
            options: opts.clone(),
            work_dir,
        })
    }

    fn launch(
        unbound: &Path,
        opts: &UnboundOptions,
        work_dir: &Path,
        port: u16,
    ) -> Result<ServerProcess, Launch> {
        let identity = new_identity("unbound");
        let anchors_path = work_dir.join("trust-anchors");
        let mut anchors = String::new();
        for ta in &opts.trust_anchors {
            anchors.push_str(ta.trim());
            anchors.push('\n');
        }
        write_file(&anchors_path, &anchors).map_err(Launch::Fatal)?;
        let conf = unbound_config(
            opts,
            work_dir,
            port,
            &identity,
            (!opts.trust_anchors.is_empty()).then_some(anchors_path.as_path()),
        );
        let conf_path = work_dir.join("unbound.conf");
        write_file(&conf_path, &conf).map_err(Launch::Fatal)?;
        let mut cmd = Command::new(unbound);
        cmd.arg("-d").arg("-c").arg(&conf_path);
        if opts.own_process_group {
            cmd.process_group(0);
        }
        let mut process = ServerProcess::spawn("unbound", cmd, work_dir, loopback(port))?;
        let deadline = Instant::now() + opts.ready_timeout;
        process.wait_identity(&identity, deadline, true)?;
        Ok(process)
    }

    /// Kills the resolver if it runs and starts it again, cold, on the same address.
    pub fn restart(&mut self) -> Result<(), TestbedError> {
        self.process.kill();
        let unbound = require_binary("unbound")?;
        self.process = relaunch_on(self.addr.port(), |port| {
            Self::launch(&unbound, &self.options, &self.work_dir, port)
        })?;
        Ok(())
    }
}

server_handle!(UnboundServer, "unbound");

/// The Unbound configuration per `opts` on `127.0.0.1@port`.
///
/// `anchors_file` holds the trust anchors (zone-file syntax), if any.
pub fn unbound_config(
    opts: &UnboundOptions,
    work_dir: &Path,
    port: u16,
    identity: &str,
    anchors_file: Option<&Path>,
) -> String {
    let w = work_dir.display();
    let mut c = format!(
        r#"# Generated by mailcensus-testbed; one private instance.
server:
    username: ""
    chroot: ""
    directory: "{w}"
    pidfile: "{w}/unbound.pid"
    use-syslog: no
    logfile: ""
    log-servfail: yes
    verbosity: {verbosity}
    val-log-level: {val_log}
    interface: 127.0.0.1
    port: {port}
    so-reuseport: no
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    access-control: 127.0.0.0/8 allow
    outgoing-interface: 127.0.0.1
    do-not-query-localhost: no
    qname-minimisation: no
    module-config: "validator iterator"
    ede: yes
    identity: "{identity}"
    hide-identity: no
    num-threads: {threads}
    msg-cache-size: {msg}m
    rrset-cache-size: {rrset}m
    key-cache-size: {key}m
    num-queries-per-thread: {qpt}
    outgoing-range: {range}
"#,
        verbosity = opts.verbosity,
        val_log = opts.val_log_level,
        threads = opts.threads.max(1),
        msg = opts.msg_cache_mb.max(1),
        rrset = opts.rrset_cache_mb.max(1),
        key = opts.key_cache_mb.max(1),
        qpt = opts.queries_per_thread.max(1),
        range = opts.outgoing_range.max(1),
    );
    if let Some(file) = anchors_file {
        c.push_str(&format!("    trust-anchor-file: \"{}\"\n", file.display()));
    }
    for line in &opts.extra_server_lines {
        c.push_str("    ");
        c.push_str(line.trim());
        c.push('\n');
    }
    c.push_str("\nremote-control:\n    control-enable: no\n");
    let mut stubs: Vec<String> = vec![".".to_owned()];
    for z in &opts.stub_zones {
        let z = fqdn(z);
        if !stubs.contains(&z) {
            stubs.push(z);
        }
    }
    let upstream = format!("{}@{}", opts.upstream.ip(), opts.upstream.port());
    for z in stubs {
        c.push_str(&format!(
            "\nstub-zone:\n    name: \"{z}\"\n    stub-addr: {upstream}\n    stub-no-cache: {}\n",
            if opts.stub_no_cache { "yes" } else { "no" }
        ));
    }
    c
}

/// Whether `knotd` and `unbound` are installed.
pub fn binaries_available() -> bool {
    find_binary("knotd").is_some() && find_binary("unbound").is_some()
}

/// Finds a program on PATH or in the sbin directories (which a non-login root
/// shell or `cargo test` environment may lack on PATH).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for extra in ["/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/bin"] {
        dirs.push(PathBuf::from(extra));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// [`find_binary`], or an error telling to run `scripts/install-deps.sh`.
pub fn require_binary(name: &str) -> Result<PathBuf, TestbedError> {
    find_binary(name).ok_or_else(|| TestbedError::BinaryMissing { name: name.into() })
}

/// Why one launch attempt failed: a port race (retry elsewhere) or anything else.
enum Launch {
    PortTaken(TestbedError),
    Fatal(TestbedError),
}

impl From<TestbedError> for Launch {
    fn from(e: TestbedError) -> Self {
        Launch::Fatal(e)
    }
}

/// Launches on `fixed` if given (once), else on fresh ports until one holds:
/// another process may take a port between [`free_port`] choosing it and the
/// server binding it.
fn launch_on_port(
    fixed: Option<u16>,
    mut launch: impl FnMut(u16) -> Result<ServerProcess, Launch>,
) -> Result<(u16, ServerProcess), TestbedError> {
    if let Some(port) = fixed {
        return match launch(port) {
            Ok(process) => Ok((port, process)),
            Err(Launch::PortTaken(e) | Launch::Fatal(e)) => Err(e),
        };
    }
    let mut last_error = None;
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port()?;
        match launch(port) {
            Ok(process) => return Ok((port, process)),
            Err(Launch::PortTaken(e)) => last_error = Some(e),
            Err(Launch::Fatal(e)) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| TestbedError::Invalid("no port attempt made".into())))
}

/// Launches again on `port` (a restart keeps its address). The port was the
/// server's a moment ago; a short retry covers the kernel releasing it.
fn relaunch_on(
    port: u16,
    mut launch: impl FnMut(u16) -> Result<ServerProcess, Launch>,
) -> Result<ServerProcess, TestbedError> {
    let mut last = None;
    for _ in 0..20 {
        match launch(port) {
            Ok(process) => return Ok(process),
            Err(Launch::PortTaken(e)) => {
                last = Some(e);
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(Launch::Fatal(e)) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| TestbedError::Invalid("restart not attempted".into())))
}

/// A server child process with its output captured in files.
#[derive(Debug)]
struct ServerProcess {
    name: &'static str,
    child: Option<Child>,
    pid: u32,
    addr: SocketAddr,
    stderr_path: PathBuf,
}

impl ServerProcess {
    fn spawn(
        name: &'static str,
        mut cmd: Command,
        work_dir: &Path,
        addr: SocketAddr,
    ) -> Result<Self, Launch> {
        let stderr_path = work_dir.join(format!("{name}.stderr"));
        let stdout_path = work_dir.join(format!("{name}.stdout"));
        let stderr = fs::File::create(&stderr_path)
            .map_err(|e| Launch::Fatal(TestbedError::io("create stderr file", e)))?;
        let stdout = fs::File::create(&stdout_path)
            .map_err(|e| Launch::Fatal(TestbedError::io("create stdout file", e)))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| Launch::Fatal(TestbedError::io(format!("spawn {name}"), e)))?;
        Ok(ServerProcess {
            name,
            pid: child.id(),
            child: Some(child),
            addr,
            stderr_path,
        })
    }

    fn pid(&self) -> u32 {
        self.pid
    }

    /// Lets go of the child: neither this handle nor its drop will kill it.
    fn detach(&mut self) -> u32 {
        self.child = None;
        self.pid
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGKILL: the instance's files are private and static, nothing to flush.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn stderr_tail(&self) -> String {
        let text = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(25);
        lines[start..].join("\n")
    }

    fn not_ready(&self, reason: impl Into<String>) -> TestbedError {
        TestbedError::NotReady {
            server: self.name,
            addr: self.addr.to_string(),
            reason: reason.into(),
            stderr_tail: self.stderr_tail(),
        }
    }

    /// Classifies an early exit: a bind failure means another process won the race
    /// for the port.
    fn exited(&mut self) -> Option<Launch> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => {
                self.child = None;
                let tail = self.stderr_tail();
                let err = self.not_ready(format!("exited with {status}"));
                if looks_like_bind_failure(&tail) {
                    Some(Launch::PortTaken(err))
                } else {
                    Some(Launch::Fatal(err))
                }
            }
            Ok(None) => None,
            Err(e) => Some(Launch::Fatal(TestbedError::io("wait for server", e))),
        }
    }

    /// Waits until the server answers `id.server. CH TXT` with `identity` over UDP
    /// and then over TCP.
    fn wait_identity(&mut self, identity: &str, deadline: Instant, rd: bool) -> Result<(), Launch> {
        let query = encode_query(next_id(), "id.server.", TYPE_TXT, CLASS_CH, rd);
        let mut foreign_answers = 0usize;
        loop {
            if let Some(l) = self.exited() {
                return Err(l);
            }
            match udp_exchange(self.addr, &query, Duration::from_millis(200)) {
                Ok(resp) if contains(&resp, identity.as_bytes()) => break,
                Ok(_) => {
                    // Someone else's server on our port: a lost race.
                    foreign_answers += 1;
                    if foreign_answers >= 3 {
                        self.kill();
                        return Err(Launch::PortTaken(
                            self.not_ready("another server answers on this port"),
                        ));
                    }
                }
                Err(_) => {}
            }
            if Instant::now() >= deadline {
                let tail = self.stderr_tail();
                self.kill();
                let err = self.not_ready("no answer to id.server. CH TXT before the deadline");
                return Err(if looks_like_bind_failure(&tail) {
                    Launch::PortTaken(err)
                } else {
                    Launch::Fatal(err)
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        loop {
            match tcp_exchange(self.addr, &query, Duration::from_millis(500)) {
                Ok(resp) if contains(&resp, identity.as_bytes()) => return Ok(()),
                Ok(_) => {
                    self.kill();
                    return Err(Launch::PortTaken(
                        self.not_ready("another server answers TCP on this port"),
                    ));
                }
                Err(e) => {
                    if Instant::now() >= deadline {
                        self.kill();
                        return Err(Launch::PortTaken(
                            self.not_ready(format!("no TCP answer: {e}")),
                        ));
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until Knot answers `SOA <zone>` authoritatively (zones load in the
    /// background after the server starts answering).
    fn wait_soa(&mut self, zone: &str, deadline: Instant) -> Result<(), Launch> {
        let query = encode_query(next_id(), zone, TYPE_SOA, CLASS_IN, false);
        loop {
            if let Some(l) = self.exited() {
                return Err(l);
            }
            let last = match udp_exchange(self.addr, &query, Duration::from_millis(300)) {
                Ok(resp) => {
                    let rcode = resp.get(3).map_or(99, |b| b & 0x0f);
                    let aa = resp.get(2).is_some_and(|b| b & 0x04 != 0);
                    let ancount = resp
                        .get(6..8)
                        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                    if rcode == 0 && aa && ancount >= 1 {
                        return Ok(());
                    }
                    format!("rcode {rcode}, aa {aa}, ancount {ancount}")
                }
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                self.kill();
                return Err(Launch::Fatal(self.not_ready(format!(
                    "zone {zone} not loaded before the deadline (last SOA answer: {last})"
                ))));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn looks_like_bind_failure(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    s.contains("address already in use")
        || s.contains("failed to bind")
        || s.contains("cannot bind")
        || s.contains("can't bind")
}

const TYPE_TXT: u16 = 16;
const TYPE_SOA: u16 = 6;
const CLASS_IN: u16 = 1;
const CLASS_CH: u16 = 3;

fn next_id() -> u16 {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    (n as u16) ^ (std::process::id() as u16)
}

/// A minimal query message (RFC 1035 §4.1), enough for readiness checks.
fn encode_query(id: u16, name: &str, qtype: u16, qclass: u16, rd: bool) -> Vec<u8> {
    let mut m = Vec::with_capacity(64);
    m.extend_from_slice(&id.to_be_bytes());
    m.push(if rd { 0x01 } else { 0x00 });
    m.push(0);
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        let bytes = label.as_bytes();
        m.push(bytes.len().min(63) as u8);
        m.extend_from_slice(&bytes[..bytes.len().min(63)]);
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&qclass.to_be_bytes());
    m
}

fn response_matches(query: &[u8], resp: &[u8]) -> bool {
    resp.len() >= 12 && resp[0..2] == query[0..2] && resp[2] & 0x80 != 0
}

fn udp_exchange(addr: SocketAddr, query: &[u8], timeout: Duration) -> std::io::Result<Vec<u8>> {
    let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    sock.set_read_timeout(Some(timeout))?;
    sock.send_to(query, addr)?;
    let mut buf = vec![0u8; 4096];
    let deadline = Instant::now() + timeout;
    loop {
        let (n, from) = sock.recv_from(&mut buf)?;
        if from == addr && response_matches(query, &buf[..n]) {
            buf.truncate(n);
            return Ok(buf);
        }
        if Instant::now() >= deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no matching response",
            ));
        }
    }
}

fn tcp_exchange(addr: SocketAddr, query: &[u8], timeout: Duration) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let len = u16::try_from(query.len())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "query too long"))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    s.write_all(&framed)?;
    let mut lenbuf = [0u8; 2];
    s.read_exact(&mut lenbuf)?;
    let mut resp = vec![0u8; usize::from(u16::from_be_bytes(lenbuf))];
    s.read_exact(&mut resp)?;
    if response_matches(query, &resp) {
        Ok(resp)
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "response does not match",
        ))
    }
}

/// Whether the server on `addr` answers `id.server. CH TXT` with `identity`
/// over UDP and over TCP: it is up, and it is the instance whose
/// configuration holds that identity (not another server that took its port).
pub fn answers_identity(addr: SocketAddr, identity: &str, timeout: Duration) -> bool {
    let query = encode_query(next_id(), "id.server.", TYPE_TXT, CLASS_CH, false);
    let ours = |resp: std::io::Result<Vec<u8>>| {
        resp.is_ok_and(|resp| contains(&resp, identity.as_bytes()))
    };
    ours(udp_exchange(addr, &query, timeout)) && ours(tcp_exchange(addr, &query, timeout))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A random identity per launch: only this instance knows it.
fn new_identity(kind: &str) -> String {
    format!("mailcensus-{kind}-{:016x}", rand::random::<u64>())
}

/// A port free for both UDP and TCP on 127.0.0.1 at the time of the probe. The
/// server binds it a moment later; callers retry on a lost race.
pub fn free_port() -> Result<u16, TestbedError> {
    for _ in 0..64 {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| TestbedError::io("probe a free UDP port", e))?;
        let port = udp
            .local_addr()
            .map_err(|e| TestbedError::io("probe a free UDP port", e))?
            .port();
        if port < 1024 {
            continue;
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(port);
        }
    }
    Err(TestbedError::Invalid(
        "no port free for both UDP and TCP after 64 probes".into(),
    ))
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// `name` with exactly one trailing dot (`.` for the root).
pub fn fqdn(name: &str) -> String {
    let trimmed = name.trim().trim_end_matches('.');
    if trimmed.is_empty() {
        ".".to_owned()
    } else {
        format!("{}.", trimmed.to_ascii_lowercase())
    }
}

fn prepare_dir(dir: &Path) -> Result<PathBuf, TestbedError> {
    fs::create_dir_all(dir)
        .map_err(|e| TestbedError::io(format!("create {}", dir.display()), e))?;
    absolute(dir)
}

fn absolute(path: &Path) -> Result<PathBuf, TestbedError> {
    fs::canonicalize(path).map_err(|e| TestbedError::io(format!("resolve {}", path.display()), e))
}

fn write_file(path: &Path, text: &str) -> Result<(), TestbedError> {
    fs::write(path, text).map_err(|e| TestbedError::io(format!("write {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_normalises() {
        for (input, want) in [
            ("mctest", "mctest."),
            ("Example.MCTEST.", "example.mctest."),
            (".", "."),
            ("", "."),
            ("a.b..", "a.b."),
        ] {
            assert_eq!(fqdn(input), want, "{input:?}");
        }
    }

    #[test]
    fn query_encoding_is_rfc1035() {
        let q = encode_query(0x1234, "id.server.", TYPE_TXT, CLASS_CH, true);
        assert_eq!(
            q,
            [
                0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 2, b'i', b'd', 6, b's', b'e', b'r',
                b'v', b'e', b'r', 0, 0, 16, 0, 3
            ]
        );
        let root = encode_query(1, ".", TYPE_SOA, CLASS_IN, false);
        assert_eq!(&root[12..], &[0, 0, 6, 0, 1]);
    }

    #[test]
    fn unbound_config_never_leaves_loopback() {
        let mut opts = UnboundOptions::new(loopback(5300));
        opts.stub_zones = vec!["mctest".into(), "mctest.".into(), ".".into()];
        let c = unbound_config(&opts, Path::new("/w"), 5301, "id", None);
        for needle in [
            "do-ip6: no",
            "outgoing-interface: 127.0.0.1",
            "do-not-query-localhost: no",
            "qname-minimisation: no",
            "module-config: \"validator iterator\"",
            "ede: yes",
            "so-reuseport: no",
            "control-enable: no",
        ] {
            assert!(c.contains(needle), "missing {needle}:\n{c}");
        }
        // `.` and `mctest.` stubbed once each, both to Knot.
        assert_eq!(c.matches("stub-zone:").count(), 2, "{c}");
        assert_eq!(c.matches("stub-addr: 127.0.0.1@5300").count(), 2, "{c}");
        assert!(!c.contains("trust-anchor-file"));
    }

    #[test]
    fn knot_config_lists_every_zone() {
        let zones = [
            ZoneSpec::new("mctest", "/z/mctest.zone"),
            ZoneSpec::new("a.mctest.", "/z/a"),
        ];
        let c = knot_config(
            &zones,
            Path::new("/w"),
            5300,
            "nonce",
            &KnotOptions::default(),
        );
        assert!(c.contains("listen: 127.0.0.1@5300"));
        assert!(c.contains("domain: \"mctest.\"\n    file: \"/z/mctest.zone\""));
        assert!(c.contains("domain: \"a.mctest.\""));
        assert!(c.contains("identity: \"nonce\""));
    }

    /// zones.list as `scripts/testbed.sh` read it: comments and blank lines
    /// skipped, relative files below the directory, absolute ones kept; the
    /// stub zones are `.` plus each zone's top label, once.
    #[test]
    fn zone_lists_and_stub_zones() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("zones.list"),
            "# name file\nmctest mctest.zone\n\nsecure.mctest /abs/secure.zone extra\nExample.ORG. org.zone\n",
        )
        .unwrap();
        let zones = ZoneSpec::read_list(dir.path()).unwrap();
        assert_eq!(
            zones,
            [
                ZoneSpec::new("mctest", dir.path().join("mctest.zone")),
                ZoneSpec::new("secure.mctest", "/abs/secure.zone"),
                ZoneSpec::new("Example.ORG.", dir.path().join("org.zone")),
            ]
        );
        assert_eq!(top_labels(&zones), ["mctest.", "org."]);
        fs::write(dir.path().join("zones.list"), "mctest\n").unwrap();
        assert!(matches!(
            ZoneSpec::read_list(dir.path()),
            Err(TestbedError::Parse { .. })
        ));
        assert!(read_trust_anchors(dir.path()).unwrap().is_empty());
        fs::write(
            dir.path().join("trust-anchors"),
            "mctest. IN DS 1 13 2 ab\n\n",
        )
        .unwrap();
        assert_eq!(
            read_trust_anchors(dir.path()).unwrap(),
            ["mctest. IN DS 1 13 2 ab"]
        );
    }

    #[test]
    fn bind_failures_are_recognised() {
        assert!(looks_like_bind_failure(
            "error: can't bind socket: Address already in use for 127.0.0.1 port 5353"
        ));
        assert!(!looks_like_bind_failure("error: zone file not found"));
    }

    #[test]
    fn free_ports_are_high_and_bindable() {
        let p = free_port().unwrap();
        assert!(p >= 1024);
    }
}
