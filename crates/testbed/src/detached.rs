//! A testbed that outlives the command that started it: Knot serving a zones
//! directory and Unbound in front of it, run from a state directory, for
//! scripts and for tests that drive the `mailcensus` binary
//! (`mailcensus-testbed start|stop|status`, wrapped by `scripts/testbed.sh`).
//!
//! The servers are the ones [`crate::servers`] starts for in-process tests,
//! with the same configurations, started in a process group of their own
//! and detached. What a caller reads is the state directory:
//!
//! ```text
//! STATE/knot.addr  STATE/unbound.addr   127.0.0.1:PORT of each server
//! STATE/knot.pid   STATE/unbound.pid    their process ids
//! STATE/knot/      STATE/unbound/       configurations, databases, logs
//! STATE/zones/     the unpacked zones.tar.gz, when the zones came packed
//! ```
//!
//! `start` is idempotent (a running pair, checked by the identity each
//! answers with, is kept) and `stop` is too. A process is signalled only when
//! its pid file names a live process of the expected program, so a stale pid
//! file never stops an unrelated process that reused the id.
//!
//! Every zone's top label and `.` are stub zones pointing at Knot, so the
//! resolver never sends a query outside 127.0.0.0/8 (DESIGN.md, "Testing
//! ground").

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::TestbedError;
use crate::servers::{
    KnotOptions, KnotServer, UnboundOptions, UnboundServer, ZoneSpec, answers_identity,
    read_trust_anchors, top_labels,
};

/// How a detached testbed's servers are started. The zones, the stub zones,
/// the trust anchors and Unbound's upstream come from the zones directory
/// and from Knot; [`Settings::from_env`] applies the knobs of
/// `scripts/testbed.sh` to the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Knot's options.
    pub knot: KnotOptions,
    /// Unbound's options.
    pub unbound: UnboundOptions,
}

impl Default for Settings {
    /// The servers' defaults, in process groups of their own, with 300 s for
    /// Knot to load every zone (a large universe takes a while).
    fn default() -> Self {
        Settings {
            knot: KnotOptions {
                ready_timeout: Duration::from_secs(300),
                own_process_group: true,
                ..KnotOptions::default()
            },
            unbound: UnboundOptions {
                own_process_group: true,
                ..UnboundOptions::new(SocketAddr::from(([127, 0, 0, 1], 0)))
            },
        }
    }
}

fn number<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<T>, TestbedError> {
    match var(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| TestbedError::Invalid(format!("{name}={v:?} is not a number"))),
    }
}

impl Settings {
    /// The defaults, overridden by `KNOT_PORT`, `UNBOUND_PORT` (fixed ports
    /// instead of free ones), `KNOT_UDP_WORKERS`, `UNBOUND_THREADS`,
    /// `UNBOUND_MSG_CACHE_MB`, `UNBOUND_RRSET_CACHE_MB` and
    /// `KNOT_LOAD_TIMEOUT` (seconds); a variable that is set but not a number
    /// is an error.
    pub fn from_env() -> Result<Self, TestbedError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, TestbedError> {
        let mut s = Settings::default();
        let (knot, unbound) = (&mut s.knot, &mut s.unbound);
        knot.port = number(&var, "KNOT_PORT")?.or(knot.port);
        unbound.port = number(&var, "UNBOUND_PORT")?.or(unbound.port);
        knot.udp_workers = number(&var, "KNOT_UDP_WORKERS")?.unwrap_or(knot.udp_workers);
        unbound.threads = number(&var, "UNBOUND_THREADS")?.unwrap_or(unbound.threads);
        unbound.msg_cache_mb =
            number(&var, "UNBOUND_MSG_CACHE_MB")?.unwrap_or(unbound.msg_cache_mb);
        unbound.rrset_cache_mb =
            number(&var, "UNBOUND_RRSET_CACHE_MB")?.unwrap_or(unbound.rrset_cache_mb);
        if let Some(secs) = number(&var, "KNOT_LOAD_TIMEOUT")? {
            knot.ready_timeout = Duration::from_secs(secs);
        }
        Ok(s)
    }
}

/// The two servers, as the state directory describes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running {
    /// Knot's address.
    pub knot: SocketAddr,
    /// Knot's process id.
    pub knot_pid: u32,
    /// Unbound's address.
    pub unbound: SocketAddr,
    /// Unbound's process id.
    pub unbound_pid: u32,
}

impl std::fmt::Display for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "knot {} (pid {}), unbound {} (pid {})",
            self.knot, self.knot_pid, self.unbound, self.unbound_pid
        )
    }
}

/// What [`start`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// Both servers were already up and answering: nothing was started.
    AlreadyRunning(Running),
    /// The servers were started.
    Up(Running),
}

/// The two servers of a state directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Knot,
    Unbound,
}

