"""Message ids, keys and JIDs."""

from __future__ import annotations

import re

import pytest

from connectors.whatsapp import MessageKey, PermanentError, chat_jid, message_id_for, parse_key
from connectors.whatsapp.ids import user_jid


def test_message_ids_derive_from_the_command_id() -> None:
    first = message_id_for("cmd-1")
    assert re.fullmatch(r"3EB0[0-9A-F]{16}", first)
    assert message_id_for("cmd-1") == first == message_id_for("cmd-1", 0)
    others = {message_id_for("cmd-1", 1), message_id_for("cmd-2"), message_id_for("cmd-10")}
    assert first not in others
    assert len(others) == 3
    with pytest.raises(ValueError, match="negative"):
        message_id_for("cmd-1", -1)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("15550001111", "15550001111@c.us"),
        ("+15550001111", "15550001111@c.us"),
        ("15550001111@c.us", "15550001111@c.us"),
        ("15550001111@s.whatsapp.net", "15550001111@c.us"),
        ("120363012345678901@g.us", "120363012345678901@g.us"),
        ("abc123@lid", "abc123@lid"),
    ],
)
def test_chat_jids(given: str, expected: str) -> None:
    assert chat_jid(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "",
        "abc",
        "0123",
        "1555@x.com",
        "15550001111@",
        "@c.us",
        # digits of other scripts (Arabic-Indic, fullwidth) are no phone number
        "1\u0665\u0665\u0665\u0660\u0660\u0660\u0661\u0661\u0661\u0661",
        "1\uff15\uff15\uff15\uff10\uff10\uff10\uff11\uff11\uff11\uff11@c.us",
        # "_" separates the parts of a serialized message key
        "1555_0001111@c.us",
        "abc_123@lid",
    ],
)
def test_bad_recipients(given: str) -> None:
    with pytest.raises(PermanentError) as caught:
        chat_jid(given)
    assert caught.value.code == "INVALID_RECIPIENT"


def test_user_jids_refuse_groups() -> None:
    with pytest.raises(PermanentError):
        user_jid("120363012345678901@g.us")


def test_keys_round_trip() -> None:
    direct = MessageKey(True, "15550001111@c.us", "3EB0AA")
    group = MessageKey(False, "1203@g.us", "ABC", "15550002222@c.us")
    assert str(direct) == "true_15550001111@c.us_3EB0AA"
    assert str(group) == "false_1203@g.us_ABC_15550002222@c.us"
    assert parse_key(str(direct)) == direct
    assert parse_key(str(group)) == group
    for bad in ("", "maybe_15550001111@c.us_X", "true_15550001111@c.us", "true_x_y_z_w"):
        with pytest.raises(PermanentError):
            parse_key(bad)
