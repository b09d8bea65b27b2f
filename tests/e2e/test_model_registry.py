"""Model versions through SageMaker's Model Registry, on moto in process: register, approve and
reject, deploy the latest approved version (never an unapproved one), roll back by version, and
the stage's signature following the version that serves. The commands' own main() runs each
step, as a user's command line would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.own_models import run_import_model
from chalicelib.signature import read_signature
from provisioning.aws import AwsClients
from provisioning.signature_contract import contract_sha256
from scripts import deploy_endpoint, model_versions, register_model, train_model
from tests.e2e.conftest import DIABETES
from tests.e2e.provisioning_runs import make_aws
from tests.support import forget_moto_answers, moto_model_answer

REGION = "eu-west-1"
ENDPOINT = "iris-reg"


@pytest.fixture
def models(tmp_path: Path, trained_model: Path) -> dict[str, Path]:
    """Three artifacts with signatures: Iris, Iris retrained, and the diabetes regression."""
    retrained = tmp_path / "retrained" / "model.tar.gz"
    train_model.write_artifacts(retrained, seed=7, rounds=20)
    diabetes = tmp_path / "diabetes" / "model.tar.gz"
    imported = run_import_model(DIABETES / "model.ubj", DIABETES / "example.csv", diabetes)
    assert imported.returncode == 0, imported.stderr
    return {"iris": trained_model / "model.tar.gz", "retrained": retrained, "diabetes": diabetes}


@pytest.fixture
def aws(fake_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    """moto in process, given the UpdateEndpoint it lacks: the endpoint then serves the new
    config, as a finished blue/green update leaves it (rollouts themselves are tested on the
    Stubber, test_rollouts.py)."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    def update_endpoint(self: Any) -> Any:
        endpoint = self.sagemaker_backend.endpoints[self._get_param("EndpointName")]
        endpoint.endpoint_config_name = self._get_param("EndpointConfigName")
        return ActionResult({"EndpointArn": endpoint.arn})

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    yield from make_aws(REGION)


def register(model: Path, *flags: str) -> int:
    return register_model.main(["--group", "iris", "--model", str(model), *flags])


def deploy(config: Path, model: Path | None, *flags: str) -> int:
    if model is not None:
        forget_moto_answers(REGION)
        moto_model_answer(model, REGION)  # the smoke test's answer, as that model gives it
    return deploy_endpoint.main(
        ["--endpoint-name", ENDPOINT, "--chalice-config-dir", str(config), "--stage", "dev",
         "--model-package-group", "iris", *flags]
    )  # fmt: skip


def stage(config: Path) -> tuple[dict[str, str], dict[str, Any]]:
    variables = json.loads((config / "config.json").read_text())["stages"]["dev"][
        "environment_variables"
    ]
    signature = json.loads((config.parent / "chalicelib" / "signatures" / "dev.json").read_text())
    return variables, signature


def signature_of(model: Path) -> dict[str, Any]:
    return json.loads(model.with_name("model.signature.json").read_text())


