"""Reading what an endpoint's data capture wrote to S3, invocation by invocation (for
``scripts.captured``): the files listed and the lines read by the Lambda's own reader
(``chalicelib.drift``: ``capture_store`` for the layout, ``capture.parse_line`` for a line), so
this listing and the drift report read capture alike.

SageMaker writes JSON Lines under ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/``, one
line per captured invocation ("Capture data from real-time endpoint", Amazon SageMaker Developer
Guide); deploy_endpoint's DestinationS3Uri is ``capture/<endpoint>/<artifact sha256>``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from foundation.lambda_code import drift

Capture = drift.capture.Exchange


@dataclass(frozen=True)
class Unreadable:
    """A line that is no capture record, and why."""

    key: str
    reason: str


def captures(
    s3: Any, bucket: str, prefix: str, since: datetime.datetime | None = None
) -> Iterator[Capture | Unreadable]:
    """Every captured invocation under ``prefix`` ("capture/<endpoint>"), file by file in key
    order; with ``since``, only those from then on (the hour folders chosen by their key, the
    time read from each line). A line that is not a capture record comes as Unreadable."""
    store = drift.S3Store(s3, bucket)
    for found in drift.capture_objects(store, prefix, since):
        for line in store.lines(found.key):
            if not line.strip():
                continue
            try:
                exchange = drift.capture.parse_line(line)
                if since and exchange.moment < since:
                    continue
            except drift.capture.BadRecord as error:
                yield Unreadable(found.key, str(error))
                continue
            except ValueError:
                yield Unreadable(found.key, drift.capture.BAD_TIME)
                continue
            yield exchange
