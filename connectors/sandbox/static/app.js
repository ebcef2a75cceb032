// The sandbox's visible client, built on the same module surface a connector uses.

const req = name => window.require(name);
const { Socket } = req('WAWebSocketModel');
const { Conn } = req('WAWebConnModel');
const { Cmd } = req('WAWebCmd');
const { Chat, Msg, Contact, GroupMetadata } = req('WAWebCollections');
const MsgKey = req('WAWebMsgKey');
const { createWid } = req('WAWebWidFactory');

const app = document.getElementById('app');
const ui = { chat: null, showInfo: false, codeMode: false, code: null, error: null };
let scheduled = false;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function render() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    draw();
  });
}

const timeOf = t => (t ? new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '');
const me = () => req('WAWebUserPrefsMeUser').getMaybeMePnUser();
const nameOf = wid => {
  if (!wid) return '';
  if (me() && wid._serialized === me()._serialized) return 'You';
  const c = Contact.get(wid);
  return c ? c.formattedName : '+' + wid.user;
};

function tick(ack) {
  if (ack === -1) return h('span', { class: 'tick error', title: 'not sent' }, '!');
  if (ack === 0) return h('span', { class: 'tick', title: 'pending' }, '🕓');
  if (ack === 1) return h('span', { class: 'tick', title: 'sent' }, '✓');
  return h('span', { class: 'tick' + (ack >= 3 ? ' read' : ''), title: ack >= 3 ? 'read' : 'delivered' }, '✓✓');
}

function systemText(m) {
  const who = nameOf(m.author);
  const whom = (m.recipients || []).map(nameOf).join(', ');
  switch (m.subtype) {
    case 'create': return `${who} created group "${m.body}"`;
    case 'add': return `${who} added ${whom}`;
    case 'invite': return `${whom} joined using this group's invite link`;
    case 'remove': return `${who} removed ${whom}`;
    case 'leave': return `${whom} left`;
    case 'promote': return `${who} made ${whom} an admin`;
    case 'demote': return `${who} dismissed ${whom} as admin`;
    case 'subject': return `${who} changed the group name to "${m.body}"`;
    case 'description': return `${who} changed the group description`;
    default: return `${who}: ${m.subtype} ${m.body || ''}`;
  }
}

// Login ------------------------------------------------------------------------------------------

function drawQr(container) {
  const { link } = req('WASandboxPage');
  const qr = link && link.qr;
  const canvas = h('canvas', { width: 264, height: 264, 'aria-label': 'Scan this QR code to link a device' });
  if (qr) {
    const ctx = canvas.getContext('2d');
    const cell = Math.floor(264 / qr.size);
    const off = Math.floor((264 - cell * qr.size) / 2);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 264, 264);
    ctx.fillStyle = '#122e31';
    qr.rows.forEach((row, y) => {
      for (let x = 0; x < row.length; x++) if (row[x] === '1') ctx.fillRect(off + x * cell, off + y * cell, cell, cell);
    });
  }
  container.append(canvas);
}

function qrScreen() {
  const idle = Socket.state === 'UNPAIRED_IDLE';
  const { link } = req('WASandboxPage');
  const box = h('div', { class: 'qr-box' });
  if (ui.codeMode) {
    box.append(ui.code
      ? h('div', {}, h('div', { class: 'muted' }, 'Enter this code on your phone'),
        h('div', { class: 'link-code', 'data-link-code': ui.code }, ui.code.slice(0, 4) + '-' + ui.code.slice(4)))
      : h('form', {
        onsubmit: async ev => {
          ev.preventDefault();
          const phone = ev.target.phone.value.replace(/\D/g, '');
          ui.error = null;
          try {
            ui.code = await req('WAWebAltDeviceLinkingApi').startAltLinkingFlow(phone, true);
          } catch (err) { ui.error = err.message; }
          render();
        },
      }, h('div', { class: 'muted' }, 'Enter your phone number'),
      h('div', { class: 'row' }, h('input', { name: 'phone', id: 'link-phone-number', placeholder: '15550001111', autofocus: true }),
        h('button', { type: 'submit', id: 'link-phone-next' }, 'Next')),
      ui.error && h('div', { class: 'muted' }, ui.error)));
  } else {
    const holder = h('div', { 'data-ref': link && link.payload ? link.payload : '' });
    if (idle) {
      holder.append(h('span', {}, h('button', { onclick: () => Cmd.refreshQR() }, 'Click to reload QR code')));
    } else {
      drawQr(holder);
    }
    box.append(holder);
  }
  return h('div', { class: 'landing' },
    h('div', { class: 'brand' }, 'WHATSAPP WEB · SANDBOX'),
    new URLSearchParams(location.search).has('post_logout') && h('div', { class: 'muted' }, 'You were logged out from your phone.'),
    h('div', { class: 'card' },
      h('div', {},
        h('h1', {}, 'Use WhatsApp on your computer'),
        h('ol', {},
          h('li', {}, 'Open WhatsApp on your phone (the sandbox phone API)'),
          h('li', {}, 'Tap Menu › Linked devices › Link a device'),
          h('li', {}, ui.codeMode ? 'Choose “Link with phone number” and type the code' : 'Point your phone at this screen to capture the QR code')),
        h('button', { class: 'plain', id: 'toggle-link-mode', onclick: () => { ui.codeMode = !ui.codeMode; ui.code = null; render(); } },
          ui.codeMode ? 'Link with QR code' : 'Link with phone number instead')),
      box));
}

