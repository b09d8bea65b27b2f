"""One run at a time per endpoint: a lock object in the project bucket, taken with S3's
conditional write (``If-None-Match: *`` creates it only where there is none: "How to prevent
object overwrites with conditional writes", Amazon S3 User Guide) and given back with a
conditional delete (``If-Match`` its ETag: only the holder's own). Terraform locks its S3 state the
same way. The lock says who holds it; one whose holder is gone (its process no longer runs on
this machine, or its time is up) is taken over, and ``--break-lock`` takes any.

Two deploys of one endpoint, or a delete and a deploy, therefore never interleave: the second
stops at once and says who is running. Deploys of other endpoints go on side by side.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from provisioning.checks import AWS_ERRORS, one_line

LOCK_PREFIX = "locks/"
# What S3 answers when a conditional write or delete finds its condition false (412), or when
# two conditional writes of one key race (409: "ConditionalRequestConflict": retry).
REFUSED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
# A lock read after it was given back.
GONE = {"NoSuchKey", "404"}
# Rounds of write-refused-then-gone before giving up (each means another run just finished).
ATTEMPTS = 5


class LockHeld(Exception):
    """Another run holds the endpoint; the message says who, since when, and what to do."""


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Holder:
    run: str
    command: str
    endpoint: str
    host: str
    pid: int
    started: str
    expires: str

    def alive(self, clock: Callable[[], datetime.datetime]) -> bool:
        """Whether the holder may still be running: its time is not up, and, on this machine,
        its process still exists."""
        if clock() >= datetime.datetime.fromisoformat(self.expires):
            return False
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # a process of another user: it exists
            return True
        return True

    def said(self) -> str:
        return (
            f"another run holds {self.endpoint}: {self.command} (pid {self.pid} on {self.host}) "
            f"since {self.started[:19]} UTC; wait for it to finish, or, if it is not running any "
            f"more, rerun with --break-lock (the lock lapses at {self.expires[:19]} UTC)"
        )


@dataclass
class EndpointLock:
    s3: Any
    bucket: str
    endpoint: str
    command: str
    minutes: int
    clock: Callable[[], datetime.datetime] = _now
    etag: str | None = None

    @property
    def key(self) -> str:
        return f"{LOCK_PREFIX}{self.endpoint}.json"

    def _mine(self) -> Holder:
        started = self.clock()
        return Holder(
            run=str(uuid.uuid4()),
            command=self.command,
            endpoint=self.endpoint,
            host=socket.gethostname(),
            pid=os.getpid(),
            started=started.isoformat(),
            expires=(started + datetime.timedelta(minutes=self.minutes)).isoformat(),
        )

    def _put(self, **condition: str) -> str:
        answer = self.s3.put_object(
            Bucket=self.bucket,
            Key=self.key,
            Body=json.dumps(asdict(self._mine())).encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
            **condition,
        )
        return str(answer["ETag"])

    def acquire(self, break_lock: bool = False) -> Holder | None:
        """Take the lock; LockHeld when a live run holds it. Returns the holder it took over
        from, if any (a run that died, or any run with ``break_lock``)."""
        for _ in range(ATTEMPTS):
            try:
                self.etag = self._put(IfNoneMatch="*")
                return None
            except ClientError as error:
                if _code(error) not in REFUSED:
                    raise
            try:
                current = self.s3.get_object(Bucket=self.bucket, Key=self.key)
            except ClientError as error:
                if _code(error) in GONE:  # given back between our write and this read: again
                    continue
                raise
            return self._take_over(current, break_lock)
        raise LockHeld(f"the lock of {self.endpoint} changed hands {ATTEMPTS} times; try again")

    def _take_over(self, current: dict[str, Any], break_lock: bool) -> Holder:
        holder = Holder(**json.loads(current["Body"].read()))
        if holder.alive(self.clock) and not break_lock:
            raise LockHeld(holder.said())
        try:
            self.etag = self._put(IfMatch=current["ETag"])
        except ClientError as error:
            if _code(error) in REFUSED:  # another run took it over first
                raise LockHeld(f"another run took over {self.endpoint} just now") from None
            raise
        return holder

    def release(self) -> None:
        """Give the lock back, only if it is still this run's."""
        if self.etag is None:
            return
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=self.etag)
        except ClientError as error:
            if _code(error) not in REFUSED | GONE:
                raise
        self.etag = None


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _give_back(lock: EndpointLock, out: Callable[[str], None]) -> None:
    """Release ``lock``; when that fails (the network is gone), say so in one line after what
    the run said, instead of a lock's URL taking the place of the error that ended the run."""
    try:
        lock.release()
    except AWS_ERRORS as error:
        out(
            f"  could not give back the lock s3://{lock.bucket}/{lock.key} ({one_line(error)}): "
            "the next run on this machine takes it over, or rerun with --break-lock"
        )


@contextmanager
def holding(lock: EndpointLock, break_lock: bool, out: Callable[[str], None]) -> Iterator[None]:
    """Hold ``lock`` while inside, saying when it was taken over from a run that is gone. Undo
    what the run made inside: another run may take the lock the moment it is given back."""
    previous = lock.acquire(break_lock)
    if previous is not None:
        how = "broke" if break_lock else "took over"
        out(
            f"  {how} the lock of {previous.command} (pid {previous.pid} on {previous.host}, "
            f"since {previous.started[:19]} UTC)" + ("" if break_lock else ", which no longer runs")
        )
    try:
        yield
    finally:
        _give_back(lock, out)
