"""Process-wide objects, made once on first use (never at import: ``chalice deploy`` imports app.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import EndpointUnavailable
from chalicelib.predictor import SageMakerPredictor
from chalicelib.settings import Settings, get_settings, use_settings
from chalicelib.signature import Signature, SignatureError, load_signature
from chalicelib.validation import BodyReader

_predictor: SageMakerPredictor | None = None
_control_client: Any = None
_signature: Signature | None = None
_body_reader: BodyReader | None = None


def _client_config(settings: Settings) -> Any:
    from botocore.config import Config

    # Timeouts and retries chosen so the worst case answers inside API Gateway's 29 s.
    return Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
    )


def _make_client(service: str, settings: Settings) -> Any:
    """A client from a session of its own, reading the environment as it is now (not when a
    default session was first made). Failing here (no region, say) is a deployment fault: 503,
    never a 500.

    botocore's session, not boto3's: the client is the same object boto3 would hand back
    (same credentials chain, AWS_ENDPOINT_URL_*, retries), and not importing boto3 saves
    about 50 ms of every cold start (docs/benchmarks.md)."""
    import botocore.session
    from botocore.exceptions import BotoCoreError

    try:
        return botocore.session.Session().create_client(
            service, region_name=settings.region, config=_client_config(settings)
        )
    except BotoCoreError as error:
        detail = f"configuration: {type(error).__name__}: {error}"
        raise EndpointUnavailable(log_detail=detail) from None


def get_signature() -> Signature:
    """The stage's model signature, read once. One that cannot be read is a deployment fault:
    503 with the reason in the log, never a 500."""
    global _signature
    if _signature is None:
        try:
            _signature = load_signature(get_settings().signature_path)
        except SignatureError as error:
            raise EndpointUnavailable(log_detail=f"configuration: signature {error}") from None
    return _signature


def get_body_reader() -> BodyReader:
    """The reader of request bodies for the stage's signature and batch size."""
    global _body_reader
    signature = get_signature()
    max_batch_size = get_settings().max_batch_size
    reader = _body_reader
    if (
        reader is None
        or reader.signature is not signature
        or reader.max_batch_size != max_batch_size
    ):
        reader = _body_reader = BodyReader(signature, max_batch_size)
    return reader


def get_predictor() -> SageMakerPredictor:
    global _predictor
    if _predictor is None:
        settings = get_settings()
        signature = get_signature()
        client = _make_client("sagemaker-runtime", settings)
        _predictor = SageMakerPredictor(
            client,
            settings.endpoint_name,
            signature,
            settings.target_variant,
            budget_seconds=settings.worst_case_seconds(),
        )
    return _predictor


def get_control_client() -> Any:
    """The ``sagemaker`` control-plane client, for DescribeEndpoint in the deep health check."""
    global _control_client
    if _control_client is None:
        _control_client = _make_client("sagemaker", get_settings())
    return _control_client


def use(predictor: SageMakerPredictor | None = None, control_client: Any = None) -> None:
    """Use these instead of making them on first use (a caller with clients of its own: the
    tests hand in stubbed ones); the signature is read again on next use."""
    global _predictor, _control_client, _signature
    _predictor, _control_client, _signature = predictor, control_client, None


def reset() -> None:
    """Forget everything made so far, settings included; the next use makes them anew."""
    use()
    use_settings(None)