// Main screen ----------------------------------------------------------------------------------------

async function openChat(jid) {
  const { chat } = await req('WAWebFindChatAction').findOrCreateLatestChat(createWid(jid));
  ui.chat = chat.id._serialized;
  ui.showInfo = false;
  if (chat.unreadCount) req('WAWebUpdateUnreadChatAction').sendSeen(chat).catch(() => {});
  render();
}

function sendText(chat, text) {
  const from = me();
  const key = new MsgKey({
    from, to: chat.id, id: MsgKey.newId(), participant: chat.id.isGroup() ? from : undefined, selfDir: 'out',
  });
  req('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, {
    id: key, ack: 0, body: text, from, to: chat.id, local: true, self: 'out',
    t: Math.floor(Date.now() / 1000), isNewMsg: true, type: 'chat',
  });
}

// A chat's preview shows the start of its last message: laying out a whole long text (up to
// 65,536 characters of mixed scripts) at every render would stall the page for seconds.
const PREVIEW_CHARS = 200;
const clip = (text, max) => (text.length <= max ? text : Array.from(text.slice(0, 2 * max)).slice(0, max).join('') + '…');

function sidebar() {
  const chats = Chat.getModelsArray().sort((a, b) => (b.t || 0) - (a.t || 0));
  const mine = me();
  return h('aside', { class: 'sidebar' },
    h('div', { class: 'bar' },
      h('div', { class: 'avatar', style: 'background:#00a884' }, (Conn.pushname || '?')[0]),
      h('div', { class: 'grow' }, h('div', {}, Conn.pushname || ''), h('div', { class: 'muted', id: 'me' }, mine ? '+' + mine.user : '')),
      h('button', { class: 'plain', id: 'logout', onclick: () => Socket.logout() }, 'Log out')),
    h('form', {
      class: 'tools', onsubmit: ev => { ev.preventDefault(); const n = ev.target.number.value.replace(/\D/g, ''); if (n) openChat(n + '@c.us'); },
    }, h('input', { name: 'number', id: 'new-chat-number', placeholder: 'New chat: phone number' }), h('button', { type: 'submit' }, 'Chat')),
    h('form', {
      class: 'tools',
      onsubmit: async ev => {
        ev.preventDefault();
        const subject = ev.target.subject.value.trim();
        const members = ev.target.members.value.split(/[ ,]+/).map(s => s.replace(/\D/g, '')).filter(Boolean);
        if (!subject) return;
        const res = await req('WAWebGroupCreateJob').createGroup({ title: subject }, members.map(n => ({ phoneNumber: createWid(n + '@c.us') })));
        openChat(res.wid._serialized);
      },
    }, h('input', { name: 'subject', id: 'new-group-subject', placeholder: 'New group: name' }),
    h('input', { name: 'members', id: 'new-group-members', placeholder: 'numbers' }), h('button', { type: 'submit', id: 'create-group' }, 'Create')),
    h('ul', { class: 'chat-list' }, chats.map(chat => {
      const last = chat.msgs.last();
      const text = !last ? '' : last.type === 'gp2' ? systemText(last) : last.type === 'chat' ? last.body : `[${last.type}] ${last.caption || ''}`;
      const preview = clip(text, PREVIEW_CHARS);
      return h('li', { 'data-chat': chat.id._serialized, class: chat.id._serialized === ui.chat ? 'active' : '', onclick: () => openChat(chat.id._serialized) },
        h('div', { class: 'avatar' }, (chat.name || '?').replace(/^\+/, '')[0]),
        h('div', { class: 'grow', style: 'min-width:0;flex:1' }, h('div', { class: 'name' }, chat.name), h('div', { class: 'last' }, last && last.id.fromMe ? tick(last.ack) : '', ' ', preview)),
        h('div', { class: 'meta' }, timeOf(chat.t), h('br'), chat.unreadCount > 0 ? h('span', { class: 'unread' }, chat.unreadCount) : ''));
    })));
}

