"""Executes notebooks/adoption.ipynb headless (nbclient) and checks that its
figures equal `mailcensus report --format json` exactly.

Data: `MAILCENSUS_DATA` (a scan directory) and `MAILCENSUS_SECTORS` (CSV) when
set; otherwise a synthetic two-snapshot fixture written by the report crate's
`fixture` example. The report binary is `MAILCENSUS_BIN` when set, else built
with cargo.
"""

from __future__ import annotations

import json
import os
import subprocess
import functools
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "adoption.ipynb"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def _cargo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["cargo", *args], cwd=ROOT, capture_output=True, text=True)


@functools.cache
def report_command() -> tuple[str, ...]:
    """The command that prints the report: `mailcensus report`."""
    if os.environ.get("MAILCENSUS_BIN"):
        return (os.environ["MAILCENSUS_BIN"], "report")
    built = _cargo("build", "-q", "-p", "mailcensus-cli")
    assert built.returncode == 0, built.stderr
    return (str(TARGET / "debug" / "mailcensus"), "report")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[Path, Path | None]:
    if os.environ.get("MAILCENSUS_DATA"):
        sectors = os.environ.get("MAILCENSUS_SECTORS")
        return Path(os.environ["MAILCENSUS_DATA"]), Path(sectors) if sectors else None
    tmp = tmp_path_factory.mktemp("scan")
    built = _cargo("build", "-q", "-p", "mailcensus-report", "--example", "fixture")
    assert built.returncode == 0, built.stderr
    subprocess.run(
        [
            str(TARGET / "debug" / "examples" / "fixture"),
            "--out", str(tmp / "data"),
            "--rows", "4000",
            "--dates", "2026-01-01,2026-02-01",
            "--sectors", str(tmp / "sectors.csv"),
        ],
        check=True,
    )
    return tmp / "data", tmp / "sectors.csv"


def run_report(data: Path, sectors: Path | None, fmt: str, out: Path) -> None:
    cmd = [*report_command(), str(data), "--format", fmt, "--out", str(out)]
    if sectors:
        cmd += ["--sectors", str(sectors)]
    subprocess.run(cmd, check=True, capture_output=True)


def run_notebook(data: Path, sectors: Path | None, figures: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    env = {"MAILCENSUS_DATA": str(data), "MAILCENSUS_FIGURES_OUT": str(figures)}
    if sectors:
        env["MAILCENSUS_SECTORS"] = str(sectors)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits the environment
    try:
        client = nbclient.NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
        )
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def test_notebook_figures_equal_report_json(dataset, tmp_path):
    data, sectors = dataset
    report_path, figures_path = tmp_path / "report.json", tmp_path / "notebook.json"
    run_report(data, sectors, "json", report_path)
    nb = run_notebook(data, sectors, figures_path)
    report = json.loads(report_path.read_text())
    notebook = json.loads(figures_path.read_text())

    assert [s["date"] for s in notebook["snapshots"]] == [s["date"] for s in report["snapshots"]]
    assert len(report["snapshots"]) >= 1
    for want, got in zip(report["snapshots"], notebook["snapshots"]):
        assert got["domains"] == want["domains"] > 0
        # Same keys, same order, same counts and percentages.
        assert list(got["headline"]) == list(want["headline"])
        assert got["headline"] == want["headline"], want["date"]
        if sectors:
            assert [g["name"] for g in got["sectors"]] == [g["name"] for g in want["sectors"]]
            for g_want, g_got in zip(want["sectors"], got["sectors"]):
                assert g_got == {k: g_want[k] for k in ("name", "domains", "headline")}
            assert sum(g["domains"] for g in got["sectors"]) == want["domains"]

    # The trend table (issue 16): same dates, counts, shares and error shares.
    assert notebook["trend"] == report["trend"]

    # The sector chart was drawn.
    images = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert images or not sectors, "no sector chart in the executed notebook"


def test_notebook_reads_data_dir_from_env():
    source = NOTEBOOK.read_text()
    assert "MAILCENSUS_DATA" in source and "MAILCENSUS_FIGURES_OUT" in source
