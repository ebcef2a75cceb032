/*
 * WhatsApp Web's internal module surface, as the sandbox page implements it.
 * (The same list, with the socket protocol, is in connectors/sandbox/SURFACE.md.)
 *
 * Readiness: `window.Debug.VERSION` is set last, once `window.require(name)` answers every module
 * below; an unknown name throws `Requiring unknown module "<name>"`.
 *
 * Models keep attributes in `__x_<name>` with an accessor `<name>`; `set()` fires
 * `change:<name>` (model, value, previous) and `change`; a model's events also fire on every
 * collection holding it. Collections: get(id | Wid | MsgKey), has, add(items, {at, merge, silent}),
 * remove, models, length, at, getModelsArray(), toArray(), serialize(), forEach/map/filter/some,
 * find(id) -> Promise (find(fn) searches), on/once/off(events, fn), 'add' (model, collection,
 * options), 'remove'.
 *
 * WAWebCollections            { Chat, Msg, Contact, GroupMetadata }
 * WAWebGroupMetadataCollection  the GroupMetadata collection itself (also .GroupMetadataCollection,
 *                             .default, .getGroupMetadataCollection())
 * WAWebChatCollection / WAWebMsgCollection / WAWebContactCollection
 *                             { ChatCollection } / { MsgCollection } / { ContactCollection }
 * WAWebSocketModel            { Socket }: state (OPENING, PAIRING, UNPAIRED, UNPAIRED_IDLE, CONNECTED,
 *                             TIMEOUT, CONFLICT, TOS_BLOCK, UNLAUNCHED), hasSynced, stream;
 *                             'change:state' (socket, state), 'change:hasSynced';
 *                             logout() (this device, from the page), takeover() (after CONFLICT)
 * WAWebConnModel              { Conn }: ref, 'change:ref' (conn, ref); wid, pushname, platform,
 *                             connected; serialize()
 * WAWebCmd                    { Cmd }: events 'logout' (before the page reloads with
 *                             ?post_logout=1); refreshQR() (leave UNPAIRED_IDLE); logout()
 * WAWebUserPrefsMeUser        getMaybeMePnUser(), getMaybeMeUser(), getMeUser(), getMaybeMeLidUser()
 * WAWebWidFactory             createWid('<digits>@c.us' | '<id>@g.us'), createUserWid(user, server)
 * WAWebWid                    the Wid class: user, server, _serialized, isUser(), isGroup(), equals()
 * WAWebQueryExistsJob         queryWidExists(wid) -> Promise<{wid} | null>
 * WAWebFindChatAction         findOrCreateLatestChat(wid) -> Promise<{chat, created}>;
 *                             chat: id, name, isGroup, t, unreadCount, msgs (with msgLoadState
 *                             {noEarlierMsgs}), groupMetadata, contact
 * WAWebMsgKey                 the MsgKey class: new MsgKey({from, to, id, participant, selfDir: 'out'}),
 *                             static newId(), static fromString(s); fromMe, remote, id, participant,
 *                             _serialized = `<fromMe>_<remote>_<id>[_<participant>]`
 * WAWebSendMsgChatAction      addAndSendMsgToChat(chat, msg) -> [Promise<Msg>, Promise<result>];
 *                             msg: {id: MsgKey, ack: 0, body, from, to, local, self: 'out', t,
 *                             isNewMsg, type: 'chat' | 'image' | 'video' | 'audio' | 'ptt' |
 *                             'document' | 'sticker', caption?, mimetype?, filename?,
 *                             directPath? (an upload) | data? (base64), quotedStanzaID?,
 *                             mentionedJidList?}. result: {messageSendResult: 'OK', t} or
 *                             {messageSendResult: 'ERROR', code, detail} (then msg.ack is -1).
 *                             A key already sent is not sent twice (the network stores it once).
 * WAWebUpdateUnreadChatAction sendSeen(chat | {chat}) -> Promise; markUnread(chat)
 * WAWebChatLoadMessages       loadEarlierMsgs(chat | {chat}, msgs?) -> Promise<Msg[]> (oldest first;
 *                             [] when chat.msgs.msgLoadState.noEarlierMsgs)
 * WAWebSendReactionMsgAction  sendReactionToMsg(msg, text) -> Promise<{messageSendResult}>
 * WAWebAddonReactionTableMode { reactionTableMode: { bulkUpsert(reactions) } }: the page calls
 *                             require(...).reactionTableMode.bulkUpsert([{id, msgKey,
 *                             reactionParentKey, parentMsgKey, reactionText, reactionTimestamp
 *                             (ms), timestamp (s), from, author, senderUserJid, orphan, read}])
 *                             for each reaction it receives (wrap it to observe reactions).
 * WAWebGroupCreateJob         createGroup({title, ...} | title, participants: [{phoneNumber: wid}
 *                             | wid | jid | Contact]) -> Promise<{wid, gid, subject,
 *                             participants: [{wid, error?}]}>
 * WAWebModifyParticipantsGroupAction  addParticipants / removeParticipants / promoteParticipants /
 *                             demoteParticipants(chat | groupWid, participants) ->
 *                             Promise<[{jid, code}]> (200 done, 403, 404, 409)
 * WAWebGroupModifyInfoJob     setGroupSubject(groupWid, subject), setGroupDescription(groupWid,
 *                             desc, newId?, oldId?), setGroupProperty(groupWid, 'announce' |
 *                             'restrict', 0 | 1)
 * WAWebExitGroupAction        sendExitGroup(chat | groupWid)
 * WAWebMexFetchGroupInviteCodeJob  fetchMexGroupInviteCode(groupJid) -> Promise<code>
 * WAWebGroupInviteJob         queryGroupInviteCode(wid) -> {code}, resetGroupInviteCode(wid) ->
 *                             {code}, joinGroupViaInvite(code) -> {gid}
 * WAWebGroupQueryJob          queryAndUpdateGroupMetadataById({id}) -> Promise<GroupMetadata>
 * WAWebAltDeviceLinkingApi    setPairingType('ALT_DEVICE_LINKING'), getPairingType(),
 *                             initializeAltDeviceLinking(), startAltLinkingFlow(phone,
 *                             showNotification) -> Promise<'ABCDEFGH'> (the phone types ABCD-EFGH)
 * Media (whatsapp-web.js's path): WAWebMediaOpaqueData (createFromData(blob, mimetype)),
 *   WAWebPrepRawMedia (prepRawMedia(opaque, {asDocument}).waitForPrep()), WAWebMediaStorage
 *   (getOrCreateMediaObject(filehash)), WAWebMmsMediaTypes (msgToMediaType({type})),
 *   WAWebMediaMmsV4Upload (uploadMedia({mimetype, mediaObject, mediaType}) -> {mediaEntry}),
 *   WAWebDownloadManager ({downloadManager: {downloadAndMaybeDecrypt({directPath}) ->
 *   ArrayBuffer}}), WABase64 (encodeB64, decodeB64).
 *
 * Msg attributes: id (MsgKey), from, to, author (group sender), t, type ('chat', media types,
 * 'gp2', 'revoked'), subtype (gp2: create, add, invite, remove, leave, promote, demote, subject,
 * description, announce, restrict), body, caption, ack (-1 error, 0 pending, 1 server,
 * 2 delivered, 3 read), isNewMsg, notifyName, isNotification, recipients (gp2: Wids concerned),
 * mentionedJidList, isEdited, quotedStanzaID, media: mimetype, size, filename, directPath,
 * clientUrl, filehash, mediaKey. Events on Msg: 'add' (isNewMsg true for new messages in or out,
 * false for synced history), 'change:ack', 'change:type' (to 'revoked'), 'change:body' (edited),
 * 'remove' (deleted for me).
 */

