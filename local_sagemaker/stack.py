"""The one launcher of the local stack, for `make run`, the end-to-end tests and the benchmark:
the SageMaker stand-in, `chalice local` for each stage asked for, and the demo page, as real
processes on loopback, stopped together.

`make run` runs the project as it is, on the ports its local stage names. The tests and the
benchmark run a copy of it on free ports (``Layout.isolated``): `chalice local` applies a
stage's variables over the process's own, so a stage is pointed elsewhere in its config.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from artifacts.packaging import signature_path_for
from foundation import processes
from foundation.lambda_code import auth, settings
from foundation.paths import CHALICE_CONFIG_DIR, CHALICE_DIR, REPO_ROOT, WEB_PAGE_DIR
from local_identity import keys as local_keys
from local_sagemaker import moved_ports
from provisioning.naming import VARIANT_NAME


def local_stage_variables(config_dir: Path = CHALICE_CONFIG_DIR) -> dict[str, str]:
    """The local stage's variables over the top level's: the one home of its endpoint name,
    the stand-in's URL and the page's origin."""
    config = json.loads((config_dir / "config.json").read_text())
    return {
        **config.get("environment_variables", {}),
        **config["stages"]["local"].get("environment_variables", {}),
    }


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None, url
    return port


@dataclass(frozen=True)
class Layout:
    """Where each process listens, and which Chalice project serves which stages."""

    project: Path
    endpoint_port: int
    web_port: int
    proxy_ports: dict[str, int]
    variants: tuple[str, ...] = (VARIANT_NAME,)
    # Where the processes write: one log file each, or the terminal (None).
    log_dir: Path | None = None
    # The local issuer's, when the stack signs in.
    issuer_port: int = local_keys.DEFAULT_PORT

    @classmethod
    def as_configured(
        cls,
        proxy_port: int,
        endpoint_port: int | None = None,
        web_port: int | None = None,
        issuer_port: int | None = None,
    ) -> Layout:
        """`make run`: the project itself, on the ports its local stage names; a port given
        moves that process, through a shadow project when the stage names it (moved_ports)."""
        variables = local_stage_variables()
        configured_endpoint = _port(variables["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"])
        # The demo page's origin is the first the local stage allows.
        configured_web = _port(variables["CORS_ALLOW_ORIGINS"].split(",")[0])
        endpoint_port = endpoint_port or configured_endpoint
        web_port = web_port or configured_web
        project = CHALICE_DIR
        if (endpoint_port, web_port) != (configured_endpoint, configured_web):
            project = moved_ports.shadow_project(endpoint_port, web_port)
        return cls(
            project=project,
            endpoint_port=endpoint_port,
            web_port=web_port,
            proxy_ports={"local": proxy_port},
            issuer_port=issuer_port or local_keys.DEFAULT_PORT,
        )

    @classmethod
    def isolated(
        cls,
        workdir: Path,
        extra_stages: Mapping[str, Mapping[str, str]] | None = None,
        variants: tuple[str, ...] = (VARIANT_NAME,),
        other_origins: int = 0,
    ) -> Layout:
        """A copy of the project on free ports; ``extra_stages`` are copies of the local stage
        with some variables changed; ``other_origins`` more free ports the stages allow as
        origins besides the demo page's (``Stack.allowed_origins``)."""
        endpoint_port, web_port = processes.free_port(), processes.free_port()
        origins = [
            f"http://127.0.0.1:{port}"
            for port in [web_port] + [processes.free_port() for _ in range(other_origins)]
        ]
        project = workdir / "chalice_app"
        shutil.copytree(
            CHALICE_DIR, project, ignore=shutil.ignore_patterns("deployments", "__pycache__")
        )
        config_path = project / ".chalice" / "config.json"
        config = json.loads(config_path.read_text())
        local = config["stages"]["local"]["environment_variables"]
        local["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = f"http://127.0.0.1:{endpoint_port}"
        local["AWS_ENDPOINT_URL_SAGEMAKER"] = f"http://127.0.0.1:{endpoint_port}"
        local["CORS_ALLOW_ORIGINS"] = ",".join(origins)
        for stage, changes in (extra_stages or {}).items():
            config["stages"][stage] = json.loads(json.dumps(config["stages"]["local"]))
            config["stages"][stage]["environment_variables"].update(changes)
        config_path.write_text(json.dumps(config))
        stages = ["local", *(extra_stages or {})]
        return cls(
            project=project,
            endpoint_port=endpoint_port,
            web_port=web_port,
            proxy_ports={stage: processes.free_port() for stage in stages},
            variants=variants,
            log_dir=workdir,
            issuer_port=processes.free_port(),
        )


@dataclass
class Stack:
    endpoint_url: str
    # Every stage's `chalice local`, by stage name.
    stage_urls: dict[str, str]
    # The demo page's origin, the first the local stage allows: its calls are real CORS calls.
    web_origin: str
    web_port: int
    # Every origin the local stage allows, the demo page's first.
    allowed_origins: list[str]
    log_dir: Path | None
    # The signature every stage validates by.
    signature: Path
    # The processes, to watch (make run stops when one exits).
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    # The local issuer, when the stack signs in (every stage then checks its tokens).
    issuer_url: str | None = None

    @property
    def proxy_url(self) -> str:
        return self.stage_urls["local"]

    def log(self, name: str) -> Path:
        """A process's log file (isolated layouts): ``endpoint``, ``web`` or ``chalice-<stage>``;
        a `chalice local` log has one JSON line per request."""
        assert self.log_dir is not None
        return self.log_dir / f"{name}.log"

    @property
    def proxy_log(self) -> Path:
        return self.log("chalice-local")

    def log_records(self, name: str = "chalice-local") -> list[dict[str, Any]]:
        """A `chalice local` log's request lines, parsed. Split on newlines only: a line holds a
        client's field names unescaped, and str.splitlines() would also split at U+0085 or
        U+2028 inside one (JSON escapes only the control characters below U+0020)."""
        return [
            json.loads(line)
            for line in self.log(name).read_text(encoding="utf-8").split("\n")
            if line.startswith("{")
        ]


@contextmanager
def running_stack(
    model_tar: Path,
    layout: Layout,
    signature: Path | None = None,
    sign_in: bool = False,
    capture_dir: Path | None = None,
) -> Iterator[Stack]:
    """Start everything, wait until each process answers, and stop them all on the way out.
    The stand-in serves ``model_tar`` and every `chalice local` validates by its signature
    (``signature``, else the one beside it), given as MODEL_SIGNATURE: the local stage
    leaves that variable to the process (a stage variable would override it). ``sign_in``:
    the local issuer runs too, and every stage that does not say otherwise checks its tokens
    (AUTH_* given to the processes the same way). ``capture_dir``: the stand-in captures every
    answered invocation there, as data capture writes to S3 (``local_sagemaker.capture``)."""
    signature = (signature or signature_path_for(model_tar)).resolve()
    capture = ["--capture-dir", str(capture_dir.resolve())] if capture_dir else []

    def log(name: str) -> Path | None:
        return layout.log_dir / f"{name}.log" if layout.log_dir else None

    children: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stopping:

        def start(
            name: str,
            command: list[str],
            cwd: Path,
            ready_url: str,
            env: dict[str, str] | None = None,
        ) -> None:
            process = processes.start(command, cwd=cwd, env=env, log=log(name))
            stopping.callback(processes.stop, process)
            children.append(process)
            processes.wait_for_http(ready_url, process)

        endpoint_url = f"http://127.0.0.1:{layout.endpoint_port}"
        variables = local_stage_variables(layout.project / ".chalice")
        variants = [argument for variant in layout.variants for argument in ("--variant", variant)]
        start(
            "endpoint",
            processes.python_command(
                "-m", "local_sagemaker", "--model", str(model_tar), "--signature", str(signature),
                "--port", str(layout.endpoint_port),
                "--endpoint-name", variables["SAGEMAKER_ENDPOINT_NAME"],
                *variants, *capture,
            ),
            REPO_ROOT,
            f"{endpoint_url}/",  # any answer will do: the stand-in serves only AWS's routes
        )  # fmt: skip
        proxy_env = {settings.MODEL_SIGNATURE: str(signature)}
        issuer_url = None
        if sign_in:
            issuer_url = local_keys.issuer_url(layout.issuer_port)
            origins = [
                argument
                for origin in variables["CORS_ALLOW_ORIGINS"].split(",")
                for argument in ("--allow-origin", origin)
            ]
            start(
                "issuer",
                processes.python_command(
                    "-m", "local_identity", "--port", str(layout.issuer_port), *origins
                ),
                REPO_ROOT,
                f"{issuer_url}/.well-known/jwks.json",
            )
            proxy_env.update(
                {
                    auth.MODE: "jwt",
                    auth.ISSUER: issuer_url,
                    auth.AUDIENCE: local_keys.AUDIENCE,
                    auth.SCOPES: local_keys.SCOPE,
                }
            )
        urls = {}
        for stage, port in layout.proxy_ports.items():
            urls[stage] = f"http://127.0.0.1:{port}"
            command = [processes.chalice_executable(), "local", "--stage", stage]
            command += ["--port", str(port)]
            if layout.project not in (CHALICE_DIR, moved_ports.SHADOW_PROJECT):
                command.append("--no-autoreload")  # a copy nobody edits
            start(
                f"chalice-{stage}",
                command,
                layout.project,
                f"{urls[stage]}/health",
                env=proxy_env,
            )
        start(
            "web",
            processes.python_command(
                "-m", "http.server", str(layout.web_port), "--bind", "127.0.0.1",
                "--directory", str(WEB_PAGE_DIR),
            ),
            REPO_ROOT,
            f"http://127.0.0.1:{layout.web_port}/",
        )  # fmt: skip
        yield Stack(
            endpoint_url=endpoint_url,
            stage_urls=urls,
            web_origin=f"http://127.0.0.1:{layout.web_port}",
            web_port=layout.web_port,
            allowed_origins=variables["CORS_ALLOW_ORIGINS"].split(","),
            log_dir=layout.log_dir,
            signature=signature,
            children=children,
            issuer_url=issuer_url,
        )
