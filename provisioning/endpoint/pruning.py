"""After a deploy that serves: the endpoint's old configs and their models removed, and the
execution role narrowed to the grants the remaining configs use."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from provisioning.endpoint.ours import our_endpoint_configs, remove_config
from provisioning.iam_documents import ROLE_POLICY_NAME, execution_role_policy, with_grants
from provisioning.naming import Names
from provisioning.plan import Deployment


def prune_old_configs(
    run: Deployment, names: Names, keep: int, role_owned: bool, region: str, account: str
) -> None:
    """After a deploy that serves: remove the endpoint's configs older than the ``keep`` newest
    besides the one it serves, and their models (those no remaining config uses); and, on the
    role this project made (``role_owned``), the grants only they used. They were kept to go
    back to; more than a few only clutter the console and widen the role."""
    configs = [
        config
        for config in our_endpoint_configs(run.aws, names.endpoint)
        if config["EndpointConfigName"] != names.endpoint_config
    ]
    kept, old = configs[:keep], configs[keep:]
    if not old:
        return
    models_in_use = frozenset(
        variant["ModelName"] for config in kept for variant in config["ProductionVariants"]
    ) | {names.model}
    run.out(
        f"  keeping  the {len(kept)} configs before this one: "
        + (", ".join(config["EndpointConfigName"] for config in kept) or "none")
    )

    def act(what: str, call: Callable[[], Any]) -> None:
        call()
        run.out(f"  removed  old {what}")

    for config in old:
        remove_config(run.aws, names.endpoint, config, False, act, models_in_use)
    if role_owned:
        narrow_role(run, names, region, account)


def narrow_role(run: Deployment, names: Names, region: str, account: str) -> None:
    """The execution role's grants, down to what the endpoint's remaining configs use."""
    sm, iam = run.aws.sagemaker, run.aws.iam
    wanted: dict[str, Any] | None = None
    for config in our_endpoint_configs(run.aws, names.endpoint):
        capture = bool(config.get("DataCaptureConfig", {}).get("EnableCapture"))
        for variant in config["ProductionVariants"]:
            container = sm.describe_model(ModelName=variant["ModelName"])["PrimaryContainer"]
            bucket, _, key = container["ModelDataUrl"].removeprefix("s3://").partition("/")
            used = replace(names, bucket=bucket, key=key)
            policy = execution_role_policy(used, region, account, container["Image"], capture)
            wanted = with_grants(wanted, policy)
    current = iam.get_role_policy(RoleName=names.role, PolicyName=ROLE_POLICY_NAME)
    document = current["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    if wanted is None or document == wanted:
        return
    iam.put_role_policy(
        RoleName=names.role, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(wanted)
    )
    dropped = len(document["Statement"]) - len(wanted["Statement"])
    run.out(
        f"  narrowed {ROLE_POLICY_NAME} of {names.role}: {dropped} grants only removed configs used"
    )