import { Model, MsgKey, Wid, asWid } from './wa-backbone.js';
import { Link, b64 } from './wa-link.js';
import {
  Chat, Cmd, Conn, Contact, GroupMetadata, Msg, MsgModel, Socket, ensureChat, state, upsertGroup, upsertMsg,
} from './wa-store.js';

export const VERSION = '2.3000.1031000000';

const modules = {};
const require = name => {
  if (!Object.prototype.hasOwnProperty.call(modules, name)) {
    throw new Error(`Requiring unknown module "${name}"`);
  }
  return modules[name];
};
const link = new Link(require);

const jidOf = value => {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value.phoneNumber) return jidOf(value.phoneNumber);
  if (value._serialized) return value._serialized;
  if (value.id) return jidOf(value.id);
  return String(value);
};
const chatArg = arg => (arg && arg.chat && !(arg instanceof Model) ? arg.chat : arg);
const groupJid = arg => jidOf(chatArg(arg));

// Sockets and login -------------------------------------------------------------------------------

Socket.logout = () => link.request('logout');
Socket.takeover = () => link.takeover();
Cmd.refreshQR = () => link.refreshQR();
Cmd.logout = () => Socket.logout();

modules.WAWebSocketModel = { Socket };
modules.WAWebConnModel = { Conn };
modules.WAWebCmd = { Cmd };
modules.WAWebCollections = { Chat, Msg, Contact, GroupMetadata };
GroupMetadata.GroupMetadataCollection = GroupMetadata;
GroupMetadata.default = GroupMetadata;
GroupMetadata.getGroupMetadataCollection = () => GroupMetadata;
modules.WAWebGroupMetadataCollection = GroupMetadata;
modules.WAWebChatCollection = { ChatCollection: Chat };
modules.WAWebMsgCollection = { MsgCollection: Msg };
modules.WAWebContactCollection = { ContactCollection: Contact };

