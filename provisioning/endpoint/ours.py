"""What this project made for an endpoint, found by its tags: tagged project=sagemaker-proxy and
made for the endpoint (its ``endpoint`` tag, or, made before that tag, exactly the name deploy
gives), never by a name's prefix ("iris" is not "iris-sre")."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from provisioning.aws import ENDPOINT_TAG_KEY, AwsClients, is_missing, is_ours
from provisioning.naming import STEM_LENGTH, search_prefix


def tags_of(aws: AwsClients, arn: str) -> list[dict[str, str]]:
    return list(aws.sagemaker.list_tags(ResourceArn=arn).get("Tags", []))


def tagged_ours(aws: AwsClients, arn: str) -> bool:
    return is_ours(tags_of(aws, arn))


def made_for(endpoint_name: str, name: str, tags: list[dict[str, str]]) -> bool:
    """Whether a config (or model) of ``name`` and ``tags`` was made for this endpoint."""
    if not is_ours(tags):
        return False
    tagged = {tag["Key"]: tag["Value"] for tag in tags}.get(ENDPOINT_TAG_KEY)
    if tagged is not None:
        return tagged == endpoint_name
    # Made before the endpoint tag (and before long names ended in a hash): the name deploy
    # gave, exactly (provisioning.naming).
    return (
        re.fullmatch(
            rf"{re.escape(endpoint_name[:STEM_LENGTH])}-[0-9a-f]{{12}}-[0-9a-f]{{4,6}}", name
        )
        is not None
    )


def our_endpoint_configs(aws: AwsClients, endpoint_name: str) -> list[dict[str, Any]]:
    """Configs this project made for the endpoint, newest first."""
    configs = []
    paginator = aws.sagemaker.get_paginator("list_endpoint_configs")
    for page in paginator.paginate(NameContains=search_prefix(endpoint_name)):
        for summary in page["EndpointConfigs"]:
            name = summary["EndpointConfigName"]
            if made_for(endpoint_name, name, tags_of(aws, summary["EndpointConfigArn"])):
                configs.append(aws.sagemaker.describe_endpoint_config(EndpointConfigName=name))
    return sorted(configs, key=lambda config: config["CreationTime"], reverse=True)


def our_models(aws: AwsClients, endpoint_name: str) -> list[str]:
    """Models this project made for the endpoint, by their tags, whether a config names them
    or not."""
    names = []
    paginator = aws.sagemaker.get_paginator("list_models")
    for page in paginator.paginate(NameContains=search_prefix(endpoint_name)):
        for summary in page["Models"]:
            name = summary["ModelName"]
            if made_for(endpoint_name, name, tags_of(aws, summary["ModelArn"])):
                names.append(name)
    return sorted(names)


def remove_config(
    aws: AwsClients,
    endpoint_name: str,
    config: dict[str, Any],
    keep_model: bool,
    act: Callable[[str, Callable[[], Any]], None],
    spare_models: frozenset[str] = frozenset(),
) -> None:
    """Delete a config and (unless kept, or spared for a config that stays) its models."""
    sm = aws.sagemaker
    act(
        f"endpoint config {config['EndpointConfigName']}",
        partial(sm.delete_endpoint_config, EndpointConfigName=config["EndpointConfigName"]),
    )
    if keep_model:
        return
    for variant in config["ProductionVariants"]:
        name = variant["ModelName"]
        if name in spare_models:
            continue
        try:
            model = sm.describe_model(ModelName=name)
        except ClientError as error:
            if is_missing(error):
                continue
            raise
        if made_for(endpoint_name, name, tags_of(aws, model["ModelArn"])):
            act(f"model {name}", partial(delete_model, sm, name))


def delete_model(sm: Any, name: str) -> None:
    """Delete a model; one gone meanwhile is what was wanted."""
    try:
        sm.delete_model(ModelName=name)
    except ClientError as error:
        if not is_missing(error):
            raise
