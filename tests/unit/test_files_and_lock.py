"""What keeps runs from harming each other: files written whole and in the user's formatting, and
the endpoint's lock (taken once, given back only by its holder, taken over from a dead run)."""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from foundation.files import json_like, update_json, write_atomically
from provisioning.run_lock import EndpointLock, Holder, LockHeld

BUCKET = "sagemaker-proxy-123456789012-eu-west-1"


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"a": 1}\n')

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, b'{"a": 2}\n')
    assert path.read_text() == '{"a": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


FORMATS = [
    # (the file as the user keeps it, the same file after a value is added by a deploy)
    (
        '{\n    "stages": {\n        "dev": {"x": "é"}\n    }\n}\n',
        '{\n    "stages": {\n        "dev": {\n            "x": "é",\n            "y": 1\n'
        "        }\n    }\n}\n",
    ),
    (
        '{\n\t"stages": {\n\t\t"dev": {\n\t\t\t"x": "\\u00e9"\n\t\t}\n\t}\n}',
        '{\n\t"stages": {\n\t\t"dev": {\n\t\t\t"x": "\\u00e9",\n\t\t\t"y": 1\n\t\t}\n\t}\n}',
    ),
    ('{"stages": {"dev": {"x": "é"}}}', '{"stages": {"dev": {"x": "é", "y": 1}}}'),
]


@pytest.mark.parametrize(
    ("original", "after"),
    FORMATS,
    ids=["four spaces", "tabs, escaped, no final newline", "one line"],
)
def test_a_rewritten_json_file_keeps_its_formatting(original: str, after: str) -> None:
    document = json.loads(original)
    document["stages"]["dev"]["y"] = 1
    assert json_like(document, original) == after


def test_an_unchanged_file_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    text = '{\n  "Version": "2012-10-17"\n}\n'
    path.write_text(text)
    before = path.stat().st_mtime_ns
    assert update_json(path, json.loads(text), text) is False
    assert path.stat().st_mtime_ns == before


@pytest.fixture
def s3() -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield client


def lock(s3: Any, minutes: int = 60, **kwargs: Any) -> EndpointLock:
    return EndpointLock(s3, BUCKET, "iris", "deploy_endpoint", minutes, **kwargs)


def test_one_run_holds_the_endpoint_and_the_next_is_told_who(s3: Any) -> None:
    first = lock(s3)
    assert first.acquire() is None
    with pytest.raises(LockHeld, match=rf"deploy_endpoint \(pid {os.getpid()} on"):
        lock(s3).acquire()
    first.release()
    second = lock(s3)
    assert second.acquire() is None  # given back: free again
    second.release()
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_a_lock_is_given_back_only_by_its_holder(s3: Any) -> None:
    first = lock(s3)
    first.acquire()
    taken = lock(s3)
    taken.acquire(break_lock=True)  # --break-lock: the first run is taken over
    first.release()  # the first run, finishing late, must not free the second's lock
    with pytest.raises(LockHeld):
        lock(s3).acquire()
    taken.release()


def write_holder(s3: Any, **changes: Any) -> None:
    now = datetime.datetime.now(datetime.UTC)
    holder = Holder(
        run="r", command="deploy_endpoint", endpoint="iris", host=socket.gethostname(),
        pid=os.getpid(), started=now.isoformat(),
        expires=(now + datetime.timedelta(minutes=60)).isoformat(),
    )  # fmt: skip
    s3.put_object(
        Bucket=BUCKET, Key="locks/iris.json", Body=json.dumps({**asdict(holder), **changes})
    )


def test_the_lock_of_a_run_that_died_here_is_taken_over(s3: Any) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    write_holder(s3, pid=int(dead.stdout))
    previous = lock(s3).acquire()
    assert previous is not None and previous.pid == int(dead.stdout)


def test_the_lock_of_a_live_run_elsewhere_holds_until_it_lapses(s3: Any) -> None:
    write_holder(s3, host="another-machine", pid=1)
    with pytest.raises(LockHeld, match="on another-machine"):
        lock(s3).acquire()
    lapsed = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)).isoformat()
    write_holder(s3, host="another-machine", pid=1, expires=lapsed)
    assert lock(s3).acquire() is not None


def test_a_lock_given_back_between_the_refused_write_and_the_read_is_taken(s3: Any) -> None:
    # Given a holder that gives the lock back just after our conditional write was refused
    first = lock(s3)
    first.acquire()
    second = lock(s3)
    real_get = s3.get_object

    def get_after_release(**kwargs: Any) -> Any:
        first.release()  # the other run finishes in between (#35: NoSuchKey at lock)
        s3.get_object = real_get
        return real_get(**kwargs)

    s3.get_object = get_after_release
    # When the second run acquires, it reads a lock that is gone, tries again, and takes it
    assert second.acquire() is None
    assert second.etag is not None
    holder = json.loads(real_get(Bucket=BUCKET, Key=second.key)["Body"].read())
    assert holder["pid"] == os.getpid()


def test_a_symlinked_file_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    # Given config.json, a link to a file kept elsewhere (#35, 4)
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "config.json"
    target.write_text('{"stages": {}}\n')
    link = tmp_path / "config.json"
    link.symlink_to(target)
    # When it is updated
    update_json(link, {"stages": {"dev": {}}}, link.read_text())
    # Then the target has the new content, and the link is still the link
    assert link.is_symlink()
    assert json.loads(target.read_text()) == {"stages": {"dev": {}}}
    assert not list(tmp_path.glob(".config.json.*"))