modules.WAWebUserPrefsMeUser = {
  getMaybeMePnUser: () => state.me,
  getMaybeMeUser: () => state.me,
  getMaybeMeLidUser: () => undefined,
  getMeUser: () => {
    if (!state.me) throw new Error('not logged in');
    return state.me;
  },
};

modules.WAWebWid = Wid;
modules.WAWebWidFactory = {
  createWid: jid => new Wid(jidOf(jid)),
  createUserWid: (user, server = 'c.us') => new Wid(`${user}@${server}`),
  toUserWid: wid => new Wid(jidOf(wid)),
};

let pairingType = 'QR';
modules.WAWebAltDeviceLinkingApi = {
  setPairingType: type => { pairingType = type; },
  getPairingType: () => pairingType,
  initializeAltDeviceLinking: () => link.whenPairing(),
  startAltLinkingFlow: async phone => {
    await link.whenPairing();
    const { code } = await link.request('pair-code', { phone: String(phone) }, { anyState: true });
    Conn.set('pairingCode', code);
    return code;
  },
};

// Chats and messages ------------------------------------------------------------------------------

modules.WAWebQueryExistsJob = {
  queryWidExists: async wid => {
    const found = await link.request('exists', { jid: jidOf(wid) });
    return found ? { wid: new Wid(found.wid) } : null;
  },
};

async function findOrCreateLatestChat(wid) {
  const id = asWid(jidOf(wid));
  let chat = Chat.get(id);
  if (chat) return { chat, created: false };
  if (id.isGroup()) {
    upsertGroup(await link.request('group-query', { group: id._serialized }));
    return { chat: Chat.get(id), created: false };
  }
  chat = ensureChat(id);
  return { chat, created: true };
}

modules.WAWebFindChatAction = { findOrCreateLatestChat, findChat: async wid => (await findOrCreateLatestChat(wid)).chat };
Chat.find = async id => (await findOrCreateLatestChat(id)).chat;

modules.WAWebMsgKey = MsgKey;

const MEDIA_WIRE = ['caption', 'mimetype', 'filename', 'directPath', 'data'];

function addAndSendMsgToChat(chat, data) {
  const key = data.id instanceof MsgKey ? data.id : new MsgKey(data.id);
  let msg = Msg.get(key);
  if (!msg) {
    msg = new MsgModel({
      ...Object.fromEntries(Object.entries(data).filter(([k, v]) => typeof v !== 'function' && !(v instanceof Blob) && k !== 'mediaBlob' && k !== 'mediaObject')),
      id: key,
      from: asWid(data.from) || state.me,
      to: asWid(data.to) || chat.id,
      ack: 0,
      isNewMsg: true,
      self: 'out',
      local: true,
      type: data.type || 'chat',
      body: data.body || '',
      t: data.t || Math.floor(Date.now() / 1000),
    });
    chat.msgs.add(msg);
    Msg.add(msg);
    chat.set('t', msg.t);
  }
  const wire = { id: key.id, to: chat.id._serialized, type: data.type || 'chat', body: data.body || '' };
  for (const f of MEDIA_WIRE) if (typeof data[f] === 'string') wire[f] = data[f];
  if (data.quotedStanzaID || data.quotedMsgId) wire.quotedStanzaID = String(data.quotedStanzaID || data.quotedMsgId);
  if (data.mentionedJidList) wire.mentionedJidList = data.mentionedJidList.filter(Boolean).map(jidOf);
  const result = link.request('send', { msg: wire }, { queue: true }).then(
    res => {
      upsertMsg(res.msg, false);
      if (msg.ack < res.ack || msg.ack === -1) msg.set('ack', res.ack);
      return { messageSendResult: 'OK', t: res.t };
    },
    err => {
      msg.set('ack', -1);
      return { messageSendResult: 'ERROR', code: err.code, detail: err.message };
    });
  return [Promise.resolve(msg), result];
}