impl Server {
    /// The stem of its state files and work directory.
    fn name(self) -> &'static str {
        match self {
            Server::Knot => "knot",
            Server::Unbound => "unbound",
        }
    }

    /// The program its pid must belong to.
    fn program(self) -> &'static str {
        match self {
            Server::Knot => "knotd",
            Server::Unbound => "unbound",
        }
    }

    fn pid_file(self, state: &Path) -> PathBuf {
        state.join(format!("{}.pid", self.name()))
    }

    fn addr_file(self, state: &Path) -> PathBuf {
        state.join(format!("{}.addr", self.name()))
    }

    fn work_dir(self, state: &Path) -> PathBuf {
        state.join(self.name())
    }

    /// The configuration `servers` wrote, which holds the identity.
    fn conf_file(self, state: &Path) -> PathBuf {
        self.work_dir(state).join(format!("{}.conf", self.name()))
    }
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> TestbedError {
    move |e| TestbedError::io(what, e)
}

fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The pid in `server`'s pid file, if it names a live process of the
/// server's program (Linux `/proc`; a zombie is not live).
fn live_pid(state: &Path, server: Server) -> Option<u32> {
    let pid: u32 = read_trimmed(&server.pid_file(state))?.parse().ok()?;
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let comm = fs::read_to_string(proc_dir.join("comm")).ok()?;
    let stat = fs::read_to_string(proc_dir.join("stat")).ok()?;
    // The state follows the parenthesised command name: `pid (comm) S …`.
    let zombie = stat
        .rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
    (comm.trim() == server.program() && !zombie).then_some(pid)
}

/// The identity written into `server`'s configuration.
fn identity(state: &Path, server: Server) -> Option<String> {
    let conf = fs::read_to_string(server.conf_file(state)).ok()?;
    conf.lines().find_map(|line| {
        let value = line.trim().strip_prefix("identity:")?.trim();
        Some(value.trim_matches('"').to_owned())
    })
}

/// `server` is live, its address is recorded, and it answers with the
/// identity of its configuration.
fn answering(state: &Path, server: Server) -> Option<(SocketAddr, u32)> {
    let pid = live_pid(state, server)?;
    let addr: SocketAddr = read_trimmed(&server.addr_file(state))?.parse().ok()?;
    let identity = identity(state, server)?;
    answers_identity(addr, &identity, Duration::from_secs(1)).then_some((addr, pid))
}

/// Both servers of `state`, when both are up and answering.
pub fn status(state: &Path) -> Option<Running> {
    let (knot, knot_pid) = answering(state, Server::Knot)?;
    let (unbound, unbound_pid) = answering(state, Server::Unbound)?;
    Some(Running {
        knot,
        knot_pid,
        unbound,
        unbound_pid,
    })
}

/// Stops `server` if its pid file names a live process of its program:
/// SIGTERM, up to 5 s to exit, then SIGKILL. Removes its pid and address files.
fn stop_one(state: &Path, server: Server) -> Result<(), TestbedError> {
    if let Some(pid) = live_pid(state, server) {
        let signal = |sig: &str| {
            Command::new("kill")
                .args([sig, &pid.to_string()])
                .output()
                .map_err(io(format!("run kill {sig} {pid}")))
        };
        signal("-TERM")?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while live_pid(state, server).is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if live_pid(state, server).is_some() {
            signal("-KILL")?;
        }
    }
    for file in [server.pid_file(state), server.addr_file(state)] {
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(TestbedError::io(format!("remove {}", file.display()), e)),
        }
    }
    Ok(())
}

/// Stops both servers of `state` (Unbound first); nothing to do when the
/// directory does not exist or nothing runs.
pub fn stop(state: &Path) -> Result<(), TestbedError> {
    if !state.is_dir() {
        return Ok(());
    }
    stop_one(state, Server::Unbound)?;
    stop_one(state, Server::Knot)
}

/// The directory holding `zones.list`: `zones` itself, or, when it holds a
/// `zones.tar.gz` instead (as `datasets/sample` does), `STATE/zones` with
/// the archive unpacked, again only when the archive is newer.
fn zones_dir(zones: &Path, state: &Path) -> Result<PathBuf, TestbedError> {
    let archive = zones.join("zones.tar.gz");
    if zones.join("zones.list").is_file() || !archive.is_file() {
        return Ok(zones.to_path_buf());
    }
    let unpacked = state.join("zones");
    let list = unpacked.join("zones.list");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = match (modified(&list), modified(&archive)) {
        (Some(list), Some(archive)) => archive > list,
        _ => true,
    };
    if stale {
        if unpacked.exists() {
            fs::remove_dir_all(&unpacked).map_err(io(format!("remove {}", unpacked.display())))?;
        }
        fs::create_dir_all(&unpacked).map_err(io(format!("create {}", unpacked.display())))?;
        let out = Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&unpacked)
            .output()
            .map_err(io(format!("run tar on {}", archive.display())))?;
        if !out.status.success() {
            return Err(TestbedError::Command {
                command: format!("tar -xzf {} -C {}", archive.display(), unpacked.display()),
                message: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr)),
            });
        }
        // The unpacked list is now newer than the archive: not unpacked again.
        let now = fs::File::options()
            .append(true)
            .open(&list)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        now.map_err(io(format!("touch {}", list.display())))?;
    }
    Ok(unpacked)
}

