"""egovsim: an agent-based simulator of bureaucratic digitalization in Indonesian local government.

The public API: :class:`EGovModel` (a Mesa model), :func:`run` (the pure boundary every
experiment calls), :func:`load_scenario`, :func:`with_overrides` and :class:`ScenarioError`.
"""

from importlib import metadata

from model.errors import ScenarioError
from model.model import EGovModel
from model.runner import replication_seeds, run
from model.scenario import Scenario, load_scenario, with_overrides

try:
    __version__ = metadata.version("egovsim")
except metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = ["EGovModel", "Scenario", "ScenarioError", "load_scenario", "replication_seeds", "run",
           "with_overrides", "__version__"]