modules.WAWebSendMsgChatAction = { addAndSendMsgToChat };

modules.WAWebUpdateUnreadChatAction = {
  sendSeen: async (arg) => {
    const chat = chatArg(arg);
    chat.set('unreadCount', 0);
    try {
      await link.request('seen', { chat: jidOf(chat) });
    } catch (err) {
      if (err.code !== 'unknown-chat') throw err;
    }
  },
  markUnread: async (arg) => { chatArg(arg).set('unreadCount', -1); },
};

modules.WAWebChatLoadMessages = {
  loadEarlierMsgs: async (arg) => {
    const chat = chatArg(arg);
    const loadState = chat.msgs.msgLoadState;
    if (loadState.noEarlierMsgs) return [];
    const sorts = chat.msgs.models.map(m => m.sort).filter(s => typeof s === 'number');
    loadState.isLoadingEarlierMsgs = true;
    try {
      const res = await link.request('earlier', {
        chat: jidOf(chat), before: sorts.length ? Math.min(...sorts) : null, count: link.params.history,
      });
      loadState.noEarlierMsgs = res.noEarlierMsgs;
      const added = [];
      res.msgs.forEach((view, i) => {
        const { msg, created } = upsertMsg(view, false, i);
        if (created) added.push(msg);
      });
      return added;
    } finally {
      loadState.isLoadingEarlierMsgs = false;
    }
  },
};

modules.WAWebSendReactionMsgAction = {
  sendReactionToMsg: async (msg, text) => {
    const parent = msg.id instanceof MsgKey ? msg.id : new MsgKey(msg.id || msg);
    try {
      await link.request('react', {
        parent: { fromMe: parent.fromMe, remote: parent.remote._serialized, id: parent.id }, text: text || '',
      });
      return { messageSendResult: 'OK' };
    } catch (err) {
      return { messageSendResult: 'ERROR', code: err.code, detail: err.message };
    }
  },
};

modules.WAWebAddonReactionTableMode = {
  reactionTableMode: {
    bulkUpsert: async (reactions) => {
      for (const r of reactions) {
        state.reactions.set(`${r.reactionParentKey._serialized}|${r.senderUserJid}`, r);
      }
    },
  },
};

// Groups ----------------------------------------------------------------------------------------

modules.WAWebGroupCreateJob = {
  createGroup: async (options, participants = []) => {
    const title = typeof options === 'string' ? options : options.title;
    const res = await link.request('group-create', {
      subject: title, participants: participants.map(jidOf).filter(Boolean),
    });
    upsertGroup(res.group);
    const wid = new Wid(res.wid);
    return {
      wid, gid: wid, subject: res.subject,
      participants: res.participants.map(p => ({ wid: new Wid(p.wid), ...(p.error ? { error: p.error } : {}) })),
    };
  },
};

const participantsAction = action => async (chat, participants) =>
  link.request('group-participants', {
    group: groupJid(chat), action, participants: participants.map(jidOf).filter(Boolean),
  });

modules.WAWebModifyParticipantsGroupAction = {
  addParticipants: participantsAction('add'),
  removeParticipants: participantsAction('remove'),
  promoteParticipants: participantsAction('promote'),
  demoteParticipants: participantsAction('demote'),
};

modules.WAWebGroupModifyInfoJob = {
  setGroupSubject: (wid, subject) => link.request('group-info', { group: jidOf(wid), subject }),
  setGroupDescription: (wid, description) => link.request('group-info', { group: jidOf(wid), description }),
  setGroupProperty: (wid, property, value) => {
    if (property !== 'announce' && property !== 'restrict') {
      return Promise.reject(new Error(`the sandbox has no group property ${property}`));
    }
    return link.request('group-info', { group: jidOf(wid), [property]: !!value });
  },
};

modules.WAWebExitGroupAction = {
  sendExitGroup: chat => link.request('group-leave', { group: groupJid(chat) }),
};

