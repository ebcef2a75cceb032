"""Commands' texts, phone numbers and JIDs fuzzed through a READY ``WhatsAppSession`` in headless
Chromium against the sandbox (the codec side is ``tests/schemas/test_properties.py``).

- Any text the gateway accepts (1 to ``MAX_TEXT_CHARS`` characters of any Unicode) reaches the
  recipient's inbox exactly as sent, exactly once, under the message id derived from the
  command id; a retry of the command does not send it again.
- Any string as a recipient either reaches the real account it names or fails quickly with a
  ``PermanentError`` of a specific code, which the streams layer classifies as a permanent
  command failure (never a timeout, a transient or an untyped error), and nothing is sent.
- Any strings as mentions and as the quoted message id: the text goes out with the mentions,
  or nothing goes out and the error is permanent and specific.
- Checking any strings as numbers answers each one: the JID of a real account, else ``""``.
- Whatever the input, the session stays READY (no state change, no page recycle) and a normal
  send still works after it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from connectors.sandbox import PhoneClient, SandboxServer
from connectors.whatsapp import (
    Codes,
    MessageSent,
    PermanentError,
    StateChanged,
    WhatsAppError,
    WhatsAppSession,
    chat_jid,
    message_id_for,
)
from gateway.validation import MAX_TEXT_CHARS
from streams.connector import classify
from streams.exceptions import PermanentFailure
from tests.connectors.whatsapp.conftest import Recorder, Sessions

# Every example is a round trip through Chromium and the sandbox on one shared session. No
# shrinking: once an example broke the session, every later one fails too, so shrinking would
# only find a misleading "smallest" input; the arguments of a failing example are short as drawn
# (long texts are built in the test). No example database: nothing written into the tree.
PROPERTY = settings(
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)
#: A send to the sandbox takes well under a second; this leaves room for a loaded machine and
#: stays below a bridge call's timeout (page_timeout_s, 15 s), which fails differently.
QUICK_S = 10.0
#: What a send to a recipient that is no real account may fail with.
RECIPIENT_CODES = frozenset(
    {Codes.INVALID_RECIPIENT, Codes.NOT_ON_WHATSAPP, Codes.NOT_FOUND, Codes.INVALID_REQUEST}
)
#: What a send with bad mentions or a bad quoted message id may fail with.
REFERENCE_CODES = frozenset({Codes.INVALID_RECIPIENT, Codes.INVALID_REQUEST})

_commands = itertools.count()

# Texts -------------------------------------------------------------------------------------------

TRICKY_FRAGMENTS = (
    # joiners, direction marks, combining marks, variation selectors, BOM, JS line separators
    "\u200d", "\u200c", "\u200b", "\u200e", "\u200f", "\u202e", "\u2066", "\u2069", "\u0301",
    "e\u0301", "\u0308\u0308\u0308", "\u20dd", "\ufe0f", "\ufeff", "\u2028", "\u2029", "\ufffd",
    # emoji: ZWJ families, flags, skin tones; astral planes
    "👩‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🇺🇦", "😀", "\U0001f9d1\u200d\U0001f4bb", "\U0001d573\U0001d58a",
    "\U0010fffd",
    # right-to-left scripts
    "مرحبا بالعالم", "שלום עולם", "ﷺ", "\u0645\u064e\u0631\u0652",
    # control characters and line ends
    "\x00", "\x01", "\x1b[31m", "\x7f", "\r\n", "\n", "\r", "\t", "\x0b", "\x0c",
    # quotes, escapes, markup and template syntax
    '"', "'", "`", "\\", "\\\\", "\\u0000", "\\n", "\\x00", "${}", "${alert(1)}", "#{x}", "%s%n%d",
    "{{constructor.constructor('alert(1)')()}}", "</script><img src=x onerror=alert(1)>",
    "<script>alert(document.cookie)</script>", "<!--", "-->", "]]>", "&amp;", "&#0;", "&lt;",
    "javascript:alert(1)", "'); DROP TABLE messages; --", "*bold* _italic_ ~strike~ ```mono```",
    # names that mean something to JavaScript and JSON
    "__proto__", "constructor", "prototype", "toString", "undefined", "null", "NaN",
    "[object Object]",
    '{"ok":false,"code":"PAGE_ERROR"}', '{"__proto__":{"polluted":1}}', "true_1@c.us_3EB0",
    # mentions, links, whitespace only
    "@15550000000", "https://example.com/?a=1&b=<2>", " ", "   ", "\u3000", "\u00a0",
)  # fmt: skip

fragments = st.one_of(st.sampled_from(TRICKY_FRAGMENTS), st.text(min_size=1, max_size=24))
pieces = st.lists(fragments, min_size=1, max_size=16).map("".join)


@st.composite
def stretches(draw: st.DrawFn) -> int | None:
    """Mostly None (the piece is the text); now and then a length up to the gateway's limit."""
    if draw(st.integers(min_value=0, max_value=11)) != 7:
        return None
    return draw(st.one_of(st.just(MAX_TEXT_CHARS), st.integers(1_000, MAX_TEXT_CHARS)))


