// The page's state: the singletons and collections WhatsApp Web keeps, and how server events
// change them (so collection events fire with WhatsApp Web's semantics).

import { Collection, Events, Model, MsgKey, Wid, asWid } from './wa-backbone.js';

export class SocketModel extends Model {}
export class ConnModel extends Model {}
export class CmdEmitter extends Events {}

export class ContactModel extends Model {
  get formattedName() { return this.name || this.pushname || '+' + this.id.user; }
}

export class MsgModel extends Model {
  get hasMedia() { return !!this.directPath; }
}

export class MsgCollection extends Collection {
  constructor() {
    super(MsgModel);
    this.msgLoadState = { noEarlierMsgs: false, isLoadingEarlierMsgs: false };
  }
}

export class ParticipantModel extends Model {}

export class ParticipantCollection extends Collection {
  constructor(group) {
    super(ParticipantModel);
    Object.defineProperty(this, '_group', { value: group, enumerable: false });
  }

  iAmAdmin() { return this._group.iAmAdmin(); }
  canAdd() { return this._group.iAmAdmin(); }
  canRemove() { return this._group.iAmAdmin(); }
  canPromote() { return this._group.iAmAdmin(); }
  canDemote() { return this._group.iAmAdmin(); }
}

export class GroupMetadataModel extends Model {
  constructor(attrs = {}) {
    const { participants, ...rest } = attrs;
    super(rest);
    Object.defineProperty(this, 'participants', {
      value: new ParticipantCollection(this), enumerable: false,
    });
    if (participants) this.setParticipants(participants);
  }

  setParticipants(list) {
    const wanted = new Map(list.map(p => [String(p.id), p]));
    for (const model of this.participants.getModelsArray()) {
      if (!wanted.has(model.id._serialized)) this.participants.remove(model);
    }
    for (const [jid, p] of wanted) {
      const current = this.participants.get(jid);
      const attrs = { isAdmin: !!p.isAdmin, isSuperAdmin: !!p.isSuperAdmin };
      if (current) current.set(attrs);
      else this.participants.add({ id: new Wid(jid), ...attrs });
    }
  }

  iAmAdmin() {
    const me = state.me && this.participants.get(state.me);
    return !!(me && me.isAdmin);
  }

  iAmSuperAdmin() {
    const me = state.me && this.participants.get(state.me);
    return !!(me && me.isSuperAdmin);
  }

  iAmMember() { return !!(state.me && this.participants.get(state.me)); }
}

export class ChatModel extends Model {
  constructor(attrs = {}) {
    super(attrs);
    Object.defineProperty(this, 'msgs', { value: new MsgCollection(), enumerable: false });
  }

  get groupMetadata() { return GroupMetadata.get(this.id); }
  get contact() { return Contact.get(this.id); }
  get formattedTitle() { return this.name; }
}

export class ChatCollection extends Collection {
  constructor() { super(ChatModel); }
}

export const Socket = new SocketModel({ state: 'OPENING', hasSynced: false, stream: 'DISCONNECTED' });
export const Conn = new ConnModel({ ref: undefined, platform: 'web', pushname: undefined });
export const Cmd = new CmdEmitter();
export const Msg = new MsgCollection();
export const Chat = new ChatCollection();
export const Contact = new Collection(ContactModel);
export const GroupMetadata = new Collection(GroupMetadataModel);
export const state = { me: undefined, device: undefined, reactions: new Map() };

const MEDIA_FIELDS = ['mimetype', 'size', 'filename', 'directPath', 'filehash', 'encFilehash', 'mediaKey'];

export function msgAttrs(view, isNew) {
  const key = new MsgKey(view.key);
  const attrs = {
    id: key,
    from: asWid(view.from),
    to: asWid(view.to),
    author: asWid(view.author),
    t: view.t,
    type: view.type,
    subtype: view.subtype || undefined,
    body: view.body || '',
    ack: view.ack,
    isNewMsg: !!isNew,
    notifyName: view.notifyName,
    isNotification: !!view.isNotification,
    recipients: (view.recipients || []).map(asWid),
    mentionedJidList: (view.mentionedJidList || []).map(asWid),
    isEdited: !!view.isEdited,
    self: key.fromMe ? 'out' : 'in',
    local: false,
    star: false,
    broadcast: false,
    isForwarded: false,
    sort: view.sort,
  };
  if (view.caption !== undefined) attrs.caption = view.caption;
  if (view.quotedStanzaID) attrs.quotedStanzaID = view.quotedStanzaID;
  for (const f of MEDIA_FIELDS) if (view[f] !== undefined) attrs[f] = view[f];
  if (view.directPath) {
    attrs.clientUrl = location.origin + view.directPath;
    attrs.deprecatedMms3Url = attrs.clientUrl;
  }
  return attrs;
}

export function ensureChat(id, hint = {}) {
  const wid = asWid(id);
  let chat = Chat.get(wid);
  if (!chat) {
    const contact = Contact.get(wid);
    chat = Chat.add({
      id: wid,
      name: hint.name || (contact ? contact.formattedName : '+' + wid.user),
      isGroup: wid.isGroup(),
      t: hint.t || 0,
      unreadCount: hint.unreadCount || 0,
      isReadOnly: !!hint.isReadOnly,
      archive: false,
      pin: 0,
    });
  }
  return chat;
}

