"""The deployment files shipped in deploy/ (issue 23): systemd units, the container definition and
the compose file parse, and every dondoc command they run exists with the options they pass
(the command line itself parses them). `systemd-analyze verify` and `docker compose config` run
where they are installed, and are skipped with the reason otherwise."""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("dondoc-*.*"))
DONDOC_BIN = "/opt/dondoc/bin/dondoc"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def dondoc_args(command: str) -> list[str]:
    """The arguments given to dondoc in an ExecStart= line (directly or through sh -c)."""
    words = shlex.split(command.replace("%%", "%"))
    if words[:2] == ["/bin/sh", "-c"]:
        words = shlex.split(words[2])
    if words[0] == "exec":
        words = words[1:]
    assert words[0] == DONDOC_BIN, command
    return words[1:]


def check_cli(args: list[str]) -> None:
    """The command exists and accepts these options: dondoc parses them before --help."""
    args = [a.replace("$(date +%F)", "2024-07-01") for a in args]
    r = subprocess.run(
        [sys.executable, "-m", "dondoc.cli", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, f"dondoc {' '.join(args)}: {r.stdout}{r.stderr}"


def test_the_units_parse_and_run_existing_commands() -> None:
    names = {p.name for p in UNITS}
    assert {"dondoc-server.service", "dondoc-worker.service", "dondoc-backup.timer"} <= names
    for path in UNITS:
        u = unit(path)
        assert "Unit" in u and u["Unit"]["Description"], path.name
        if path.suffix == ".service":
            service = u["Service"]
            assert service["User"] == "dondoc" and service["EnvironmentFile"]
            check_cli(dondoc_args(service["ExecStart"]))
    worker = unit(DEPLOY / "systemd" / "dondoc-worker.service")["Service"]
    assert "--metrics-port" in worker["ExecStart"] and worker["KillSignal"] == "SIGTERM"
    server = unit(DEPLOY / "systemd" / "dondoc-server.service")["Service"]
    assert "--no-worker" in server["ExecStart"]  # the scheduler is the worker unit's job
    timer = unit(DEPLOY / "systemd" / "dondoc-backup.timer")
    assert timer["Timer"]["Unit"] == "dondoc-backup.service"


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    dondoc = shutil.which("dondoc")
    if dondoc is None:
        pytest.skip("the dondoc script is not on PATH (systemd checks ExecStart exists)")
    for path in UNITS:  # the units name the installed path; here: this environment's script
        (tmp_path / path.name).write_text(
            path.read_text(encoding="utf-8").replace(DONDOC_BIN, dondoc), encoding="utf-8"
        )
    r = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if r.returncode != 0 and "Failed to initialize" in r.stderr:
        pytest.skip(f"systemd-analyze cannot run here: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    warnings = [line for line in (r.stdout + r.stderr).splitlines() if "dondoc-" in line]
    assert warnings == []  # an unknown key or a bad value is only a warning: none allowed


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_the_compose_file_names_the_right_commands() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "server", "worker"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("migrate", "server", "worker"):
        s = services[name]
        assert s["image"] == "dondoc:latest" and s["build"]["dockerfile"] == "deploy/Containerfile"
        assert s["environment"]["DONDOC_DB"].startswith("postgresql+psycopg://")
        assert s["environment"]["DONDOC_DB"].endswith("@db:5432/dondoc")
        check_cli(s["command"])
    # Start order: the database, then the schema, then the server and the worker.
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("server", "worker"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
    assert "--metrics-port" in services["worker"]["command"]
    assert "--no-worker" in services["server"]["command"]


def test_docker_compose_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    version = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    if version.returncode != 0:
        pytest.skip("docker compose (the plugin) is not installed")
    r = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        env={"DONDOC_DB_PASSWORD": "kiem-tra", "PATH": "/usr/bin:/bin:/usr/local/bin"},
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)["services"]) == {"db", "migrate", "server", "worker"}


def test_the_containerfile_runs_existing_commands() -> None:
    lines = (DEPLOY / "Containerfile").read_text(encoding="utf-8").splitlines()
    instructions = {}
    for line in lines:
        if line and not line.startswith((" ", "#")):
            keyword, _, rest = line.partition(" ")
            instructions[keyword] = rest
    assert instructions["FROM"].startswith("python:3.1")
    assert json.loads(instructions["ENTRYPOINT"]) == ["dondoc"]
    command = json.loads(instructions["CMD"])
    assert command[0] == "serve"
    check_cli(command)
    assert "/healthz" in instructions["HEALTHCHECK"] or any("/healthz" in x for x in lines)
    assert '"/src[server,postgres,pdf]"' in instructions["RUN"] or any(
        "/src[server,postgres,pdf]" in x for x in lines
    )
