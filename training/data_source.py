"""A training CSV named by an s3:// URI, fetched to this machine: only from a bucket in the run's
region (a job reads its channels from there, and a bucket elsewhere costs transfer and fails
with KMS keys of this region)."""

from __future__ import annotations

import re
from pathlib import Path

from botocore.exceptions import ClientError

from foundation.paths import BUILD_DIR
from provisioning.aws import AwsClients
from training.dataset import DataRefused
from training.options import Options

DOWNLOADS = BUILD_DIR / "training" / "downloads"
S3_URI = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)")


def bucket_region(aws: AwsClients, bucket: str) -> str:
    # GetBucketLocation answers None (null) for us-east-1 (its API reference).
    return str(aws.s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1")


def local_copy(aws: AwsClients, uri: str, folder: Path = DOWNLOADS) -> Path:
    """The object as a local file; DataRefused (nothing made in AWS) for a bad URI, a bucket in
    another region, or an object that is not there."""
    match = S3_URI.fullmatch(uri)
    if match is None:
        raise DataRefused(f"{uri!r} is not an s3://bucket/key URI of one object")
    bucket, key = match["bucket"], match["key"]
    try:
        region = bucket_region(aws, bucket)
        if region != aws.region:
            raise DataRefused(
                f"{uri} is in {region}; this run trains in {aws.region}: copy the data to a "
                f"bucket in {aws.region}, or pass --region {region}"
            )
        target = folder / bucket / key
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        aws.s3.download_file(bucket, key, str(partial))
        partial.replace(target)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        raise DataRefused(f"{uri}: {code or 'cannot be read'}") from None
    return target


def local_copies(aws: AwsClients, options: Options) -> tuple[Path, Path | None]:
    def fetched(name: str) -> Path:
        return local_copy(aws, name) if name.startswith("s3://") else Path(name)

    assert options.data is not None
    return fetched(options.data), fetched(options.validation) if options.validation else None
