"""Image URIs of SageMaker's built-in XGBoost container, by region, and which versions serve
this project's artifact in a shape the proxy reads."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_XGBOOST_VERSION = "3.0-5"  # runs XGBoost 3.0.5, the version scripts.train_model pins
# The one file the built-in container loads from the model directory: every non-dot file is
# loaded as a model (serve_utils.py:155-195 at v3.0-5), so model.tar.gz holds exactly this one.
MODEL_MEMBER = "xgboost-model"

# The AWS accounts that publish the built-in XGBoost image, per region.
XGBOOST_IMAGE_ACCOUNTS = {
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-central-1": "492215442770",
    "ap-northeast-1": "354813040037",
    "ap-southeast-2": "783357654285",
}


@dataclass(frozen=True)
class ContainerVersion:
    # The XGBoost it runs: (major, minor, patch) where its Dockerfile is at hand, else the
    # release line the tag names.
    xgboost: tuple[int, ...]
    # Answers Accept: application/json with {"predictions": [{"score": [...]}]}, which the
    # proxy reads. Versions before 1.2-2 ignore Accept and join rows as text.
    json_answer: bool


# From aws/sagemaker-xgboost-container at each tag, src/sagemaker_xgboost_container/
# algorithm_mode/serve.py: v1.0-1 and v1.2-1 lines 235-237 ("\n".join / ",".join of rows);
# v1.2-2, v1.3-1 and v1.5-1 line 244, v1.7-1 line 245, v3.0-5 line 244 encode_predictions_as_json.
# XGBoost's own version from docker/<tag>/base/Dockerfile.cpu, ARG XGBOOST_VERSION (3.0-5 and 1.7-1).
CONTAINER_VERSIONS = {
    "1.0-1": ContainerVersion((1, 0), json_answer=False),
    "1.2-1": ContainerVersion((1, 2), json_answer=False),
    "1.2-2": ContainerVersion((1, 2), json_answer=True),
    "1.3-1": ContainerVersion((1, 3), json_answer=True),
    "1.5-1": ContainerVersion((1, 5), json_answer=True),
    "1.7-1": ContainerVersion((1, 7, 4), json_answer=True),
    "3.0-5": ContainerVersion((3, 0, 5), json_answer=True),
}


class UnsupportedRegion(ValueError):
    pass


class UnsupportedVersion(ValueError):
    pass


def container_xgboost(version: str) -> tuple[int, ...]:
    """The XGBoost a built-in image version runs."""
    known = CONTAINER_VERSIONS.get(version)
    if known is None:
        raise UnsupportedVersion(
            f"--xgboost-version {version} is not a known built-in image "
            f"(known: {', '.join(CONTAINER_VERSIONS)})"
        )
    return known.xgboost


def newer_than(saved: tuple[int, ...], runs: tuple[int, ...]) -> bool:
    """Whether a model saved by ``saved`` is newer than an XGBoost ``runs`` (as far as known)."""
    return saved[: len(runs)] > runs


def check_xgboost_version(version: str, artifact_xgboost: str) -> None:
    """Refuse a built-in image the proxy cannot read, or that cannot load the artifact: XGBoost
    loads models saved by its own or older versions, not newer ones."""
    container_xgboost(version)
    known = CONTAINER_VERSIONS[version]
    if not known.json_answer:
        raise UnsupportedVersion(
            f"--xgboost-version {version} ignores Accept and answers rows as text, which the "
            f"proxy does not read; use {DEFAULT_XGBOOST_VERSION}"
        )
    saved = tuple(int(part) for part in artifact_xgboost.split(".")[:3])
    if newer_than(saved, known.xgboost):
        runs = ".".join(map(str, known.xgboost))
        raise UnsupportedVersion(
            f"--xgboost-version {version} runs XGBoost {runs}, older than the artifact's "
            f"{artifact_xgboost}, and could not load it; use {DEFAULT_XGBOOST_VERSION} or train "
            "with that XGBoost"
        )


def xgboost_image_uri(region: str, version: str = DEFAULT_XGBOOST_VERSION) -> str:
    try:
        account = XGBOOST_IMAGE_ACCOUNTS[region]
    except KeyError:
        known = ", ".join(sorted(XGBOOST_IMAGE_ACCOUNTS))
        raise UnsupportedRegion(
            f"no built-in XGBoost image known for {region} (known: {known}); pass --image"
        ) from None
    return f"{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:{version}"