def model_tags(aws: AwsClients) -> dict[str, str]:
    config = aws.sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
    name = aws.sagemaker.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"][
        0
    ]["ModelName"]
    arn = aws.sagemaker.describe_model(ModelName=name)["ModelArn"]
    return {t["Key"]: t["Value"] for t in aws.sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def test_the_lifecycle_from_registering_to_rolling_back(
    aws: AwsClients,
    models: dict[str, Path],
    chalice_config: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Registered twice, the same artifact is one version; a retrained one is the next
    assert register(models["iris"], "--metric", "accuracy=0.93", "--metric", "f1=0.92") == 0
    assert register(models["iris"]) == 0
    assert register(models["retrained"], "--metric", "accuracy=0.91") == 0
    described = aws.sagemaker.describe_model_package(
        ModelPackageName=f"arn:aws:sagemaker:{REGION}:123456789012:model-package/iris/1"
    )
    metadata = described["CustomerMetadataProperties"]
    assert metadata["artifact-sha256"] == signature_of(models["iris"])["artifact_sha256"]
    assert metadata["objective"] == "multi:softprob" and metadata["metric:accuracy"] == "0.93"
    assert len(metadata["git-commit"]) >= 40 and metadata["signature-s3-uri"].startswith("s3://")
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert described["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv"]
    versions = aws.sagemaker.list_model_packages(ModelPackageGroupName="iris")
    assert len(versions["ModelPackageSummaryList"]) == 2

    # Nothing approved: nothing deploys, nothing is made
    assert deploy(chalice_config, None) == 2
    assert deploy(chalice_config, None, "--version", "1") == 2
    assert "PendingManualApproval, not Approved" in capsys.readouterr().out
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []
    assert aws.sagemaker.list_models()["Models"] == []

    # Approved, the latest approved version deploys, and the stage validates by its signature
    for version in ("1", "2"):
        assert model_versions.main(["approve", "--group", "iris", "--version", version,
                                    "--reason", f"holdout ok v{version}"]) == 0  # fmt: skip
    assert deploy(chalice_config, models["retrained"]) == 0
    variables, signature = stage(chalice_config)
    assert variables["MODEL_VERSION"] == "iris/2"
    assert signature == signature_of(models["retrained"])
    assert model_tags(aws)["model-package-version"] == "2"

    # `list` says which endpoint serves which version, with status, metrics and reasons
    capsys.readouterr()
    assert model_versions.main(["list", "--group", "iris"]) == 0
    listing = capsys.readouterr().out.splitlines()
    (second,) = [line for line in listing if line.strip().startswith("2 ")]
    assert "Approved" in second and f"serving: {ENDPOINT}" in second
    assert "accuracy=0.91" in second and "holdout ok v2" in second
    (first,) = [line for line in listing if line.strip().startswith("1 ")]
    assert "serving" not in first and "accuracy=0.93, f1=0.92" in first
    # with each version's contract: Iris retrained is the same API as Iris
    contract = contract_sha256(read_signature(models["iris"].with_name("model.signature.json")))
    assert "contract" in listing[0]
    assert contract[:12] in first.split() and contract[:12] in second.split()

    # Rolled back by one command: the previous approved version, and its signature
    assert deploy(chalice_config, models["iris"], "--previous") == 0
    variables, signature = stage(chalice_config)
    assert variables["MODEL_VERSION"] == "iris/1"
    assert signature == signature_of(models["iris"])
    assert model_tags(aws)["model-package-version"] == "1"
    endpoint_arn = aws.sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointArn"]
    endpoint_tags = aws.sagemaker.list_tags(ResourceArn=endpoint_arn)["Tags"]
    assert {"Key": "model-package-version", "Value": "1"} in endpoint_tags
    # There is nothing approved before version 1
    assert deploy(chalice_config, None, "--previous") == 2

    # A rejected version never deploys, named or as the latest
    assert register(models["diabetes"], "--approve") == 0
    assert model_versions.main(["reject", "--group", "iris", "--version", "3",
                                "--reason", "wrong data set"]) == 0  # fmt: skip
    assert deploy(chalice_config, None, "--version", "3") == 2
    assert deploy(chalice_config, models["retrained"]) == 0
    assert stage(chalice_config)[0]["MODEL_VERSION"] == "iris/2"


def test_a_version_of_another_kind_switches_the_stages_signature_once_accepted(
    aws: AwsClients,
    models: dict[str, Path],
    chalice_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert register(models["iris"], "--approve") == 0
    assert deploy(chalice_config, models["iris"]) == 0
    assert stage(chalice_config)[1]["objective"] == "multi:softprob"
    assert register(models["diabetes"], "--approve") == 0
    # A version whose signature changes the stage's API: refused, having only read the registry
    # (the version and its signature), before anything is fetched, made or written (#33)
    before = stage(chalice_config)
    made = calls_of(monkeypatch)
    capsys.readouterr()
    assert deploy(chalice_config, models["diabetes"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("REFUSED: the model's signature changes stage dev's API")
    assert ["objective", "changed", "multi:softprob", "reg:squarederror"] in [
        line.split() for line in out.splitlines()
    ]
    assert all(call.split(":")[1].startswith(("Describe", "List", "Get")) for call in made), made
    assert made.count("s3:GetObject") == 1  # the signature; the artifact is not fetched
    assert stage(chalice_config) == before
    # Accepted, it deploys, and the stage follows
    assert deploy(chalice_config, models["diabetes"], "--accept-signature-change",
                  "--clients-dir", str(chalice_config.parent / "clients")) == 0  # fmt: skip
    variables, signature = stage(chalice_config)
    assert variables["MODEL_VERSION"] == "iris/2"
    assert signature == signature_of(models["diabetes"])
    assert [f["name"] for f in signature["features"]][:2] == ["age", "sex"]


def test_a_version_whose_signature_this_proxy_cannot_serve_is_refused(
    aws: AwsClients,
    models: dict[str, Path],
    chalice_config: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import hashlib

    assert register(models["iris"], "--approve") == 0
    version = aws.sagemaker.describe_model_package(
        ModelPackageName=f"arn:aws:sagemaker:{REGION}:123456789012:model-package/iris/1"
    )
    metadata = version["CustomerMetadataProperties"]
    bucket, key = metadata["signature-s3-uri"].removeprefix("s3://").split("/", 1)
    # A signature of a later format, registered by a newer proxy (its sha is the one recorded)
    later = {**signature_of(models["iris"]), "format": 2}
    body = json.dumps(later).encode()
    aws.s3.put_object(Bucket=bucket, Key=key + ".v2", Body=body)
    aws.sagemaker.create_model_package(
        ModelPackageGroupName="iris",
        InferenceSpecification=version["InferenceSpecification"],
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={
            **metadata,
            "signature-s3-uri": f"s3://{bucket}/{key}.v2",
            "signature-sha256": hashlib.sha256(body).hexdigest(),
        },
    )
    capsys.readouterr()
    assert deploy(chalice_config, None) == 2
    assert "cannot be served by this proxy" in capsys.readouterr().out
    # And a signature changed after registering is refused
    aws.s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
    assert deploy(chalice_config, None, "--version", "1") == 2
    assert "signature changed" in capsys.readouterr().out
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []


@pytest.mark.parametrize(
    "args",
    [
        ["--group", "not a name"],
        ["--group", "iris", "--metric", "accuracy"],
        ["--group", "iris", "--metric", "accuracy=high"],
        ["--group", "iris", "--metric", "accuracy=nan"],
        ["--group", "iris", "--model", "nothing/there.tar.gz"],
        ["--group", "iris", "--xgboost-version", "0.90-1"],
    ],
)
def test_register_refuses_bad_input_before_any_aws_call(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(SystemExit) as stopped:
        register_model.main(args)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("python -m scripts")


@pytest.mark.parametrize(
    "args",
    [
        ["--model-package-group", "iris", "--model", "build/model.tar.gz"],
        ["--model-package-group", "iris", "--version", "2", "--previous"],
        ["--model-package-group", "iris", "--version", "0"],
        ["--model-package-group", "-iris"],
        ["--version", "2"],
        ["--previous"],
    ],
)
def test_deploy_by_version_refuses_bad_arguments_before_any_aws_call(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(SystemExit) as stopped:
        deploy_endpoint.main(["--endpoint-name", ENDPOINT, *args])
    assert stopped.value.code == 2


def test_approving_what_is_not_there_is_refused(
    aws: AwsClients, models: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert model_versions.main(["approve", "--group", "iris", "--version", "1",
                                "--reason", "x"]) == 2  # fmt: skip
    assert register(models["iris"]) == 0
    assert model_versions.main(["approve", "--group", "iris", "--version", "9",
                                "--reason", "x"]) == 2  # fmt: skip
    assert "iris has no version 9" in capsys.readouterr().err


# S3's operations whose IAM action has another name (the Service Authorization Reference).
S3_ACTIONS = {
    "HeadBucket": "ListBucket",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
}


def calls_of(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The IAM actions of every AWS call the commands make from now on (sts:GetCallerIdentity
    needs none)."""
    made: list[str] = []
    create = AwsClients.create

    def recording(region: str | None) -> AwsClients:
        clients = create(region)
        for client in (clients.sagemaker, clients.s3, clients.iam):
            prefix = client.meta.service_model.signing_name
            client.meta.events.register(
                "before-call.*.*",
                lambda model, prefix=prefix, **_: made.append(
                    f"{prefix}:{S3_ACTIONS.get(model.name, model.name) if prefix == 's3' else model.name}"
                ),
            )
        return clients

    monkeypatch.setattr(AwsClients, "create", staticmethod(recording))
    return made


def test_each_commands_policy_allows_the_calls_it_makes_and_passes_parliament(
    aws: AwsClients,
    models: dict[str, Path],
    chalice_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from parliament import analyze_policy_string

    assert model_versions.main(["policy", "--group", "iris", "--account", "123456789012",
                                "--region", REGION]) == 0  # fmt: skip
    policies = json.loads(capsys.readouterr().out)
    for name, policy in policies.items():
        findings = analyze_policy_string(json.dumps(policy)).findings
        assert [finding.issue for finding in findings] == [], name

    def allowed(policy: dict[str, Any]) -> set[str]:
        actions = set()
        for statement in policy["Statement"]:
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
        return actions

    made = calls_of(monkeypatch)
    assert register(models["iris"], "--metric", "accuracy=0.9") == 0
    assert set(made) - {"sts:GetCallerIdentity"} <= allowed(policies["register"]), made
    made.clear()
    assert model_versions.main(["approve", "--group", "iris", "--version", "1",
                                "--reason", "ok"]) == 0  # fmt: skip
    assert set(made) <= allowed(policies["approve"]), made
    made.clear()
    assert model_versions.main(["list", "--group", "iris"]) == 0
    assert set(made) <= allowed(policies["list"]), made
    # Deploying a version: its own calls before the deploy's (which deploy_endpoint needs anyway)
    made.clear()
    assert deploy(chalice_config, models["iris"]) == 0
    registry_calls = {call for call in made if "ModelPackage" in call}
    assert registry_calls and registry_calls <= allowed(policies["deploy"])
    assert "s3:GetObject" in allowed(policies["deploy"])