def stretched(piece: str, length: int | None) -> str:
    """An example's text: ``piece`` as drawn (cut at the limit), or repeated to ``length``."""
    if length is None:
        return piece[:MAX_TEXT_CHARS]
    return (piece * (length // len(piece) + 1))[:length]


# Recipients --------------------------------------------------------------------------------------

#: Spellings of the peer (a real account) and of the session's own account: these must work.
REAL_SPELLINGS = (
    "{peer}", "+{peer}", " {peer} ", "\t+{peer}\n", "{peer}@c.us", " {peer}@c.us ",
    "{peer}@s.whatsapp.net", "+{peer}@c.us", "{me}", "{me}@c.us",
)  # fmt: skip
#: Near misses of the peer's number, and odd shapes of numbers and JIDs.
MALFORMED = (
    "", " ", "+", "++{peer}", "+ {peer}", "{peer} 1", "{peer}-", "-{peer}", "(+{peer})",
    "+1 555-200-0123", "+1 (555) 200 0123", "1-555-200-0123", "1.555.200.0123", "0{peer}",
    "{peer}@", "@c.us", "@g.us", "{peer}@@c.us", "{peer}@c.us@c.us", "{peer}@C.US", "{peer}@c.us.",
    "{peer}@c.us\x00", "{peer}\x00@c.us", "{peer}\u200b", "\u200b{peer}", "{peer}:1@c.us",
    "{peer}.0:2@c.us", "{peer}@lid", "{peer}@g.us", "{peer}@broadcast", "{peer}@newsletter",
    "status@broadcast", "0@c.us", "0@s.whatsapp.net", "1@c.us", "a_b@c.us", "a.b@c.us", "x@lid",
    "120363000000000000@g.us", "120363000000000000-1700000000@g.us", "1234567890-1234567890@g.us",
    "1" * 5, "1" * 15, "1" * 16, "1" * 20, "1" * 21, "9" * 1000, "9" * 10_000 + "@c.us",
    "a" * 128 + "@c.us", "a" * 127 + "@c.us", "<script>@c.us", "${peer}", "__proto__",
    "constructor@c.us", "toString@g.us", "null", "undefined", "NaN@c.us",
    # the peer's number in the digits of other scripts, whole or all but the first
    "{peer_arabic}", "{peer_fullwidth}", "{peer_arabic}@c.us", "{peer_1arabic}",
    "{peer_1fullwidth}", "{peer_1arabic}@c.us", "+{peer_1arabic}",
)  # fmt: skip

unicode_digits = st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=24)
recipient_templates = st.one_of(
    st.sampled_from(REAL_SPELLINGS),
    st.sampled_from(MALFORMED),
    st.text(max_size=48),
    st.text(alphabet="0123456789+ -()./", max_size=32),
    unicode_digits,
    unicode_digits.map(lambda digits: f"1{digits}"),
    unicode_digits.map(lambda digits: f"{digits}@c.us"),
    # numbers of the right shape that are no account (the accounts here are 1555…)
    st.from_regex(r"\A(19999|2|3|4|7|9)[0-9]{4,15}\Z"),
    st.from_regex(r"\A[0-9A-Za-z][0-9A-Za-z.:_-]{0,24}@(c\.us|g\.us|lid|broadcast|newsletter)\Z"),
    st.from_regex(r"\A[0-9]{6,24}(-[0-9]{6,12})?@g\.us\Z"),
    st.from_regex(r"\A[0-9]{1,20}@s\.whatsapp\.net\Z"),
)
#: Quoted message ids: none, anything, key-shaped strings, and the key of a message sent before.
quoted_ids = st.one_of(
    st.none(),
    st.just("{quoted}"),
    st.text(max_size=60),
    st.builds(
        "{}_{}_{}".format,
        st.sampled_from(["true", "false", "", "TRUE"]),
        recipient_templates,
        st.text(alphabet="0123456789ABCDEF-_", max_size=24),
    ),
)


def in_digits(zero: str, number: str) -> str:
    """``number`` written with the ten digits that start at ``zero``."""
    return "".join(chr(ord(zero) + int(digit)) for digit in number)


@dataclass
class Chat:
    me: str
    session: WhatsAppSession
    events: Recorder
    peer: str
    quoted: str  # the key of a message to the peer
    states: int  # StateChanged events up to READY

    def spell(self, template: str) -> str:
        names = {
            "{peer}": self.peer,
            "{me}": self.me,
            "{quoted}": self.quoted,
            "{peer_arabic}": in_digits("\u0660", self.peer),
            "{peer_fullwidth}": in_digits("\uff10", self.peer),
            "{peer_1arabic}": self.peer[0] + in_digits("\u0660", self.peer[1:]),
            "{peer_1fullwidth}": self.peer[0] + in_digits("\uff10", self.peer[1:]),
        }
        for name, value in names.items():
            template = template.replace(name, value)
        return template

    def assert_still_ready(self) -> None:
        assert self.session.state == "READY"
        assert len(self.events.of(StateChanged)) == self.states, self.events.states()
        assert self.session.recycles == 0


@pytest.fixture(scope="module")
async def chat(module_sessions: Sessions) -> Chat:
    me, session, events = await module_sessions.linked("Alice")
    peer = await module_sessions.account("Bob")
    quoted = await session.send_text(
        peer, "quote me", message_id=message_id_for("fuzz-quoted"), reply_to=None, mentions=[]
    )
    return Chat(me, session, events, peer, quoted, len(events.of(StateChanged)))


def next_command(drawn: str) -> str:
    """A command id never used before in this module (a message id is never reused)."""
    return f"fuzz-{next(_commands)}-{drawn}"


def account_jid(recipient: str, sandbox: SandboxServer) -> str | None:
    """The JID of the real account ``recipient`` names in a spelling the connector accepts."""
    try:
        jid = chat_jid(recipient)
    except PermanentError:
        return None
    user, _, server = jid.partition("@")
    return jid if server == "c.us" and user in sandbox.network.accounts else None


def assert_permanent(exc: WhatsAppError, codes: frozenset[str]) -> None:
    assert isinstance(exc, PermanentError), exc
    assert exc.code in codes, exc
    failure = classify(exc)
    assert isinstance(failure, PermanentFailure)
    assert failure.code == exc.code


async def outcome_of(operation: Awaitable[str]) -> str | WhatsAppError:
    """What an operation answered, or the connector's error it raised."""
    try:
        return await operation
    except WhatsAppError as exc:
        return exc


async def send(chat: Chat, to: str, text: str, command: str) -> str:
    return await chat.session.send_text(
        to, text, message_id=message_id_for(command), reply_to=None, mentions=[]
    )


async def assert_sends_normally(chat: Chat, phone: PhoneClient) -> None:
    command = next_command("control")
    await send(chat, chat.peer, "still working", command)
    inbox = await phone.inbox(chat.peer, chat.me)
    assert [m["text"] for m in inbox if m["id"] == message_id_for(command)] == ["still working"]


@settings(PROPERTY, max_examples=40)
@given(piece=pieces, length=stretches(), drawn=st.text(max_size=40))
@example(piece="👩‍👩‍👧‍👦", length=MAX_TEXT_CHARS, drawn="longest")
@example(piece="x", length=None, drawn="")
async def test_any_gateway_text_arrives_exactly_as_sent_once(
    chat: Chat, phone: PhoneClient, piece: str, length: int | None, drawn: str
) -> None:
    text = stretched(piece, length)
    assert 1 <= len(text) <= MAX_TEXT_CHARS
    command = next_command(drawn)
    message_id = message_id_for(command)
    before = len(await phone.inbox(chat.peer, chat.me))

    sent = await send(chat, chat.peer, text, command)
    again = await send(chat, chat.peer, text, command)

    assert sent == again == f"true_{chat.peer}@c.us_{message_id}"
    inbox = await phone.inbox(chat.peer, chat.me)
    assert len(inbox) == before + 1
    assert [(m["id"], m["from_me"], m["text"]) for m in inbox if m["id"] == message_id] == [
        (message_id, False, text)
    ]
    reported = await chat.events.wait(lambda e: isinstance(e, MessageSent) and e.message_id == sent)
    assert reported.record["body"] == text
    chat.assert_still_ready()


@settings(PROPERTY, max_examples=70)
@given(template=recipient_templates, drawn=st.text(max_size=16))
async def test_any_recipient_reaches_its_account_or_fails_permanently(
    chat: Chat, phone: PhoneClient, sandbox: SandboxServer, template: str, drawn: str
) -> None:
    to = chat.spell(template)
    expected = account_jid(to, sandbox)
    command = next_command(drawn)
    started = time.monotonic()
    sent = await outcome_of(send(chat, to, "fuzzed recipient", command))
    if isinstance(sent, WhatsAppError):
        assert expected is None, sent
        assert_permanent(sent, RECIPIENT_CODES)
        if not to.strip().isascii():
            assert sent.code == Codes.INVALID_RECIPIENT  # refused before it reaches WhatsApp
        assert (chat.me, message_id_for(command)) not in sandbox.network.index
    else:
        assert expected is not None, sent
        assert sent == f"true_{expected}_{message_id_for(command)}"
        inbox = await phone.inbox(expected.removesuffix("@c.us"), chat.me)
        assert [m["text"] for m in inbox if m["id"] == message_id_for(command)] == [
            "fuzzed recipient"
        ]
    assert time.monotonic() - started < QUICK_S
    chat.assert_still_ready()
    await assert_sends_normally(chat, phone)


@settings(PROPERTY, max_examples=30)
@given(
    mentions=st.lists(recipient_templates, max_size=4),
    quoted=quoted_ids,
    drawn=st.text(max_size=16),
)
async def test_any_mentions_and_quoted_id_go_out_with_the_text_or_fail_permanently(
    chat: Chat,
    phone: PhoneClient,
    sandbox: SandboxServer,
    mentions: list[str],
    quoted: str | None,
    drawn: str,
) -> None:
    mentioned = [chat.spell(template) for template in mentions]
    reply_to = chat.spell(quoted) if quoted is not None else None
    message_id = message_id_for(next_command(drawn))
    started = time.monotonic()
    sent = await outcome_of(
        chat.session.send_text(
            chat.peer, "fuzzed refs", message_id=message_id, reply_to=reply_to, mentions=mentioned
        )
    )
    if isinstance(sent, WhatsAppError):
        assert_permanent(sent, REFERENCE_CODES)
        assert (chat.me, message_id) not in sandbox.network.index
    else:
        stored = sandbox.network.find_message(chat.peer, chat.me, message_id)
        assert stored.body == "fuzzed refs"
        assert stored.mentions == tuple(chat_jid(m).removesuffix("@c.us") for m in mentioned)
        if reply_to == chat.quoted:
            assert stored.quoted_id == message_id_for("fuzz-quoted")
    assert time.monotonic() - started < QUICK_S
    chat.assert_still_ready()
    await assert_sends_normally(chat, phone)


@settings(PROPERTY, max_examples=25)
@given(templates=st.lists(recipient_templates, max_size=6))
async def test_checking_any_numbers_answers_each_one(
    chat: Chat, phone: PhoneClient, sandbox: SandboxServer, templates: list[str]
) -> None:
    numbers = [chat.spell(template) for template in templates]
    started = time.monotonic()

    found = await chat.session.check_numbers(numbers)

    assert time.monotonic() - started < QUICK_S
    assert found == {number: account_jid(number, sandbox) or "" for number in numbers}
    chat.assert_still_ready()
    await assert_sends_normally(chat, phone)
