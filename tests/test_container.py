"""The Dockerfile, checked without a Docker engine: what it promises is read from its instructions, and its
COPY and `pip install` steps are replayed in a fresh virtual environment, so a dependency or a package file
it forgets shows here (slow: a full install from the package index, about a minute)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_the_container_runs_as_a_user_who_is_not_root() -> None:
    users = [args for keyword, args in instructions() if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_the_container_checks_its_health_on_readyz() -> None:
    checks = [args for keyword, args in instructions() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1 and "/readyz" in checks[0]


def test_models_are_fitted_at_build_time_as_the_user_who_serves_them() -> None:
    steps = instructions()
    fit = steps.index(("RUN", "forecast fit"))
    user = max(i for i, (keyword, _) in enumerate(steps) if keyword == "USER")
    assert user < fit


def test_the_container_starts_as_make_serve_does() -> None:
    command = [json.loads(args) for keyword, args in instructions() if keyword == "CMD"][-1]
    serve = re.search(r"^serve:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert serve is not None
    recipe = serve.group(1).split()  # $(BIN)/forecast serve
    assert command == ["forecast", "serve"]
    assert Path(recipe[0]).name == "forecast" and recipe[1:] == ["serve"]


@pytest.mark.slow
def test_the_dockerfile_install_steps_work_in_a_fresh_environment(tmp_path: Path) -> None:
    """COPY the files the image copies before installing, then run each `pip install` step in a new venv."""
    app = tmp_path / "app"
    app.mkdir()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    # PIP_COMPILE=false: no bytecode for the installed packages, the larger part of the install's CPU time here,
    # and nothing the image's dependencies depend on (docs/decisions.md, "Test-suite time").
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_COMPILE": "false"}
    env.pop("PYTHONPATH", None)
    replayed = 0
    for keyword, args in instructions():
        if keyword == "COPY":
            *sources, target = shlex.split(args)
            for source in sources:
                copy_into(ROOT / source, app / target, many=len(sources) > 1 or target.endswith("/"))
        elif keyword == "RUN" and args.startswith("pip install"):
            subprocess.run(shlex.split(args), cwd=app, env=env, check=True, capture_output=True, timeout=900)
            replayed += 1
    assert replayed >= 1
    check = "import forecast.api.app, forecast.charts, forecast.cli; from forecast.api.routes.dashboard import ASSETS; assert 'index.html' in ASSETS"
    subprocess.run([str(bin_dir / "python"), "-c", check], cwd=tmp_path, env=env, check=True, timeout=120)
    assert subprocess.run([str(bin_dir / "forecast"), "--help"], env=env, capture_output=True, timeout=120).returncode == 0


def copy_into(source: Path, target: Path, many: bool) -> None:
    destination = target / source.name if many or target.is_dir() else target
    destination.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy2(source, destination)