modules.WAWebMexFetchGroupInviteCodeJob = {
  fetchMexGroupInviteCode: async group => (await link.request('group-invite', { group: jidOf(group) })).code,
};

modules.WAWebGroupInviteJob = {
  queryGroupInviteCode: wid => link.request('group-invite', { group: jidOf(wid) }),
  resetGroupInviteCode: wid => link.request('group-invite', { group: jidOf(wid), reset: true }),
  joinGroupViaInvite: async code => {
    const group = upsertGroup(await link.request('group-join', { code }));
    return { gid: group.id };
  },
};

modules.WAWebGroupQueryJob = {
  queryAndUpdateGroupMetadataById: async ({ id }) => upsertGroup(await link.request('group-query', { group: jidOf(id) })),
};

// Media -------------------------------------------------------------------------------------------

class OpaqueData {
  constructor(blob, type) { this.blob = blob; this.type = type || blob.type; this.size = blob.size; this._url = null; }
  static async createFromData(blob, type) { return new OpaqueData(blob, type); }
  url() { if (!this._url) this._url = URL.createObjectURL(this.blob); return this._url; }
  autorelease() { if (this._url) URL.revokeObjectURL(this._url); this._url = null; }
  async arrayBuffer() { return this.blob.arrayBuffer(); }
}

const mediaTypeOf = mimetype => {
  if (mimetype === 'image/webp') return 'sticker';
  const top = String(mimetype).split('/')[0];
  return ['image', 'video', 'audio'].includes(top) ? top : 'document';
};

const mediaObjects = new Map();

modules.WAWebMediaOpaqueData = OpaqueData;
modules.WAWebPrepRawMedia = {
  prepRawMedia: (opaque, { asDocument } = {}) => ({
    waitForPrep: async () => {
      const digest = await crypto.subtle.digest('SHA-256', await opaque.arrayBuffer());
      const data = new Model({
        type: asDocument ? 'document' : mediaTypeOf(opaque.type),
        mimetype: opaque.type,
        filehash: b64.encode(digest),
        size: opaque.size,
        mediaBlob: opaque,
        isGif: false,
        filename: opaque.blob.name,
      });
      data.toJSON = () => ({ type: data.type, mimetype: data.mimetype, filehash: data.filehash, size: data.size, filename: data.filename });
      return data;
    },
  }),
};
modules.WAWebMediaStorage = {
  getOrCreateMediaObject: filehash => {
    if (!mediaObjects.has(filehash)) {
      const object = { filehash, contentInfo: {}, size: 0, mediaBlob: null };
      object.consolidate = json => Object.assign(object, json);
      mediaObjects.set(filehash, object);
    }
    return mediaObjects.get(filehash);
  },
};
modules.WAWebMmsMediaTypes = { msgToMediaType: ({ type }) => type };
modules.WAWebMediaMmsV4Upload = {
  uploadMedia: async ({ mimetype, mediaObject, blob }) => {
    const body = blob || (mediaObject && mediaObject.mediaBlob && (mediaObject.mediaBlob.blob || mediaObject.mediaBlob));
    const res = await fetch('/media', { method: 'POST', headers: { 'Content-Type': mimetype }, body });
    if (!res.ok) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    const up = await res.json();
    return {
      mediaEntry: {
        mmsUrl: location.origin + up.directPath, deprecatedMms3Url: location.origin + up.directPath,
        directPath: up.directPath, mediaKey: up.filehash, mediaKeyTimestamp: Math.floor(Date.now() / 1000),
        encFilehash: up.filehash, uploadHash: up.filehash, sidecar: undefined, firstFrameSidecar: undefined,
      },
    };
  },
};
modules.WAWebDownloadManager = {
  downloadManager: {
    downloadAndMaybeDecrypt: async ({ directPath }) => {
      const res = await fetch(directPath);
      if (!res.ok) throw new Error(`download failed: ${res.status}`);
      return res.arrayBuffer();
    },
  },
};
modules.WABase64 = { encodeB64: b64.encode, decodeB64: text => b64.decode(text).buffer };

// The page's own UI (app.js) reads the QR and reactions here; not part of WhatsApp Web's surface.
modules.WASandboxPage = { link, state };

// Install ---------------------------------------------------------------------------------------

window.require = require;
window.Debug = { VERSION };
link.start();

export { link, require };
