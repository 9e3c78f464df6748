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


def run_cli(*args: str | Path, cwd: Path | None = None, timeout: float = 120
            ) -> subprocess.CompletedProcess:
    """Run ``egovsim ARGS`` in a subprocess, capturing text output."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*egovsim_command(), *map(str, args)], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=timeout, env=env)


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
