"""Lazy public names of the subpackages (PEP 562 module ``__getattr__``).

Each subpackage lists its public names in ``_EXPORTS`` (name -> private module)
and forwards its module ``__getattr__`` to :func:`load`, so that importing the
package does not import NumPy, pydicom or SimpleITK before a name is used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["load"]


def load(package: str, exports: Mapping[str, str], name: str) -> Any:
    """Import ``name`` from its private module of ``package`` and cache it on the package."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{package}.{module}"), name)
    setattr(sys.modules[package], name, value)
    return value
