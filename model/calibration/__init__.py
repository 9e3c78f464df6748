"""Calibration against Jember and Kediri: targets, distance, priors, ABC-SMC, outputs.

Modules: :mod:`~model.calibration.config` (the calibration file),
:mod:`~model.calibration.targets` (observed points, tolerances, distance, pattern facts),
:mod:`~model.calibration.simulate` (parameters -> scenarios -> statistics),
:mod:`~model.calibration.priors`, :mod:`~model.calibration.abc` (pyabc driver),
:mod:`~model.calibration.de` (point estimate), :mod:`~model.calibration.report` (outputs) and
:mod:`~model.calibration.pipeline` (all of it, for ``egovsim calibrate``).
"""

from model.calibration.config import CalibrationConfig, ParameterSpec, Settings, load_config
from model.calibration.pipeline import calibrate
from model.calibration.targets import Distance, Target, build_targets, pattern_facts

__all__ = ["CalibrationConfig", "Distance", "ParameterSpec", "Settings", "Target",
           "build_targets", "calibrate", "load_config", "pattern_facts"]
