"""Where an endpoint's capture lies, and which model answered each file of it.

SageMaker appends ``<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`` to the endpoint config's
``DestinationS3Uri`` (the hour the invocation happened: "Capture data from real-time endpoint",
Amazon SageMaker Developer Guide), and a capture record names no model. So deploy_endpoint gives
each endpoint config the destination ``s3://<bucket>/capture/<endpoint>/<artifact sha256>``: an
endpoint config serves one model, and every file's key names the artifact that answered it, a
blue/green update's two models included. Files of configs made before that (the destination
``capture/<endpoint>``) name no model: they are counted apart, never read as anyone's.

The listing takes a store (S3 with the caller's boto3 client, or a folder that mirrors a bucket),
so the laptop's report and the Lambda read the same layout the same way.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

SHA256 = re.compile(r"[0-9a-f]{64}")
# yyyy/mm/dd/hh: the hour folders under a variant.
_HOUR_PARTS = (
    re.compile(r"\d{4}"),
    re.compile(r"\d{2}"),
    re.compile(r"\d{2}"),
    re.compile(r"\d{2}"),
)
_YEAR = _HOUR_PARTS[0]
# Folders walked down from the endpoint's prefix before the hour folders: <sha>/<endpoint>/<variant>.
_MAX_DEPTH = 3


class Store(Protocol):
    def folders(self, prefix: str) -> list[str]:
        """The names of the folders right under ``prefix`` (which ends with "/")."""
        ...

    def keys(self, prefix: str, start_after: str = "") -> Iterator[str]:
        """Every key under ``prefix`` after ``start_after``, in key order."""
        ...

    def lines(self, key: str) -> Iterator[bytes]:
        """The object's lines, read as they come (an object is never held whole)."""
        ...


@dataclass(frozen=True)
class CaptureObject:
    key: str
    # The artifact that answered every record of this file; None for a path that names none.
    artifact_sha256: str | None
    variant: str
    hour: datetime.datetime


def hour_of(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def hour_folder(moment: datetime.datetime) -> str:
    return hour_of(moment).strftime("%Y/%m/%d/%H")


def parse_key(key: str, prefix: str) -> CaptureObject | None:
    """The capture file at ``key`` under the endpoint's ``prefix``; None when the key is not laid
    out as SageMaker writes capture (``[<sha>/]<endpoint>/<variant>/yyyy/mm/dd/hh/<file>``)."""
    if not key.startswith(prefix.rstrip("/") + "/"):
        return None
    parts = key[len(prefix.rstrip("/")) + 1 :].split("/")
    if len(parts) < 6 or not all(
        p.fullmatch(v) for p, v in zip(_HOUR_PARTS, parts[-5:-1], strict=True)
    ):
        return None
    try:
        year, month, day, hour = (int(part) for part in parts[-5:-1])
        moment = datetime.datetime(year, month, day, hour, tzinfo=datetime.UTC)
    except ValueError:
        return None
    sha = parts[0] if len(parts) == 8 and SHA256.fullmatch(parts[0]) else None
    return CaptureObject(key, sha, parts[-6], moment)


def variant_folders(store: Store, prefix: str) -> list[str]:
    """The folders under ``prefix`` that hold hour folders: one per (model, variant)."""
    found: list[str] = []
    level = [prefix.rstrip("/") + "/"]
    for _ in range(_MAX_DEPTH + 1):  # the prefix itself, then each level below it
        deeper = []
        for folder in level:
            names = store.folders(folder)
            if names and all(_YEAR.fullmatch(name) for name in names):
                found.append(folder)
            else:
                deeper += [f"{folder}{name}/" for name in names if not _YEAR.fullmatch(name)]
        level = deeper
    return sorted(found)


def capture_objects(
    store: Store,
    prefix: str,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> Iterator[CaptureObject]:
    """The capture files of the endpoint whose capture lies under ``prefix`` ("capture/<endpoint>"),
    in the hours from ``start`` up to ``end`` (both optional), folder by folder, in key order:
    each variant's listing starts at the first hour wanted and stops after the last."""
    last = hour_folder(end) if end else None
    for folder in variant_folders(store, prefix):
        start_after = folder + hour_folder(start) if start else ""
        for key in store.keys(folder, start_after):
            found = parse_key(key, prefix)
            if found is None:
                continue
            if last is not None and key[len(folder) : len(folder) + 13] > last:
                break
            yield found


class S3Store:
    """A bucket, read with the caller's boto3 S3 client (the Lambda's, or the laptop's)."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def folders(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        )
        return [
            common["Prefix"][len(prefix) :].rstrip("/")
            for page in pages
            for common in page.get("CommonPrefixes", [])
        ]

    def keys(self, prefix: str, start_after: str = "") -> Iterator[str]:
        arguments = {"Bucket": self.bucket, "Prefix": prefix}
        if start_after:
            arguments["StartAfter"] = start_after
        for page in self.s3.get_paginator("list_objects_v2").paginate(**arguments):
            for item in page.get("Contents", []):
                yield item["Key"]

    def lines(self, key: str) -> Iterator[bytes]:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            yield from body.iter_lines()
        finally:
            body.close()