// Add or refresh a message; `at` puts earlier (history) messages in front of a chat's list.
export function upsertMsg(view, isNew, at) {
  const attrs = msgAttrs(view, isNew);
  const existing = Msg.get(attrs.id);
  if (existing) {
    const changes = {};
    for (const f of ['ack', 'type', 'body', 'caption', 'isEdited', 'sort', ...MEDIA_FIELDS, 'clientUrl']) {
      if (attrs[f] !== undefined && attrs[f] !== existing[f]) changes[f] = attrs[f];
    }
    if (changes.ack !== undefined && existing.ack > changes.ack && existing.ack !== -1) delete changes.ack;
    existing.set(changes);
    return { msg: existing, created: false };
  }
  const remote = attrs.id.remote;
  if (!remote.isGroup() && !attrs.id.fromMe && view.notifyName && !Contact.get(remote)) {
    Contact.add({
      id: remote, name: undefined, pushname: view.notifyName, shortName: view.notifyName.split(' ')[0],
      isMyContact: false, isUser: true, isGroup: false, isWAContact: true, isMe: false,
    });
  }
  const chat = ensureChat(remote);
  const msg = new MsgModel(attrs);
  chat.msgs.add(msg, at === undefined ? {} : { at });
  Msg.add(msg);
  return { msg, created: true };
}

export function upsertContact(view) {
  const attrs = { ...view, id: asWid(view.id) };
  const existing = Contact.get(attrs.id);
  if (existing) existing.set(attrs);
  else Contact.add(attrs);
}

export function upsertGroup(view) {
  const { participants, ...rest } = view;
  const attrs = {
    ...rest,
    id: asWid(view.id),
    owner: asWid(view.owner),
    descOwner: asWid(view.descOwner),
  };
  let group = GroupMetadata.get(attrs.id);
  if (group) {
    group.set(attrs);
    group.setParticipants(participants);
  } else {
    group = GroupMetadata.add(new GroupMetadataModel({ ...attrs, participants }));
  }
  const chat = ensureChat(attrs.id, { name: view.subject });
  chat.set({ name: view.subject, isReadOnly: !group.iAmMember() });
  return group;
}

export function applySync(payload) {
  for (const contact of payload.contacts) upsertContact(contact);
  for (const group of payload.groups) upsertGroup(group);
  for (const view of payload.chats) {
    const chat = ensureChat(view.id, view);
    chat.set({ name: view.name, t: view.t, unreadCount: view.unreadCount, isReadOnly: view.isReadOnly });
    chat.msgs.msgLoadState.noEarlierMsgs = view.noEarlierMsgs;
    for (const m of view.msgs) upsertMsg(m, false);
  }
}

function reactionRecord(r) {
  const key = new MsgKey(r.key);
  const parent = new MsgKey(r.parentKey);
  return {
    id: key,
    msgKey: key,
    reactionParentKey: parent,
    parentMsgKey: parent,
    reactionText: r.text,
    reactionTimestamp: r.timestamp,
    timestamp: r.timestamp / 1000,
    from: asWid(r.sender),
    author: parent.remote.isGroup() ? asWid(r.sender) : undefined,
    senderUserJid: r.sender,
    orphan: 0,
    read: false,
    ack: 1,
  };
}

export function applyEvent(frame, require) {
  switch (frame.type) {
    case 'msg': {
      const { msg, created } = upsertMsg(frame.msg, true);
      const chat = ensureChat(msg.id.remote);
      if (created) {
        chat.set('t', Math.max(chat.t || 0, msg.t));
        if (!msg.id.fromMe && msg.type !== 'gp2') chat.set('unreadCount', (chat.unreadCount || 0) + 1);
      }
      break;
    }
    case 'ack': {
      const msg = Msg.get(new MsgKey(frame.key));
      if (msg && (msg.ack < frame.ack || msg.ack === -1)) msg.set('ack', frame.ack);
      break;
    }
    case 'msg-update': {
      const msg = Msg.get(new MsgKey(frame.key));
      if (msg) msg.set(frame.changes);
      break;
    }
    case 'msg-remove': {
      const msg = Msg.get(new MsgKey(frame.key));
      if (msg) {
        const chat = Chat.get(msg.id.remote);
        if (chat) chat.msgs.remove(msg);
        Msg.remove(msg);
      }
      break;
    }
    case 'reaction':
      // Looked up at each call, so a wrapper installed on the module sees every reaction.
      require('WAWebAddonReactionTableMode').reactionTableMode.bulkUpsert([reactionRecord(frame.reaction)]);
      break;
    case 'group':
      upsertGroup(frame.group);
      break;
    case 'chat': {
      const { id, ...changes } = frame.chat;
      const chat = Chat.get(id);
      if (chat) chat.set(changes);
      break;
    }
    case 'contact':
      upsertContact(frame.contact);
      break;
    default:
      console.warn('unknown sandbox event', frame.type);
  }
}
