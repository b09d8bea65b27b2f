"""A run that has already said why it ended, in its own line (a stopped job, a rolled-back
step): the command only exits with its code."""

from __future__ import annotations


class Reported(Exception):
    def __init__(self, exit_code: int) -> None:
        super().__init__(f"ended ({exit_code})")
        self.exit_code = exit_code
