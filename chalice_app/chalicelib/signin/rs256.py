"""RS256 signature verification for PyJWT without the ``cryptography`` package.

PyJWT verifies RSA signatures through ``cryptography``, whose wheels would take the Lambda
package from 2.8 MB to past 7 MB (docs/benchmarks.md has the 3 MB goal). Verifying needs none
of it: RSASSA-PKCS1-v1_5-VERIFY (RFC 8017, section 8.2.2) is one modular power and a compare.
The expected block is built whole from the message's hash and compared in constant time, never
parsed, which is what keeps forged signatures out (the Bleichenbacher 2006 forgery works on
verifiers that parse the block). Signing is not here: only the token issuer signs.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, NamedTuple

from jwt.algorithms import Algorithm
from jwt.exceptions import InvalidKeyError
from jwt.utils import base64url_decode

# DER of DigestInfo for SHA-256, the hash itself follows (RFC 8017, section 9.2, note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
# NIST SP 800-131A: RSA keys under 2048 bits are not accepted for signatures.
MIN_MODULUS_BITS = 2048


class RsaPublicKey(NamedTuple):
    n: int
    e: int

    @property
    def size(self) -> int:
        """The modulus's length in bytes: every signature is exactly this long."""
        return (self.n.bit_length() + 7) // 8


def verify_pkcs1v15_sha256(message: bytes, signature: bytes, key: RsaPublicKey) -> bool:
    k = key.size
    if len(signature) != k:
        return False
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    encoded = pow(s, key.e, key.n).to_bytes(k, "big")
    digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(digest_info) - 3) + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)


def key_from_jwk(jwk: dict[str, Any]) -> RsaPublicKey:
    """An RSA public key from its JWK (RFC 7518, section 6.3.1); InvalidKeyError otherwise."""
    if jwk.get("kty") != "RSA" or not isinstance(jwk.get("n"), str):
        raise InvalidKeyError("not an RSA public key")
    try:
        n = int.from_bytes(base64url_decode(jwk["n"]), "big")
        e = int.from_bytes(base64url_decode(jwk.get("e", "")), "big")
    except (ValueError, TypeError):
        raise InvalidKeyError("n or e is not base64url") from None
    if n.bit_length() < MIN_MODULUS_BITS or e < 3 or e % 2 == 0:
        raise InvalidKeyError(f"RSA keys need {MIN_MODULUS_BITS} bits and an odd exponent")
    return RsaPublicKey(n, e)


class RS256Verifier(Algorithm):
    """PyJWT's algorithm interface, verify only; keys are ``RsaPublicKey``."""

    def prepare_key(self, key: Any) -> RsaPublicKey:
        if not isinstance(key, RsaPublicKey):
            raise InvalidKeyError("RS256 verification takes an RsaPublicKey")
        return key

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        return verify_pkcs1v15_sha256(msg, sig, self.prepare_key(key))

    def sign(self, msg: bytes, key: Any) -> bytes:
        raise NotImplementedError("this proxy verifies tokens; the issuer signs them")

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        raise NotImplementedError

    @staticmethod
    def from_jwk(jwk: str | dict[str, Any]) -> RsaPublicKey:
        raise NotImplementedError("use key_from_jwk")
