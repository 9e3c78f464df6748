"""``egovsim calibrate``'s command-line overrides of the calibration file's settings."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CALIBRATION = REPO / "experiments" / "calibration.toml"


def _args(*argv: str) -> argparse.Namespace:
    from model.cli import build_parser
    return build_parser("calibrate").parse_args(["calibrate", str(CALIBRATION), "--out", "x",
                                                 *argv])


def test_final_minutes_sets_only_the_final_walltime_and_keeps_the_fingerprint():
    """A longer final generation continues a finished run's folder: the override changes the
    final generations' walltime and nothing the resume check compares."""
    from model.calibration.config import load_config
    from model.calibration.pipeline import config_hash
    from model.commands.calibrate import settings_from

    config = load_config(CALIBRATION)
    longer = settings_from(config, _args("--final-minutes", "45"))
    assert longer.settings.final_walltime_minutes == 45.0
    assert config.settings.final_walltime_minutes != 45.0  # the file's own value differs
    others = {k: v for k, v in vars(longer.settings).items() if k != "final_walltime_minutes"}
    assert others == {k: v for k, v in vars(config.settings).items()
                      if k != "final_walltime_minutes"}
    assert config_hash(longer) == config_hash(config)
    assert settings_from(config, _args()) is config
    assert settings_from(config, _args("--repeats", "5")).settings.repeats == 5


def test_the_fingerprint_does_not_depend_on_how_the_file_is_reached(monkeypatch):
    """The same calibration file, reached by an absolute path and by a relative one from another
    working directory, is the same calibration: its folder resumes from either."""
    from model.calibration.config import load_config
    from model.calibration.pipeline import config_hash

    absolute = load_config(CALIBRATION)
    monkeypatch.chdir(REPO / "scenarios")
    relative = load_config(Path("..") / "experiments" / "calibration.toml")
    assert relative.regions["jember"].path != absolute.regions["jember"].path
    assert config_hash(relative) == config_hash(absolute)


@pytest.mark.parametrize("value", ["0", "-3", "soon", "inf", "nan"])
def test_a_bad_final_minutes_exits_2_naming_the_option(tmp_path, capsys, value):
    from model.cli import main
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["calibrate", str(CALIBRATION), "--out", str(out), "--final-minutes", value])
    assert info.value.code == 2
    assert "--final-minutes" in capsys.readouterr().err
    assert not out.exists()