function messageView(m, chat) {
  if (m.type === 'gp2') return h('div', { class: 'msg system', 'data-id': m.id._serialized }, systemText(m));
  const out = m.id.fromMe;
  const reactions = [...(req('WASandboxPage').state.reactions.values())].filter(r => r.reactionParentKey._serialized === m.id._serialized && r.reactionText);
  let content;
  if (m.type === 'revoked') content = h('i', { class: 'muted' }, 'This message was deleted');
  else if (m.type === 'image' && m.clientUrl) content = [h('img', { src: m.clientUrl, alt: m.caption || 'image' }), m.caption || ''];
  else if (m.type !== 'chat') content = [h('a', { href: m.clientUrl, target: '_blank' }, `📎 ${m.filename || m.type} (${m.mimetype})`), m.caption ? h('div', {}, m.caption) : ''];
  else content = m.body;
  return h('div', { class: 'msg' + (out ? ' out' : ''), 'data-id': m.id._serialized, 'data-ack': m.ack },
    chat.isGroup && !out ? h('div', { class: 'author' }, nameOf(m.author)) : '',
    content,
    h('span', { class: 'foot' }, m.isEdited ? 'edited ' : '', timeOf(m.t), out ? tick(m.ack) : ''),
    reactions.length ? h('div', { class: 'reactions' }, reactions.map(r => r.reactionText).join(' ')) : '');
}

function conversation() {
  const chat = ui.chat && Chat.get(ui.chat);
  if (!chat) return h('section', { class: 'empty' }, h('div', {}, h('h2', { style: 'font-weight:300' }, 'WhatsApp Web · sandbox'), 'Pick a chat, or start one by number.'));
  const list = h('div', { class: 'messages', id: 'messages' }, chat.msgs.models.slice(-300).map(m => messageView(m, chat)));
  requestAnimationFrame(() => { list.scrollTop = list.scrollHeight; });
  const group = chat.groupMetadata;
  return h('section', { class: 'conversation' },
    h('div', { class: 'bar', style: 'cursor:pointer', onclick: () => { ui.showInfo = !!group && !ui.showInfo; render(); } },
      h('div', { class: 'avatar' }, (chat.name || '?').replace(/^\+/, '')[0]),
      h('div', { class: 'grow' }, h('div', { id: 'chat-title' }, chat.name),
        h('div', { class: 'muted' }, group ? group.participants.map(p => nameOf(p.id)).join(', ') : '+' + chat.id.user))),
    list,
    chat.isReadOnly
      ? h('div', { class: 'compose muted' }, 'You can\'t send messages to this group because you\'re no longer a participant.')
      : h('form', {
        class: 'compose',
        onsubmit: ev => {
          ev.preventDefault();
          const text = ev.target.text.value;
          if (!text.trim()) return;
          ev.target.text.value = '';
          sendText(chat, text);
        },
      }, h('input', { name: 'text', id: 'compose', placeholder: 'Type a message', autocomplete: 'off' }), h('button', { type: 'submit', id: 'send' }, 'Send')));
}

