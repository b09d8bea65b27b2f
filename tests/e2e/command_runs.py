"""How the end-to-end tests run the provisioning commands as a user does: a process of their own,
pointed at moto_server (or a gate in front of it) through AWS_ENDPOINT_URL; optionally with
faults injected inside that process (``Faults``): botocore event hooks on every client it makes
that send a signal at a named call, hold or slow a call, or cut the network after one, and a
signal at the first line the command prints or a kill as it renames a file into place.

``python -m tests.e2e.command_runs MODULE ARGS...`` is that process: it installs the faults the
environment describes, then runs ``python -m MODULE ARGS...`` in itself.

Around the runs: moto_server, the deploy a test starts from, a stage's own functions switched off
again. The account in moto_server, made fresh and looked at: tests.e2e.provisioning_runs."""

from __future__ import annotations

import json
import os
import runpy
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foundation.paths import REPO_ROOT

if TYPE_CHECKING:  # the faulty command's process imports no more than it must
    import pytest

REGION = "eu-west-1"
FAULTS_VARIABLE = "SAGEMAKER_PROXY_TEST_FAULTS"


@dataclass
class Faults:
    """What goes wrong inside the command's process. Operations are botocore's names."""

    # (signal name, "before" or "after", operation or "*" for any): the signal at its first call;
    # SIGKILL "after" is a process killed right after AWS answered, before it acted on it.
    signal_at_call: tuple[str, str, str] | None = None
    # (signal name, text): the signal as the first line of output (stdout or stderr) holding
    # the text is written ("": the very first line).
    signal_at_line: tuple[str, str] | None = None
    # Operation -> a folder: before its first call, write <folder>/reached, then wait (up to two
    # minutes) for <folder>/go: a call slowed for as long as the test needs.
    hold: dict[str, str] = field(default_factory=dict)
    # Operation name prefix -> seconds every such call sleeps first (AWS's latency).
    slow: dict[str, float] = field(default_factory=dict)
    # After the first call of this operation every call fails to connect (the network is cut).
    cut_after: str | None = None
    # kill -9 of the process as it renames a temporary file over a file of this name.
    kill_at_replace: str | None = None
    # (signal name, module): the signal as the command first imports that module, before its
    # main has begun.
    signal_at_import: tuple[str, str] | None = None


def _install(faults: Faults) -> None:
    import botocore.session
    from botocore.exceptions import EndpointConnectionError

    done: set[str] = set()

    def first(key: str) -> bool:
        return first_time(done, key)

    def signal_hook(when: str) -> Any:
        def hook(model: Any, **_: Any) -> None:
            if faults.signal_at_call is None:
                return
            name, at, operation = faults.signal_at_call
            if at == when and operation in (model.name, "*") and first("signal"):
                os.kill(os.getpid(), getattr(signal, name))

        return hook

    def before_call(model: Any, **_: Any) -> None:
        for prefix, seconds in faults.slow.items():
            if model.name.startswith(prefix):
                time.sleep(seconds)
        folder = faults.hold.get(model.name)
        if folder is not None and first(f"hold {model.name}"):
            Path(folder, "reached").touch()
            deadline = time.monotonic() + 120
            while not Path(folder, "go").exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    def after_call(model: Any, **_: Any) -> None:
        if model.name == faults.cut_after:
            done.add("cut")

    def before_send(request: Any, **_: Any) -> None:
        if "cut" in done:
            raise EndpointConnectionError(endpoint_url=request.url)

    hooks = [
        ("before-call.*.*", before_call),
        ("before-call.*.*", signal_hook("before")),
        ("after-call.*.*", signal_hook("after")),
        ("after-call.*.*", after_call),
        ("before-send.*.*", before_send),
    ]
    create_client = botocore.session.Session.create_client

    def with_hooks(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        for event, hook in hooks:
            client.meta.events.register(event, hook)
        return client

    botocore.session.Session.create_client = with_hooks  # type: ignore[method-assign]
    if faults.kill_at_replace:
        _kill_at_replace(faults.kill_at_replace)
    if faults.signal_at_import:
        sys.meta_path.insert(0, _SignalAtImport(*faults.signal_at_import))
    if faults.signal_at_line:
        name, text = faults.signal_at_line
        sys.stdout = _SignalAtLine(sys.stdout, name, text, done)
        sys.stderr = _SignalAtLine(sys.stderr, name, text, done)


def first_time(done: set[str], key: str) -> bool:
    if key in done:
        return False
    done.add(key)
    return True


def _kill_at_replace(name: str) -> None:
    replace = os.replace

    def killed(source: Any, target: Any, **kwargs: Any) -> None:
        if Path(target).name == name:
            os.kill(os.getpid(), signal.SIGKILL)
        replace(source, target, **kwargs)

    os.replace = killed  # type: ignore[assignment]


class _SignalAtImport:
    """A finder first on sys.meta_path that finds nothing: it sends the signal as ``module`` is
    first looked for, then steps aside."""

    def __init__(self, name: str, module: str) -> None:
        self._signal, self._module = getattr(signal, name), module

    def find_spec(self, fullname: str, *_: Any) -> None:
        if fullname == self._module:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), self._signal)


