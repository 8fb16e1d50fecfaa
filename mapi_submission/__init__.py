"""mapi-submission: an executable specification of MAPI outgoing-message submission.

Parts, each a folder of the repository mapped into this import root (pyproject.toml):
``model`` (the transition table and its two faces), ``properties``, ``checker``,
``generators`` (cases, diagrams, Promela), ``harness`` (adapter protocol, lockstep driver,
log validator); here: ``cli``, ``reference`` (an independent implementation) and
``kill_matrix``.

May import: nothing of the project (every part may read the version).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mapi-submission")
except PackageNotFoundError:  # running from an uninstalled checkout
    __version__ = "0.0.0"

__all__ = ["__version__"]
