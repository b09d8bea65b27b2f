"""Which batch functions a stage has, from its environment variables (scripts.batch_triggers
writes them). Read when app.py is imported: Chalice sets a stage's variables before it loads the
app, for `chalice local`, `chalice deploy` and `chalice package` alike, so a stage without them
deploys no batch function at all. Kept light: the API's cold start imports it too."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

INPUT = "BATCH_INPUT"  # s3://bucket/incoming/: where new CSV arrives
OUTPUT = "BATCH_OUTPUT"  # s3://bucket/scored/: where the jobs write (and their manifests)
ON_ARRIVAL = "BATCH_ON_ARRIVAL"  # "true": a job for each object as it arrives
SCHEDULE = "BATCH_SCHEDULE"  # rate(...) or cron(...): one job for what arrived since
ID_COLUMNS = "BATCH_ID_COLUMNS"  # how many leading columns are ids (default 0)
INSTANCE_TYPE = "BATCH_INSTANCE_TYPE"
INSTANCE_COUNT = "BATCH_INSTANCE_COUNT"
KMS_KEY = "BATCH_KMS_KEY"
VARIABLES = (
    INPUT,
    OUTPUT,
    ON_ARRIVAL,
    SCHEDULE,
    ID_COLUMNS,
    INSTANCE_TYPE,
    INSTANCE_COUNT,
    KMS_KEY,
)
# The functions' names (Chalice's function is <app>-<stage>-<name>).
ARRIVAL_FUNCTION = "score_on_arrival"
SCHEDULE_FUNCTION = "score_on_schedule"


@dataclass(frozen=True)
class BatchTriggers:
    input_url: str | None
    on_arrival: bool
    schedule: str | None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> BatchTriggers:
        source = environ.get(INPUT) or None
        return cls(
            input_url=source,
            on_arrival=bool(source) and environ.get(ON_ARRIVAL, "").lower() == "true",
            schedule=(environ.get(SCHEDULE) or None) if source else None,
        )

    def arrival_pattern(self) -> dict[str, object]:
        """EventBridge's pattern for an object created under the input prefix (the bucket sends
        its events to EventBridge: `chalice package` cannot package ``on_s3_event``, whose
        notification CloudFormation cannot add to an existing bucket). The event's shape: source
        "aws.s3", detail-type "Object Created", detail.bucket.name and detail.object.key (Amazon
        S3 User Guide, "EventBridge event message structure")."""
        assert self.input_url is not None
        bucket, _, prefix = self.input_url.removeprefix("s3://").partition("/")
        return {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": prefix}]}},
        }
