"""Bearer JWT authentication: every way a token can fail answers 401, a missing scope 403."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.auth import Authenticator, Principal, mint_token, require_scope
from gateway.problems import Problem
from tests.gateway.support import auth, gateway_client, new_session_id
from wastream.settings import DEV_JWT_SECRET, Settings, load_settings

SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"


def _settings(**overrides: Any) -> Settings:
    return load_settings(jwt_secret=SECRET, **overrides)


def _token(claims: dict[str, Any], key: Any = SECRET, algorithm: str = "HS256") -> str:
    base: dict[str, Any] = {"tenant": "acme", "scope": "messages:send", "exp": time.time() + 60}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, key, algorithm=algorithm)


def _fails(authenticator: Authenticator, header: str | None, match: str) -> Problem:
    with pytest.raises(Problem, match=match) as caught:
        authenticator.authenticate(header)
    assert caught.value.status == 401
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")
    return caught.value


def test_a_valid_token_gives_its_tenant_and_scopes() -> None:
    authenticator = Authenticator(_settings())
    principal = authenticator.authenticate(f"Bearer {_token({'scope': 'a:b c:d'})}")
    assert principal == Principal("acme", frozenset({"a:b", "c:d"}))


def test_scope_may_be_a_list() -> None:
    authenticator = Authenticator(_settings())
    principal = authenticator.authenticate(f"Bearer {_token({'scope': ['x:y', 'z:w']})}")
    assert principal.scopes == {"x:y", "z:w"}


def test_minted_tokens_verify_and_carry_audience_and_issuer() -> None:
    settings = _settings(jwt_audience="wastream-api", jwt_issuer="https://issuer.test")
    token = mint_token(settings, "acme", ["sessions:write", "messages:send"], ttl_s=30)
    principal = Authenticator(settings).authenticate(f"Bearer {token}")
    assert principal == Principal("acme", frozenset({"sessions:write", "messages:send"}))
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="wastream-api")
    assert claims["iss"] == "https://issuer.test"
    assert claims["exp"] - claims["iat"] == 30


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (None, "Authorization: Bearer"),
        ("", "Authorization: Bearer"),
        ("Basic dXNlcjpwYXNz", "'Bearer <token>'"),
        ("Bearer", "'Bearer <token>'"),
        ("Bearer not-a-jwt", "invalid"),
        ("Bearer a.b.c", "invalid"),
    ],
)
def test_missing_or_malformed_headers_are_refused(header: str | None, match: str) -> None:
    _fails(Authenticator(_settings()), header, match)


def test_expired_token() -> None:
    _fails(Authenticator(_settings()), f"Bearer {_token({'exp': time.time() - 5})}", "expired")


def test_token_without_exp() -> None:
    _fails(Authenticator(_settings()), f"Bearer {_token({'exp': None})}", "'exp'")


def test_wrong_signature() -> None:
    token = _token({}, key="another-secret-of-sufficient-length-0123456789abcdef")
    _fails(Authenticator(_settings()), f"Bearer {token}", "signature")


def test_wrong_audience_and_missing_audience() -> None:
    authenticator = Authenticator(_settings(jwt_audience="wastream-api"))
    _fails(authenticator, f"Bearer {_token({'aud': 'someone-else'})}", "audience")
    _fails(authenticator, f"Bearer {_token({})}", "'aud'")


def test_wrong_issuer() -> None:
    authenticator = Authenticator(_settings(jwt_issuer="https://issuer.test"))
    _fails(authenticator, f"Bearer {_token({'iss': 'https://evil.test'})}", "issuer")


def test_audience_is_not_checked_when_not_configured() -> None:
    principal = Authenticator(_settings()).authenticate(f"Bearer {_token({'aud': 'x'})}")
    assert principal.tenant == "acme"


@pytest.mark.parametrize("tenant", [None, "", 42])
def test_tenant_claim_must_be_a_string(tenant: object) -> None:
    token = jwt.encode(
        {"tenant": tenant, "scope": "a", "exp": time.time() + 60}, SECRET, algorithm="HS256"
    )
    _fails(Authenticator(_settings()), f"Bearer {token}", "tenant")


def test_unsupported_algorithm_is_refused() -> None:
    token = _token({}, key=SECRET * 2, algorithm="HS512")
    _fails(Authenticator(_settings()), f"Bearer {token}", "HS512")


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_public_key_tokens(algorithm: str) -> None:
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if algorithm == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    authenticator = Authenticator(_settings(jwt_public_key=_pem(private)))
    token = _token({"tenant": "globex"}, key=private, algorithm=algorithm)
    assert authenticator.authenticate(f"Bearer {token}").tenant == "globex"
    other = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if algorithm == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    _fails(authenticator, f"Bearer {_token({}, key=other, algorithm=algorithm)}", "signature")
    # the configured secret still verifies HS256 tokens
    assert authenticator.authenticate(f"Bearer {_token({})}").tenant == "acme"


def test_public_key_from_a_file(tmp_path: Any) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "key.pem"
    path.write_text(_pem(private))
    authenticator = Authenticator(_settings(jwt_public_key=f"@{path}"))
    token = _token({}, key=private, algorithm="ES256")
    assert authenticator.authenticate(f"Bearer {token}").tenant == "acme"


def test_development_secret_is_refused_once_a_public_key_is_configured() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    authenticator = Authenticator(
        load_settings(jwt_secret=DEV_JWT_SECRET, jwt_public_key=_pem(private))
    )
    token = _token({}, key=DEV_JWT_SECRET)
    _fails(authenticator, f"Bearer {token}", "not accepted")


def test_verified_tokens_are_cached_until_they_expire() -> None:
    authenticator = Authenticator(_settings())
    token = _token({"exp": time.time() + 1.5})
    first = authenticator.authenticate(f"Bearer {token}")
    assert authenticator.authenticate(f"Bearer {token}") is first
    time.sleep(1.6)
    _fails(authenticator, f"Bearer {token}", "expired")


def test_missing_scope_is_403() -> None:
    with pytest.raises(Problem) as caught:
        require_scope(Principal("acme", frozenset({"messages:send"})), "groups:write")
    assert caught.value.status == 403
    assert caught.value.field == "scope"


async def test_http_auth_failures(offline_client: httpx.AsyncClient) -> None:
    settings = load_settings()
    url = "/v1/sessions/s1/messages"
    body = {"to": "4915112345678", "text": "hi"}
    expired = mint_token(settings, "acme", ["messages:send"], ttl_s=-10)
    forged = _token({}, key="not-the-gateway-secret-but-long-enough-0123456789")
    cases: list[tuple[dict[str, str], int]] = [
        ({}, 401),
        ({"Authorization": "Bearer garbage"}, 401),
        ({"Authorization": f"Bearer {expired}"}, 401),
        ({"Authorization": f"Bearer {forged}"}, 401),
        (auth(settings, "acme", ["sessions:write"]), 403),
    ]
    for headers, status in cases:
        response = await offline_client.post(url, json=body, headers=headers)
        assert response.status_code == status, (headers, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status
        assert problem["field"] in ("Authorization", "scope")


async def test_http_wrong_audience_and_issuer(gateway_settings: Settings) -> None:
    strict = gateway_settings.model_copy(
        update={"jwt_audience": "wastream-api", "jwt_issuer": "https://issuer.test"}
    )
    async with gateway_client(strict) as client:
        sid = new_session_id()
        good = {"Authorization": f"Bearer {mint_token(strict, 'acme', ['sessions:write'])}"}
        response = await client.post("/v1/sessions", json={"session_id": sid}, headers=good)
        assert response.status_code == 202, response.text
        for claims in (
            {"aud": "other", "iss": "https://issuer.test"},
            {"aud": "wastream-api", "iss": "https://other.test"},
        ):
            token = jwt.encode(
                {"tenant": "acme", "scope": "sessions:write", "exp": time.time() + 60, **claims},
                strict.jwt_secret,
                algorithm="HS256",
            )
            response = await client.post(
                f"/v1/sessions/{sid}/stop", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401, response.text
