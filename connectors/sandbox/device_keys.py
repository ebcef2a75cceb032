"""Checking that a page holds its device's private key (a WebCrypto ECDSA P-256 signature)."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

__all__ = ["verify_login"]


def verify_login(public_key_b64: str, nonce: bytes, signature_b64: object) -> bool:
    """WebCrypto signs ECDSA as raw ``r || s`` (64 bytes); the key is an uncompressed point."""
    if not isinstance(signature_b64, str):
        return False
    try:
        raw_sig = base64.b64decode(signature_b64, validate=True)
        key = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), base64.b64decode(public_key_b64)
        )
    except (binascii.Error, ValueError):
        return False
    if len(raw_sig) != 64:
        return False
    der = encode_dss_signature(
        int.from_bytes(raw_sig[:32], "big"), int.from_bytes(raw_sig[32:], "big")
    )
    try:
        key.verify(der, nonce, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
