"""deploy/k8s/ validates against the Kubernetes schemas, and its parts agree.

`kubernetes-validate` (pinned in python/requirements.txt) bundles the
OpenAPI schemas of each Kubernetes release; every document of every manifest
is validated in strict mode (unknown fields are errors) against the releases
below. Then what the schemas cannot see: the Job is Indexed with completions =
parallelism = the `--shards` count it passes, the ConfigMap and the claim it
mounts exist, and the config files (the ConfigMap's and the Slurm example) are
TOML whose keys are `mailcensus scan`'s long flags (MAILCENSUS_BIN, or the
flags read from crates/cli/src/scan.rs).
"""

import copy
import os
import re
import subprocess
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
# The oldest release with backoffLimitPerIndex on by default (beta in 1.29, GA
# in 1.33), and the newest the pinned validator bundles.
VERSIONS = ["1.29.0", "1.33.0"]


def documents():
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path.name, doc))
    return docs


def by_kind(kind):
    found = [doc for _, doc in documents() if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def scan_flags():
    """The long flags of `mailcensus scan`."""
    binary = os.environ.get("MAILCENSUS_BIN")
    if binary:
        text = subprocess.run(
            [binary, "scan", "--help"], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        return set(re.findall(r"--([a-z][a-z0-9-]+)", text))
    # Without a binary: the clap fields of the flags struct, as clap names them.
    source = (REPO / "crates" / "cli" / "src" / "scan.rs").read_text()
    struct = source[source.index("pub struct Args") :]
    struct = struct[: struct.index("\n}\n")]
    return {f.replace("_", "-") for f in re.findall(r"pub (\w+):", struct)}


def test_manifests_exist():
    kinds = sorted(doc["kind"] for _, doc in documents())
    assert kinds == ["ConfigMap", "Job", "PersistentVolumeClaim"]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_validates_strictly(version):
    for name, doc in documents():
        kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
def test_validator_rejects_a_broken_job(version):
    """Guards the test above: strict validation does reject mistakes."""
    job = by_kind("Job")
    typo = copy.deepcopy(job)
    typo["spec"]["completionsMode"] = typo["spec"].pop("completionMode")
    wrong_type = copy.deepcopy(job)
    wrong_type["spec"]["parallelism"] = "four"
    for broken in (typo, wrong_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, version, strict=True)


def test_indexed_job_runs_one_shard_per_index():
    spec = by_kind("Job")["spec"]
    assert spec["completionMode"] == "Indexed"
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    shards = int(env["SHARDS"])
    assert spec["completions"] == spec["parallelism"] == shards
    script = " ".join(container["command"] + container["args"])
    assert '--shards "$SHARDS"' in script
    assert "JOB_COMPLETION_INDEX" in script, "the resume check must use the pod's index"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", env["SCAN_DATE"])
    # Per-index retries need restartPolicy Never.
    assert pod["restartPolicy"] == "Never" and spec["backoffLimitPerIndex"] >= 1
    resources = container["resources"]
    assert "memory" in resources["requests"] and "memory" in resources["limits"]
    assert "cpu" in resources["requests"]

    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert volumes["config"]["configMap"]["name"] == by_kind("ConfigMap")["metadata"]["name"]
    claim = by_kind("PersistentVolumeClaim")
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert "ReadWriteMany" in claim["spec"]["accessModes"], "pods on several nodes share it"
    assert "--config /etc/mailcensus/mailcensus.toml" in script
    assert mounts["config"] == "/etc/mailcensus"
    assert "--out /data/out" in script and mounts["data"] == "/data"


def config_files():
    configmap = by_kind("ConfigMap")
    return {
        "deploy/k8s/configmap.yaml": configmap["data"]["mailcensus.toml"],
        "deploy/slurm/mailcensus.toml.example": (
            REPO / "deploy" / "slurm" / "mailcensus.toml.example"
        ).read_text(),
    }


@pytest.mark.parametrize("name", sorted(config_files()))
def test_config_keys_are_scan_flags(name):
    config = tomllib.loads(config_files()[name])
    flags = scan_flags() | {"inputs"}
    assert "resolver" in flags and "qps-per-upstream" in flags, flags
    unknown = set(config) - flags
    assert not unknown, f"{name}: not flags of `mailcensus scan`: {unknown}"
    assert config["inputs"] and config["resolver"]
    # The shard count and scan date come from the job, never from a shared file.
    assert not {"shard", "shards", "resume"} & set(config)