fn write(path: &Path, text: String) -> Result<(), TestbedError> {
    fs::write(path, text + "\n").map_err(io(format!("write {}", path.display())))
}

/// Starts Knot serving the zones of `zones` (a `zones.list` and, optionally,
/// `trust-anchors`; or a `zones.tar.gz` of them) and Unbound in front of it,
/// both detached, their state in `state` (created if missing). When both
/// already run from `state`, nothing is started.
pub fn start(zones: &Path, state: &Path, settings: &Settings) -> Result<Started, TestbedError> {
    let zones = fs::canonicalize(zones).map_err(io(format!("resolve {}", zones.display())))?;
    fs::create_dir_all(state).map_err(io(format!("create {}", state.display())))?;
    let state = fs::canonicalize(state).map_err(io(format!("resolve {}", state.display())))?;
    let zones = zones_dir(&zones, &state)?;
    if !zones.join("zones.list").is_file() {
        return Err(TestbedError::Invalid(format!(
            "{}/zones.list (or zones.tar.gz) missing",
            zones.display()
        )));
    }
    if let Some(running) = status(&state) {
        return Ok(Started::AlreadyRunning(running));
    }
    // Leftovers of an earlier start that is no longer whole.
    stop(&state)?;

    let list = ZoneSpec::read_list(&zones)?;
    let knot = KnotServer::start_with(&list, &Server::Knot.work_dir(&state), &settings.knot)?;
    let unbound_options = UnboundOptions {
        upstream: knot.addr,
        stub_zones: top_labels(&list),
        trust_anchors: read_trust_anchors(&zones)?,
        ..settings.unbound.clone()
    };
    // If Unbound fails, `knot` is dropped and killed: no half testbed stays.
    let unbound = UnboundServer::start(&unbound_options, &Server::Unbound.work_dir(&state))?;

    let running = Running {
        knot: knot.addr,
        knot_pid: knot.pid(),
        unbound: unbound.addr,
        unbound_pid: unbound.pid(),
    };
    let files = [
        (Server::Knot.pid_file(&state), running.knot_pid.to_string()),
        (Server::Knot.addr_file(&state), running.knot.to_string()),
        (
            Server::Unbound.pid_file(&state),
            running.unbound_pid.to_string(),
        ),
        (
            Server::Unbound.addr_file(&state),
            running.unbound.to_string(),
        ),
    ];
    for (path, text) in files {
        write(&path, text)?;
    }
    knot.detach();
    unbound.detach();
    Ok(Started::Up(running))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_the_scripts_knobs() {
        let env = |name: &str| {
            match name {
                "KNOT_PORT" => Some("5300"),
                "UNBOUND_THREADS" => Some("2"),
                "UNBOUND_MSG_CACHE_MB" => Some(" 8 "),
                "UNBOUND_PORT" => Some(""),
                _ => None,
            }
            .map(str::to_owned)
        };
        let s = Settings::from_lookup(env).unwrap();
        assert_eq!(s.knot.port, Some(5300));
        assert_eq!(s.unbound.port, None, "empty is unset");
        assert_eq!(s.unbound.threads, 2);
        assert_eq!(s.unbound.msg_cache_mb, 8);
        assert_eq!(s.unbound.rrset_cache_mb, 128);
        assert_eq!(s.knot.udp_workers, 2);
        assert_eq!(s.knot.ready_timeout, Duration::from_secs(300));
        assert!(s.knot.own_process_group && s.unbound.own_process_group);
        let bad = Settings::from_lookup(|n| (n == "KNOT_UDP_WORKERS").then(|| "two".to_owned()));
        assert!(matches!(bad, Err(TestbedError::Invalid(_))));
    }

    #[test]
    fn identity_is_read_from_the_configuration() {
        let state = tempfile::tempdir().unwrap();
        let dir = Server::Unbound.work_dir(state.path());
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            Server::Unbound.conf_file(state.path()),
            "server:\n    identity: \"mailcensus-unbound-00ff\"\n    hide-identity: no\n",
        )
        .unwrap();
        assert_eq!(
            identity(state.path(), Server::Unbound).as_deref(),
            Some("mailcensus-unbound-00ff")
        );
        assert_eq!(identity(state.path(), Server::Knot), None);
    }

    /// A pid file naming another program's process (a stale file whose pid
    /// was reused) is not a live server: stop never signals it.
    #[test]
    fn only_the_servers_own_processes_count_as_live() {
        let state = tempfile::tempdir().unwrap();
        let me = std::process::id().to_string();
        for server in [Server::Knot, Server::Unbound] {
            fs::write(server.pid_file(state.path()), &me).unwrap();
            assert_eq!(live_pid(state.path(), server), None);
        }
        stop(state.path()).unwrap();
        assert!(!Server::Knot.pid_file(state.path()).exists());
        stop(&state.path().join("absent")).unwrap();
    }
}
