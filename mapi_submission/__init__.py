"""mapi-submission: an executable specification of MAPI outgoing-message submission.

Import the model as ``mapi_submission.model``, the properties as
``mapi_submission.properties`` and the derived tools as ``mapi_submission.generators``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mapi-submission")
except PackageNotFoundError:  # running from an uninstalled checkout
    __version__ = "0.0.0"

__all__ = ["__version__"]