function groupInfo() {
  const chat = ui.chat && Chat.get(ui.chat);
  const group = chat && chat.groupMetadata;
  if (!ui.showInfo || !group) return '';
  const admin = group.iAmAdmin();
  const act = (name, jid) => () => req('WAWebModifyParticipantsGroupAction')[name](group.id, [jid]).catch(err => alert(err.message));
  return h('aside', { class: 'info', id: 'group-info' },
    h('section', {},
      h('h2', { id: 'group-subject' }, group.subject),
      h('div', { class: 'muted' }, `Group · ${group.participants.length} participants`),
      h('form', {
        class: 'row',
        onsubmit: ev => { ev.preventDefault(); req('WAWebGroupModifyInfoJob').setGroupSubject(group.id, ev.target.subject.value).catch(err => alert(err.message)); },
      }, h('input', { name: 'subject', value: group.subject }), h('button', { type: 'submit' }, 'Rename'))),
    h('section', {},
      h('div', { class: 'muted' }, 'Description'),
      h('form', {
        class: 'row',
        onsubmit: ev => { ev.preventDefault(); req('WAWebGroupModifyInfoJob').setGroupDescription(group.id, ev.target.desc.value).catch(err => alert(err.message)); },
      }, h('input', { name: 'desc', value: group.desc || '', placeholder: 'Add group description' }), h('button', { type: 'submit' }, 'Save'))),
    h('section', {},
      h('div', { class: 'muted' }, `${group.participants.length} participants`),
      group.participants.map(p => h('div', { class: 'participant', 'data-jid': p.id._serialized },
        h('div', { class: 'avatar' }, nameOf(p.id)[0]),
        h('div', { class: 'grow' }, nameOf(p.id)),
        p.isAdmin ? h('span', { class: 'badge' }, p.isSuperAdmin ? 'Group owner' : 'Group admin') : '',
        admin && !p.isSuperAdmin && p.id._serialized !== me()._serialized
          ? [h('button', { class: 'plain', onclick: act(p.isAdmin ? 'demoteParticipants' : 'promoteParticipants', p.id) }, p.isAdmin ? 'Dismiss' : 'Make admin'),
            h('button', { class: 'plain', onclick: act('removeParticipants', p.id) }, 'Remove')]
          : '')),
      admin && h('form', {
        class: 'row',
        onsubmit: ev => { ev.preventDefault(); const n = ev.target.number.value.replace(/\D/g, ''); if (n) act('addParticipants', createWid(n + '@c.us'))(); },
      }, h('input', { name: 'number', placeholder: 'Add participant: number' }), h('button', { type: 'submit' }, 'Add'))),
    h('section', {},
      admin && h('button', {
        class: 'plain',
        onclick: async ev => { ev.target.textContent = 'chat.whatsapp.com/' + await req('WAWebMexFetchGroupInviteCodeJob').fetchMexGroupInviteCode(group.id._serialized); },
      }, 'Invite via link'),
      group.iAmMember() && h('button', { class: 'danger', onclick: () => req('WAWebExitGroupAction').sendExitGroup(chat) }, 'Exit group')));
}

function banner() {
  switch (Socket.state) {
    case 'CONFLICT': return h('div', { class: 'banner bad', id: 'banner' }, 'WhatsApp is open in another window. ', h('button', { onclick: () => Socket.takeover() }, 'Use here'));
    case 'TOS_BLOCK': return h('div', { class: 'banner bad', id: 'banner' }, 'This account is temporarily banned from WhatsApp.');
    case 'TIMEOUT': case 'OPENING': return h('div', { class: 'banner', id: 'banner' }, 'Connecting…');
    default: return '';
  }
}

function draw() {
  const s = Socket.state;
  let view;
  if (s === 'UNPAIRED' || s === 'UNPAIRED_IDLE') view = qrScreen();
  else if (!Socket.hasSynced) view = h('div', { class: 'loading' }, s === 'PAIRING' ? 'Logging in…' : s === 'TOS_BLOCK' ? 'This account is temporarily banned.' : s === 'CONFLICT' ? 'WhatsApp is open in another window.' : 'Loading your chats…');
  else view = h('div', { class: 'main' }, sidebar(), conversation(), groupInfo());
  const focused = document.activeElement && document.activeElement.id;
  const typed = focused && document.activeElement.value;
  app.replaceChildren(view, Socket.hasSynced ? banner() : '');
  if (focused) {
    const el = document.getElementById(focused);
    if (el) { el.focus(); if (typed !== undefined && 'value' in el) el.value = typed; }
  }
}

// A ref change updates data-ref at once (scripts watching the attribute see every ref).
Conn.on('change:ref', () => {
  const el = document.querySelector('div[data-ref]');
  const { link } = req('WASandboxPage');
  if (el && link.payload) el.setAttribute('data-ref', link.payload);
  render();
});
Socket.on('change:state change:hasSynced', render);
Chat.on('add change', render);
Msg.on('add remove change:ack change:type change:body', render);
GroupMetadata.on('add change', render);
GroupMetadata.on('all', render);
Msg.on('add', msg => {
  const open = ui.chat && msg.id.remote._serialized === ui.chat && !msg.id.fromMe && msg.isNewMsg && document.visibilityState === 'visible';
  if (open) req('WAWebUpdateUnreadChatAction').sendSeen(Chat.get(ui.chat)).catch(() => {});
});
render();
