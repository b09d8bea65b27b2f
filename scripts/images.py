"""Image URIs of SageMaker's built-in XGBoost container, by region."""

from __future__ import annotations

DEFAULT_XGBOOST_VERSION = "3.0-5"  # runs XGBoost 3.0.5, the version scripts.train_model pins

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


class UnsupportedRegion(ValueError):
    pass


def xgboost_image_uri(region: str, version: str = DEFAULT_XGBOOST_VERSION) -> str:
    try:
        account = XGBOOST_IMAGE_ACCOUNTS[region]
    except KeyError:
        known = ", ".join(sorted(XGBOOST_IMAGE_ACCOUNTS))
        raise UnsupportedRegion(
            f"no built-in XGBoost image known for {region} (known: {known}); pass --image"
        ) from None
    return f"{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:{version}"
