"""Every group operation from a page, each seen as its gp2 message on another member's page."""

from __future__ import annotations

from typing import Any

from connectors.sandbox import PhoneClient

GROUP_JS = """async ([op, group, arg]) => {
  const req = window.require;
  const wid = req('WAWebWidFactory').createWid;
  const chat = group ? req('WAWebCollections').Chat.get(group) : null;
  switch (op) {
    case 'create': {
      const res = await req('WAWebGroupCreateJob').createGroup(
        { title: arg.title }, arg.members.map(m => ({ phoneNumber: wid(m) })));
      const results = res.participants.map(p => [p.wid._serialized, p.error || 200]);
      return { wid: res.wid._serialized, participants: results };
    }
    case 'add': case 'remove': case 'promote': case 'demote': {
      const name = op + 'Participants';
      return req('WAWebModifyParticipantsGroupAction')[name](chat, [wid(arg)]);
    }
    case 'subject': return req('WAWebGroupModifyInfoJob').setGroupSubject(wid(group), arg);
    case 'description': return req('WAWebGroupModifyInfoJob').setGroupDescription(wid(group), arg);
    case 'invite': return req('WAWebMexFetchGroupInviteCodeJob').fetchMexGroupInviteCode(group);
    case 'leave': return req('WAWebExitGroupAction').sendExitGroup(chat);
    case 'meta': {
      const meta = req('WAWebGroupMetadataCollection').get(group);
      return { subject: meta.subject, desc: meta.desc, owner: meta.owner._serialized,
        participants: meta.participants.map(p => [p.id._serialized, p.isAdmin]),
        iAmAdmin: meta.iAmAdmin(), canAdd: meta.participants.canAdd() };
    }
  }
}"""


async def test_every_group_operation_posts_its_gp2(pages: Any, phone: PhoneClient) -> None:
    ann, ann_page = await pages.linked("Ann")
    ben, ben_page = await pages.linked("Ben")
    cy = await pages.account("Cy")
    dee = await pages.account("Dee")

    async def do(op: str, group: str | None = None, arg: Any = None) -> Any:
        return await ann_page.evaluate(GROUP_JS, [op, group, arg])

    created = await do(
        "create", None, {"title": "Sandbox team", "members": [f"{ben}@c.us", "19999999999@c.us"]}
    )
    gid = created["wid"]
    assert gid.endswith("@g.us")
    assert created["participants"] == [[f"{ben}@c.us", 200], ["19999999999@c.us", 404]]
    await do("add", gid, f"{cy}@c.us")
    await do("promote", gid, f"{ben}@c.us")
    await do("demote", gid, f"{ben}@c.us")
    await do("subject", gid, "Renamed team")
    await do("description", gid, "What we do")
    code = await do("invite", gid)
    assert len(code) == 22
    await phone.call("POST", f"/phone/{dee}/groups/join", {"code": code})
    await do("remove", gid, f"{cy}@c.us")
    await phone.send(ben, gid, "hello group", id="G1")

    log = await pages.wait_log(ben_page, "e.ev === 'add' && e.body === 'hello group'")
    gp2 = [(e["subtype"], e["recipients"]) for e in log if e["ev"] == "add" and e["type"] == "gp2"]
    assert gp2 == [
        ("create", [f"{ben}@c.us"]),
        ("add", [f"{cy}@c.us"]),
        ("promote", [f"{ben}@c.us"]),
        ("demote", [f"{ben}@c.us"]),
        ("subject", []),
        ("description", []),
        ("invite", [f"{dee}@c.us"]),
        ("remove", [f"{cy}@c.us"]),
    ]
    authors = {e["author"] for e in log if e["ev"] == "add" and e["subtype"] in ("add", "remove")}
    assert authors == {f"{ann}@c.us"}
    (group_msg,) = [e for e in log if e["ev"] == "add" and e["body"] == "hello group"]
    assert group_msg["id"] == f"true_{gid}_G1_{ben}@c.us"  # sent from his own phone
    assert group_msg["isNewMsg"] is True

    meta = await ben_page.evaluate(GROUP_JS, ["meta", gid, None])
    assert meta["subject"] == "Renamed team"
    assert meta["desc"] == "What we do"
    assert meta["owner"] == f"{ann}@c.us"
    assert meta["participants"] == [
        [f"{ann}@c.us", True],
        [f"{ben}@c.us", False],
        [f"{dee}@c.us", False],
    ]
    assert meta["canAdd"] is False

    refused = await ben_page.evaluate(
        """async ([group, who]) => {
          try {
            await window.require('WAWebModifyParticipantsGroupAction').addParticipants(
              window.require('WAWebCollections').Chat.get(group), [who]);
            return null;
          } catch (err) { return [err.name, err.code]; }
        }""",
        [gid, f"{cy}@c.us"],
    )
    assert refused == ["ServerStatusCodeError", "not-admin"]

    await ben_page.evaluate(GROUP_JS, ["leave", gid, None])
    await pages.wait_log(ann_page, "e.ev === 'add' && e.subtype === 'leave'")
    inbox = [m["subtype"] for m in await phone.inbox(dee, gid) if m["type"] == "gp2"]
    assert inbox == ["invite", "remove", "leave"]
    ben_chat = await ben_page.evaluate(
        "(g) => window.require('WAWebCollections').Chat.get(g).isReadOnly", gid
    )
    assert ben_chat is True


async def test_group_info_in_the_visible_page(pages: Any, phone: PhoneClient) -> None:
    ann, page = await pages.linked("Ann")
    ben = await pages.account("Ben")
    await page.fill("#new-group-subject", "Visible group")
    await page.fill("#new-group-members", ben)
    await page.click("#create-group")
    await page.wait_for_selector("#chat-title:has-text('Visible group')")
    await page.click("#chat-title")
    await page.wait_for_selector(f"#group-info .participant[data-jid='{ben}@c.us']")
    owner = page.locator(f"#group-info .participant[data-jid='{ann}@c.us'] .badge")
    assert await owner.inner_text() == "Group owner"
    await page.click(f"#group-info .participant[data-jid='{ben}@c.us'] >> text=Make admin")
    await page.wait_for_selector(f"#group-info .participant[data-jid='{ben}@c.us'] .badge")
    subtypes = [m["subtype"] for m in await phone.inbox(ben) if m["type"] == "gp2"]
    assert subtypes == ["create", "promote"]
