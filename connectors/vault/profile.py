"""What restores a WhatsApp Web login: the profile's IndexedDB and Local Storage, as a tarball."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

from connectors.vault.exceptions import VaultError

__all__ = ["LOGIN_PARTS", "pack_login", "unpack_login"]

# Chromium keeps origin storage in the profile's Default folder; WhatsApp Web's keys are
# non-extractable CryptoKeys inside IndexedDB, so cookies or a storage_state export cannot
# restore a login, while these folders can.
LOGIN_PARTS = ("Default/IndexedDB", "Default/Local Storage")
_SKIPPED = {"LOCK", "SingletonLock", "SingletonCookie", "SingletonSocket"}


def pack_login(profile_dir: Path) -> bytes:
    """A tarball of the login parts of ``profile_dir`` (lock files left out)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for part in LOGIN_PARTS:
            root = profile_dir / part
            if not root.exists():
                continue
            for path in sorted(root.rglob("*")):
                if path.name in _SKIPPED or not (path.is_file() or path.is_dir()):
                    continue
                tar.add(path, arcname=str(path.relative_to(profile_dir)), recursive=False)
    return buffer.getvalue()


def unpack_login(data: bytes, profile_dir: Path) -> None:
    """Unpack a login into ``profile_dir``, replacing the login parts already there."""
    for part in LOGIN_PARTS:
        shutil.rmtree(profile_dir / part, ignore_errors=True)
    profile_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            members = tar.getmembers()
            for member in members:
                if not any(member.name.startswith(part) for part in LOGIN_PARTS):
                    raise VaultError(f"unexpected path {member.name!r} in a login archive")
            tar.extractall(profile_dir, members=members, filter="data")
    except tarfile.TarError as exc:
        raise VaultError(f"a login archive could not be unpacked: {exc}") from exc
