"""Every command's --help ends with an example: the epilog and formatter a command's
ArgumentParser takes (``argparse.ArgumentParser(..., **ends_with_example("python -m ..."))``)."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

WIDTH = 79


def ends_with_example(example: str, epilog: str | None = None) -> dict[str, Any]:
    """The epilog (wrapped, as argparse would) then ``example:`` and the command on its own
    line, kept as written; the description is printed as written too."""
    said = textwrap.fill(" ".join(epilog.split()), WIDTH) + "\n\n" if epilog else ""
    return {
        "epilog": f"{said}example:\n  {example}",
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
