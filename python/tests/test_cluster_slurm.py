"""The scan as a Slurm job array, on a one-node Slurm cluster on loopback.

`deploy/slurm/local-cluster.sh` starts slurmctld, slurmd and munge (installing
the Debian packages if missing, so this test needs root), the testbed serves a
generated universe of 3,000 domains, and `deploy/slurm/mailcensus.sbatch` (the
job script users copy) is submitted as `sbatch --array=0-3` with
`MAILCENSUS_SHARDS=4`. One array task is killed with SIGKILL after it wrote its
first part, the other three complete; re-submitting that one task with
`--resume` completes it without touching the others' files. Then:

- every input domain (`mailcensus domains` of the dump) is in exactly one row
  across the four shards' parts, and each shard's manifest names its shard;
- `mailcensus report --format json` over the union of the shards prints the
  same figures as over the same input scanned by one unsharded process.

Runs only with MAILCENSUS_SLURM_TEST=1 (scripts/test.sh sets it, in a step of
its own), since it installs packages and starts daemons. MAILCENSUS_BIN and
MAILCENSUS_TESTBED name built binaries; otherwise cargo builds them (debug).
Every wait is bounded.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
SBATCH_SCRIPT = REPO / "deploy" / "slurm" / "mailcensus.sbatch"
CLUSTER = REPO / "deploy" / "slurm" / "local-cluster.sh"
DOMAINS = 3000
SHARDS = 4
KILLED = 3
SCAN_DATE = "2026-01-15"
# Per task: ~750 domains and ~7,000 queries at 2,000 qps take ~3.5 s, long enough
# to kill a task between its first part and its last, short enough for CI.
QPS_PER_TASK = 2000
PART_ROWS = 100

pytestmark = pytest.mark.skipif(
    os.environ.get("MAILCENSUS_SLURM_TEST") != "1",
    reason="starts a Slurm cluster and installs packages: set MAILCENSUS_SLURM_TEST=1",
)


def run(cmd, timeout=120, **kw):
    """Runs a command, bounded, and returns its stdout; fails with its stderr."""
    done = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw
    )
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def binaries():
    mailcensus = os.environ.get("MAILCENSUS_BIN")
    testbed = os.environ.get("MAILCENSUS_TESTBED")
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not mailcensus:
        run(["cargo", "build", "-q", "-p", "mailcensus-cli"], timeout=1800, cwd=REPO)
        mailcensus = target / "debug" / "mailcensus"
    if not testbed:
        sibling = Path(mailcensus).parent / "mailcensus-testbed"
        if sibling.exists():
            testbed = sibling
        else:
            run(["cargo", "build", "-q", "-p", "mailcensus-testbed"], timeout=1800, cwd=REPO)
            testbed = target / "debug" / "mailcensus-testbed"
    return Path(mailcensus).resolve(), Path(testbed).resolve()


class Slurm:
    """The Slurm commands of one local cluster."""

    def __init__(self, state: Path):
        self.env = dict(os.environ, SLURM_CONF=str(state / "slurm.conf"))

    def sbatch(self, *args, env=None):
        out = run(["sbatch", "--parsable", *args], env=dict(self.env, **(env or {})))
        return out.strip().split(";")[0]

    def state(self, job):
        """JobState of one array task (`JOBID_I`), or None while unknown."""
        done = subprocess.run(
            ["scontrol", "-o", "show", "job", job],
            capture_output=True, text=True, timeout=20, env=self.env,
        )
        found = re.search(r"\bJobState=(\S+)", done.stdout)
        return found.group(1) if found else None

    def wait(self, jobs, until, timeout):
        """Waits until every task's state is in `until`; returns the states."""
        deadline = time.monotonic() + timeout
        while True:
            states = {job: self.state(job) for job in jobs}
            if all(s in until for s in states.values()):
                return states
            assert time.monotonic() < deadline, f"still {states} after {timeout} s"
            time.sleep(0.2)


def logs_of(logs: Path) -> str:
    """The array tasks' output, for failure messages."""
    return "\n".join(f"== {p.name}\n{p.read_text()}" for p in sorted(logs.glob("*.out")))


def partition(out: Path) -> Path:
    return out / f"scan_date={SCAN_DATE}"


def parts(out: Path, shard: int):
    """A shard's complete parts on disk."""
    return sorted(partition(out).glob(f"part-{shard:05d}-*.parquet"))


def manifest_path(out: Path, shard: int) -> Path:
    return partition(out) / f"_manifest-{shard:05d}.json"


def shard_files(out: Path, shard: int):
    """A shard's complete parts and its manifest."""
    return parts(out, shard) + [manifest_path(out, shard)]


def snapshot(paths):
    """Bytes, size and modification time of each file."""
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in paths
    }


def manifest(out: Path, shard: int):
    return json.loads(manifest_path(out, shard).read_text())