class _SignalAtLine:
    """A stream that sends a signal once a line holding ``text`` is written (print writes the
    line, then its end: the signal comes with the end)."""

    def __init__(self, stream: Any, name: str, text: str, done: set[str]) -> None:
        self._stream, self._signal, self._text, self._done = (
            stream,
            getattr(signal, name),
            text,
            done,
        )
        self._line = ""

    def write(self, text: str) -> int:
        written = int(self._stream.write(text))
        self._line += text
        if "\n" in text:
            line, self._line = self._line, self._line.rpartition("\n")[2]
            if self._text in line and first_time(self._done, "line"):
                self._stream.flush()
                os.kill(os.getpid(), self._signal)
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def started_moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from foundation import processes

    port = processes.free_port()
    server = processes.start(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        log=tmp_path_factory.mktemp("moto") / "moto_server.log",
    )
    try:
        processes.wait_for_http(f"http://127.0.0.1:{port}/moto-api/", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(server)


def deploy_args(endpoint: str, model: Path, config: Path, *extra: str) -> list[str]:
    """scripts.deploy_endpoint's arguments for stage dev of the project at ``config``."""
    return ["--endpoint-name", endpoint, "--model", str(model), "--chalice-config-dir",
            str(config), "--stage", "dev", *extra]  # fmt: skip


def deploy_to_moto(
    moto_url: str, model_tar: Path, config: Path, endpoint: str, *extra: str
) -> None:
    """scripts.deploy_endpoint run for stage dev against moto_server, its smoke test answered
    as the model would; it must succeed."""
    from tests.support import moto_model_answer

    moto_model_answer(model_tar, REGION, moto_url)
    deploy = run("scripts.deploy_endpoint", *deploy_args(endpoint, model_tar, config, *extra),
                 endpoint_url=moto_url)  # fmt: skip
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr


def switch_off(command: str, moto_url: str, project: Path, prefix: str, policy_name: str) -> None:
    """``command --off`` (scripts.drift_schedule, scripts.batch_triggers) takes the stage's own
    functions out again: none of its ``prefix`` variables, no functions, no policy file."""
    config_dir = project / ".chalice"
    off = run(command, "--stage", "dev", "--off", "--chalice-config-dir", str(config_dir),
              endpoint_url=moto_url)  # fmt: skip
    assert off.returncode == 0, off.stderr
    stage = json.loads((config_dir / "config.json").read_text())["stages"]["dev"]
    assert not any(name.startswith(prefix) for name in stage["environment_variables"])
    assert "lambda_functions" not in stage
    assert not (config_dir / policy_name).exists()


def command_env(endpoint_url: str, faults: Faults | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    env.pop("AWS_PROFILE", None)
    if faults is not None:
        env[FAULTS_VARIABLE] = json.dumps(asdict(faults))
        if faults.cut_after:  # one attempt a call: botocore's retries of a cut network only wait
            env["AWS_MAX_ATTEMPTS"] = "1"
    return env


def _command(module: str, args: tuple[str, ...], faults: Faults | None) -> list[str]:
    runner = ["-m", __name__] if faults is not None else []
    return [sys.executable, *runner, "-m", module, *args]


def run(
    module: str, *args: str, endpoint_url: str, faults: Faults | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(module, args, faults),
        cwd=REPO_ROOT,
        env=command_env(endpoint_url, faults),
        capture_output=True,
        text=True,
        timeout=120,
    )


def start(
    module: str, *args: str, endpoint_url: str, faults: Faults | None = None
) -> subprocess.Popen[str]:
    """The command as a process of its own, to be signalled or raced."""
    return subprocess.Popen(
        _command(module, args, faults),
        cwd=REPO_ROOT,
        env=command_env(endpoint_url, faults),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


if __name__ == "__main__":
    # python -m tests.e2e.command_runs -m MODULE ARGS...: MODULE run as `python -m` runs it.
    module, arguments = sys.argv[2], sys.argv[3:]
    _install(Faults(**json.loads(os.environ.get(FAULTS_VARIABLE, "{}"))))
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
