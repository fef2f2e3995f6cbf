"""convanim: convolution arithmetic animations, for any configuration.

The public API. Heavy modules (numpy, matplotlib) load on first use, so that the command line
starts fast.
"""

from __future__ import annotations

from convanim.errors import (
    BudgetError,
    ConvanimError,
    ManifestError,
    SpecError,
    TemplateError,
    WriterUnavailable,
)
from convanim.model.spec import LayerSpec

__version__ = "0.1.0"

__all__ = [
    "BudgetError",
    "ConvanimError",
    "LayerSpec",
    "ManifestError",
    "SpecError",
    "TemplateError",
    "WriterUnavailable",
    "__version__",
]