def figures(report_json: str):
    """The report's figures, without what identifies a run (ids, times)."""
    volatile = {"scan_id", "scan_ids", "scanned_at", "generated_at", "elapsed_ms", "elapsed_s"}

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in volatile}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(report_json))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Testbed, Slurm cluster, and the binaries; everything stopped afterwards."""
    mailcensus, testbed = binaries()
    tmp = tmp_path_factory.mktemp("slurm")
    universe, testbed_state, slurm_state = tmp / "universe", tmp / "testbed", tmp / "slurm"
    run([testbed, "generate", "--domains", DOMAINS, "--seed", 7, "--layout", "flat",
         "--dead-lame", 0, "--out", universe], timeout=300)
    try:
        run([testbed, "start", universe, testbed_state], timeout=300)
        run(["bash", CLUSTER, "start", slurm_state], timeout=900)
        yield {
            "mailcensus": mailcensus,
            "dump": universe / "dump.zone",
            "resolver": (testbed_state / "unbound.addr").read_text().strip(),
            "slurm": Slurm(slurm_state),
            "tmp": tmp,
        }
    finally:
        subprocess.run(["bash", CLUSTER, "stop", slurm_state], timeout=120, check=False)
        subprocess.run([testbed, "stop", testbed_state], timeout=120, check=False)


def test_job_array_shards_resume_and_report_like_one_process(cluster):
    mailcensus, dump, slurm, tmp = (
        cluster["mailcensus"], cluster["dump"], cluster["slurm"], cluster["tmp"]
    )
    out, logs = tmp / "data", tmp / "logs"
    logs.mkdir()
    config = tmp / "mailcensus.toml"
    config.write_text(
        f'inputs = ["{dump}"]\n'
        f'out = "{out}"\n'
        f'resolver = ["{cluster["resolver"]}"]\n'
        f"qps = {QPS_PER_TASK}\n"
        f"part-rows = {PART_ROWS}\n"
    )
    env = {
        "MAILCENSUS_BIN": str(mailcensus),
        "MAILCENSUS_CONFIG": str(config),
        "MAILCENSUS_SHARDS": str(SHARDS),
        "MAILCENSUS_SCAN_DATE": SCAN_DATE,
    }
    common = ["--cpus-per-task=1", "--mem=256M", f"--output={logs}/%A_%a.out"]

    job = slurm.sbatch(f"--array=0-{SHARDS - 1}", *common, str(SBATCH_SCRIPT), env=env)
    tasks = [f"{job}_{i}" for i in range(SHARDS)]

    # Kill one task with SIGKILL (a lost node, the OOM killer) once it is running
    # and has written its first complete part.
    deadline = time.monotonic() + 120
    while not (slurm.state(tasks[KILLED]) == "RUNNING" and parts(out, KILLED)):
        state = slurm.state(tasks[KILLED])
        assert state in (None, "PENDING", "RUNNING"), (
            f"task {KILLED} ended before it could be killed: {state}\n{logs_of(logs)}"
        )
        assert time.monotonic() < deadline, "task 3 wrote no part within 120 s"
        time.sleep(0.05)
    run(["scancel", "--signal=KILL", "--full", tasks[KILLED]], env=slurm.env)

    states = slurm.wait(tasks, {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}, timeout=180)
    expected = {t: "COMPLETED" for t in tasks}
    expected[tasks[KILLED]] = states[tasks[KILLED]]
    assert states == expected, f"{states}\n{logs_of(logs)}"
    assert states[tasks[KILLED]] in ("CANCELLED", "FAILED"), states
    assert not manifest(out, KILLED)["complete"], "the killed task's manifest says complete"
    assert all(manifest(out, i)["complete"] for i in range(SHARDS) if i != KILLED)

    others = [p for i in range(SHARDS) if i != KILLED for p in shard_files(out, i)]
    before = snapshot(others)
    time.sleep(0.05)  # a rewrite within the same mtime tick would still change the hash

    # Re-submit the failed task alone: the same script, shard count and date.
    again = slurm.sbatch(f"--array={KILLED}", *common, str(SBATCH_SCRIPT), "--resume", env=env)
    resumed = f"{again}_{KILLED}"
    states = slurm.wait([resumed], {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}, timeout=180)
    log = (logs / f"{again}_{KILLED}.out").read_text()
    assert states[resumed] == "COMPLETED", log
    assert "resuming after" in log, log
    assert manifest(out, KILLED)["complete"] and len(manifest(out, KILLED)["resumed_at"]) == 1
    assert all(not manifest(out, i)["resumed_at"] for i in range(SHARDS) if i != KILLED)
    assert snapshot(others) == before, "re-running one task touched another shard's files"

    # Exactly once across the array's parts, and each manifest names its shard.
    expected_domains = run([mailcensus, "domains", dump]).split()
    assert len(expected_domains) == DOMAINS
    domains = []
    for i in range(SHARDS):
        assert manifest(out, i)["shard"] == {"index": i, "count": SHARDS}
        listed = [partition(out) / p["file"] for p in manifest(out, i)["parts"]]
        assert listed == parts(out, i), "parts on disk differ from the manifest's list"
        for part in listed:
            domains += pq.read_table(part, columns=["domain"]).column("domain").to_pylist()
    assert len(domains) == len(set(domains)), "a domain is in two rows"
    assert sorted(domains) == sorted(expected_domains)
    per_shard = [manifest(out, i)["rows"] for i in range(SHARDS)]
    assert all(n > 0 for n in per_shard) and sum(per_shard) == DOMAINS, per_shard

    # The same input scanned by one process: the same figures.
    single = tmp / "single"
    run([mailcensus, "scan", dump, "--resolver", cluster["resolver"], "--out", single,
         "--scan-date", SCAN_DATE], timeout=300)
    sharded = figures(run([mailcensus, "report", out, "--format", "json"]))
    unsharded = figures(run([mailcensus, "report", single, "--format", "json"]))
    assert sharded == unsharded
    shutil.rmtree(single)
