"""Snapshot updates: how the sessions table's rows change."""

from __future__ import annotations

import pytest

from schemas.codec import AvroCodec
from streams.snapshots import SessionUpdate, apply_update


def test_updates_build_a_valid_snapshot() -> None:
    first = SessionUpdate("s1", "t1", set={"desired": "RUNNING", "worker": "w1"}, at=1000)
    snapshot = apply_update(None, SessionUpdate.loads(first.dumps()))
    snapshot = apply_update(snapshot, SessionUpdate("s1", "t1", set={"state": "READY"}, at=2000))
    snapshot = apply_update(snapshot, SessionUpdate("s1", "t1", incr={"sent": 2}, at=1500))
    snapshot = apply_update(snapshot, SessionUpdate("s1", "t1", incr={"sent": 1}, at=2500))
    assert snapshot["desired"] == "RUNNING"
    assert snapshot["state"] == "READY"
    assert snapshot["counters"] == {"sent": 3}
    assert snapshot["updated_at"] == 2500
    codec = AvroCodec()
    assert codec.decode_as("SessionSnapshot", codec.encode("SessionSnapshot", snapshot)) == snapshot


def test_a_former_owner_cannot_overwrite_the_new_owners_state() -> None:
    snapshot = apply_update(None, SessionUpdate("s1", "t1", set={"worker": "w2", "state": "READY"}))
    late = SessionUpdate("s1", "t1", set={"state": "STOPPED", "vault_version": 9}, origin="w1")
    after = apply_update(snapshot, late)
    assert after["state"] == "READY"
    assert after["vault_version"] == 9
    own = SessionUpdate("s1", "t1", set={"state": "DISCONNECTED"}, origin="w2")
    assert apply_update(after, own)["state"] == "DISCONNECTED"


def test_vault_version_never_goes_back() -> None:
    snapshot = apply_update(None, SessionUpdate("s1", "t1", set={"vault_version": 5}))
    assert (
        apply_update(snapshot, SessionUpdate("s1", "t1", set={"vault_version": 3}))["vault_version"]
        == 5
    )


def test_unknown_fields_are_refused() -> None:
    raw = SessionUpdate("s1", "t1", set={"state": "READY"}).dumps().replace(b'"state"', b'"bogus"')
    with pytest.raises(ValueError, match="bogus"):
        SessionUpdate.loads(raw)


def test_vault_version_zero_forgets_the_login() -> None:
    snapshot = apply_update(None, SessionUpdate("s1", "t1", set={"vault_version": 5}))
    forgotten = apply_update(snapshot, SessionUpdate("s1", "t1", set={"vault_version": 0}))
    assert forgotten["vault_version"] == 0
