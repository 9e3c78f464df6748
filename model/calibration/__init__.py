"""Calibration against Jember and Kediri: targets, distance, priors, ABC-SMC, outputs.

Modules: :mod:`~model.calibration.config` (the calibration file),
:mod:`~model.calibration.targets` (observed points, tolerances, distance, pattern facts),
:mod:`~model.calibration.simulate` (parameters -> scenarios -> statistics),
:mod:`~model.calibration.priors`, :mod:`~model.calibration.abc` (pyabc driver),
:mod:`~model.calibration.de` (point estimate), :mod:`~model.calibration.report` (outputs) and
:mod:`~model.calibration.pipeline` (all of it, for ``egovsim calibrate``).
"""

from typing import Any

from model.calibration.config import CalibrationConfig, ParameterSpec, Settings, load_config
from model.calibration.targets import Distance, Target, build_targets, pattern_facts


def __getattr__(name: str) -> Any:
    # The pipeline imports pyabc (slow); load it only when asked for.
    if name == "calibrate":
        from model.calibration.pipeline import calibrate
        return calibrate
    raise AttributeError(name)

__all__ = ["CalibrationConfig", "Distance", "ParameterSpec", "Settings", "Target",
           "build_targets", "calibrate", "load_config", "pattern_facts"]
