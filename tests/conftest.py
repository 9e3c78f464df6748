"""Shared fixtures: paths, small scenarios, a noise-free behaviour and a CLI runner."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.behaviour import Behaviour, default_behaviour
from model.scenario import Scenario, load_scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
KEDIRI = SCENARIOS / "kediri.toml"
JEMBER = SCENARIOS / "jember.toml"


def egovsim_command() -> list[str]:
    """The installed console script beside this interpreter, else the module."""
    script = Path(sys.executable).with_name("egovsim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "model.cli"]


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of an ``egovsim`` subprocess: this checkout's package first on the path
    (whichever checkout the console script was installed from), no plotting window."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore", "PYTHONPATH": path,
            **extra}


def run_cli(*args: str | Path, cwd: Path | None = None, timeout: float = 120
            ) -> subprocess.CompletedProcess:
    """Run ``egovsim ARGS`` in a subprocess, capturing text output."""
    return subprocess.run([*egovsim_command(), *map(str, args)], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=timeout, env=cli_env())


@pytest.fixture(scope="session")
def kediri() -> Scenario:
    return load_scenario(KEDIRI)


@pytest.fixture(scope="session")
def jember() -> Scenario:
    return load_scenario(JEMBER)


@pytest.fixture(scope="session")
def quiet_behaviour() -> Behaviour:
    """The default behaviour with assessor noise switched off (known-answer tests)."""
    return dataclasses.replace(default_behaviour(), spbe_assessor_sd=0.0, ipp_assessor_sd=0.0)
