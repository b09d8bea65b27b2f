"""What the commands that switch a stage's own functions on or off share (scripts.drift_schedule,
scripts.batch_triggers): the stage's files and the endpoint it calls, read before any AWS call;
the stage that calls no endpoint yet; and the lines they print once they have written."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from provisioning.api.preflight import StageTarget
from provisioning.stage_config import StageFiles


def read_stage(stage: str, config_dir: Path) -> tuple[StageFiles, StageTarget]:
    """The stage's files, checked (StageFiles.read), and the endpoint it calls; ValueError, in
    one line, when they cannot be read or name no such stage (a mistyped stage would otherwise
    be written into config.json)."""
    try:
        files = StageFiles.read(stage, config_dir)
        target = StageTarget.load(stage, config_dir)
    except OSError as error:
        raise ValueError(str(error)) from None
    if stage not in files.config["stages"]:
        raise ValueError(f"no stage {stage!r} in {files.config_path}")
    return files, target


def no_endpoint_yet(target: StageTarget) -> str | None:
    """What to run first when the stage calls no endpoint yet (its functions would have no model
    to serve or to watch)."""
    if target.endpoint_name and target.region is not None:
        return None
    return (
        f"stage {target.stage} calls no endpoint yet: run "
        f"`python -m scripts.deploy_endpoint --stage {target.stage} ...` first"
    )


def switched_off(written: Iterable[Path], stage: str, functions: str) -> int:
    """Say that ``functions`` (e.g. "drift function") are gone from the stage, and what was
    written; the command's exit code."""
    print(f"off: stage {stage} has no {functions} from its next `make deploy`")
    for path in written:
        print(f"wrote  {path}")
    return 0


def switched_on(written: Iterable[Path], stage: str, *notes: str) -> int:
    """Say what was written, the command's own ``notes``, then the deploy that ships it; the
    command's exit code."""
    for path in written:
        print(f"wrote    {path}")
    for note in notes:
        print(note)
    print(f"next:    make deploy STAGE={stage}")
    return 0
