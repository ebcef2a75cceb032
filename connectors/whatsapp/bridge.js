/*
 * wastream's bridge into WhatsApp Web: the one script that knows WhatsApp Web's internal names.
 *
 * Injected into every page of a session (before the page's own scripts) as
 * `(<this function>)(config)`. It waits for `window.Debug.VERSION`, resolves the modules below
 * through `window.require`, reports what happens through ONE exposed binding, and answers
 * operations through `window[config.global].call(op, args)`.
 *
 * config: {binding, global, pairing: 'QR' | 'CODE', phone, readyTimeoutMs, pollMs,
 *          pairingCodeIntervalMs, historyLookbackPages}
 *
 * Reports (each carries `version`, WhatsApp Web's build, and `at`, epoch ms):
 *   {type: 'state', state, waState, me, qr, pairingCode, reason, code, module}
 *       state is a wastream SessionState: STARTING, SCAN_QR, PAIRING_CODE, AUTHENTICATED, READY,
 *       DISCONNECTED, CONFLICT, BANNED, LOGGED_OUT, FAILED (code MODULE_MISSING naming `module`,
 *       or WHATSAPP_NOT_LOADED when window.Debug.VERSION never came)
 *   {type: 'msg', local, record}     a new message (Msg 'add' with isNewMsg); local: sent here
 *   {type: 'ack', message_id, chat, ack}             Msg 'change:ack' of an outgoing message
 *   {type: 'revoke', message_id, chat, sender}       Msg 'change:type' to 'revoked'
 *   {type: 'reaction', message_id, chat, sender, emoji}
 *   {type: 'group', kind, group, actor, participants, subject, description}   gp2 messages
 *
 * Operations answer {ok: true, result} or {ok: false, code, detail, transient}.
 *
 * Tested against WhatsApp Web builds 2.3000.x (module names of 2026) and the wastream sandbox.
 * When WhatsApp Web renames a module, add the new name to MODULES (alternatives are tried in
 * order) rather than spreading names elsewhere.
 */
(function wastreamBridge(config) {
  'use strict';

  if (window.top !== window.self) return;
  if (window[config.global]) return;

  const BRIDGE_VERSION = 1;

  // Every WhatsApp Web module the bridge uses: [key, [module names tried in order], members that
  // must exist]. A missing one fails the session with MODULE_MISSING naming it.
  const MODULES = [
    ['Collections', ['WAWebCollections'], ['Chat', 'Msg', 'Contact']],
    ['Socket', ['WAWebSocketModel'], ['Socket']],
    ['Conn', ['WAWebConnModel'], ['Conn']],
    ['Cmd', ['WAWebCmd'], ['Cmd']],
    ['MeUser', ['WAWebUserPrefsMeUser'], ['getMaybeMePnUser']],
    ['WidFactory', ['WAWebWidFactory'], ['createWid']],
    ['QueryExists', ['WAWebQueryExistsJob'], ['queryWidExists']],
    ['FindChat', ['WAWebFindChatAction'], ['findOrCreateLatestChat']],
    ['MsgKey', ['WAWebMsgKey'], ['newId']],
    ['SendMsg', ['WAWebSendMsgChatAction'], ['addAndSendMsgToChat']],
    ['Unread', ['WAWebUpdateUnreadChatAction'], ['sendSeen']],
    ['LoadMsgs', ['WAWebChatLoadMessages'], ['loadEarlierMsgs']],
    ['SendReaction', ['WAWebSendReactionMsgAction'], ['sendReactionToMsg']],
    ['ReactionTable', ['WAWebAddonReactionTableMode'], ['reactionTableMode']],
    ['GroupCreate', ['WAWebGroupCreateJob'], ['createGroup']],
    ['Participants', ['WAWebModifyParticipantsGroupAction'],
      ['addParticipants', 'removeParticipants', 'promoteParticipants', 'demoteParticipants']],
    ['GroupInfo', ['WAWebGroupModifyInfoJob'], ['setGroupSubject', 'setGroupDescription']],
    ['ExitGroup', ['WAWebExitGroupAction'], ['sendExitGroup']],
    ['InviteCode', ['WAWebMexFetchGroupInviteCodeJob'], ['fetchMexGroupInviteCode']],
    ['GroupQuery', ['WAWebGroupQueryJob'], ['queryAndUpdateGroupMetadataById']],
    ['OpaqueData', ['WAWebMediaOpaqueData'], ['createFromData']],
    ['PrepMedia', ['WAWebPrepRawMedia'], ['prepRawMedia']],
    ['MediaStorage', ['WAWebMediaStorage'], ['getOrCreateMediaObject']],
    ['MediaTypes', ['WAWebMmsMediaTypes'], ['msgToMediaType']],
    ['Upload', ['WAWebMediaMmsV4Upload'], ['uploadMedia']],
  ];
  // Group metadata left WAWebCollections in 2026-01; older builds still have it there.
  const GROUP_METADATA = ['WAWebGroupMetadataCollection'];
  const PAIRING_MODULE = ['AltLinking', ['WAWebAltDeviceLinkingApi'], ['startAltLinkingFlow']];

  // Socket states (WAWebSocketModel) and what they mean for a wastream session.
  const UNPAIRED = new Set(['UNPAIRED', 'UNPAIRED_IDLE']);
  const BANNED = new Set(['TOS_BLOCK', 'SMB_TOS_BLOCK']);
  const LINKING = new Set(['PAIRING']);
  // Server answers and their error codes: [code, transient].
  const SEND_ERRORS = {
    'unknown-account': ['NOT_ON_WHATSAPP', false],
    'account-banned': ['BANNED', false],
    'not-admin': ['NOT_GROUP_ADMIN', false],
    'not-a-participant': ['NOT_GROUP_PARTICIPANT', false],
    'not-connected': ['NOT_CONNECTED', true],
    'invalid-request': ['INVALID_REQUEST', false],
    'bad-request': ['INVALID_REQUEST', false],
    'unknown-chat': ['NOT_FOUND', false],
    'unknown-group': ['NOT_FOUND', false],
    'unknown-message': ['MESSAGE_NOT_FOUND', false],
    'not-found': ['NOT_FOUND', false],
    'payload-too-large': ['MEDIA_TOO_LARGE', false],
    'unsupported-media-type': ['MEDIA_TYPE', false],
  };
  const STATUS_ERRORS = { 401: 'NOT_GROUP_ADMIN', 403: 'NOT_GROUP_ADMIN', 404: 'NOT_FOUND' };
  // Per-participant answers of group changes.
  const PARTICIPANT_CODES = { 200: 'OK', 403: 'FORBIDDEN', 404: 'NOT_ON_WHATSAPP', 408: 'TIMEOUT', 409: 'CONFLICT' };
  const GP2_KINDS = {
    create: 'CREATED', add: 'PARTICIPANTS_ADDED', invite: 'PARTICIPANTS_ADDED',
    remove: 'PARTICIPANTS_REMOVED', leave: 'PARTICIPANTS_REMOVED', promote: 'PROMOTED',
    demote: 'DEMOTED', subject: 'SUBJECT_CHANGED', description: 'DESCRIPTION_CHANGED',
  };
  // Message types that are not messages a person wrote.
  const NOT_MESSAGES = new Set([
    'gp2', 'e2e_notification', 'notification', 'notification_template', 'protocol', 'call_log',
    'ciphertext', 'revoked', 'reaction', 'broadcast_notification', 'pinned_message', 'debug',
  ]);
  const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'ptt', 'document', 'sticker']);

  const M = {};
  let version = null;
  let failure = null;
  let last = {};
  let everReady = false;
  let loggedOut = new URLSearchParams(location.search).has('post_logout');
  let qrObserver = null;
  let pairingCode = null;
  let pairingTimer = null;
  let pairingBusy = false;

  // Reports ----------------------------------------------------------------------------------------

  const outbox = [];
  let flushing = false;

  function report(type, data) {
    outbox.push({ type, version, bridge: BRIDGE_VERSION, at: Date.now(), ...data });
    flush();
  }

  function flush() {
    const send = window[config.binding];
    if (typeof send !== 'function') {
      if (!flushing) {
        flushing = true;
        setTimeout(() => { flushing = false; flush(); }, 50);
      }
      return;
    }
    while (outbox.length) {
      const item = outbox.shift();
      try {
        Promise.resolve(send(item)).catch(() => {});
      } catch (err) {
        console.error('wastream bridge: report failed', err);
      }
    }
  }

  // Helpers ----------------------------------------------------------------------------------------

  class BridgeError extends Error {
    constructor(code, detail, transient = false) {
      super(detail || code);
      this.code = code;
      this.transient = transient;
    }
  }
  const fail = (code, detail, transient = false) => { throw new BridgeError(code, detail, transient); };

  const jidOf = value => {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return value;
    if (typeof value._serialized === 'string') return value._serialized;
    if (value.id && value.id !== value) return jidOf(value.id);
    return String(value);
  };
  const isGroupJid = jid => typeof jid === 'string' && jid.endsWith('@g.us');
  const isUserJid = jid => typeof jid === 'string' && (jid.endsWith('@c.us') || jid.endsWith('@lid'));
  // The serialized key, built here: recent builds minify the model's own `_serialized`.
  const keyString = key => `${key.fromMe ? 'true' : 'false'}_${jidOf(key.remote)}_${key.id}` +
    (key.participant ? `_${jidOf(key.participant)}` : '');
  const parseKey = text => {
    const [fromMe, remote, id, participant] = String(text).split('_');
    return { fromMe: fromMe === 'true', remote, id, participant: participant || null };
  };
  const models = collection => (collection.getModelsArray ? collection.getModelsArray() : [...collection.models]);
  const meWid = () => M.MeUser.getMaybeMePnUser() || (M.MeUser.getMaybeMeUser && M.MeUser.getMaybeMeUser()) || null;
  const wid = jid => M.WidFactory.createWid(jid);
  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

  function groupMetadata(id) {
    const collection = M.GroupMetadata || (M.Collections.GroupMetadata);
    return collection ? collection.get(id) : undefined;
  }

  function errorOf(err) {
    if (err instanceof BridgeError) return err;
    const slug = err && (err.code || err.slug);
    if (slug && SEND_ERRORS[slug]) {
      const [code, transient] = SEND_ERRORS[slug];
      return new BridgeError(code, err.message || slug, transient);
    }
    const status = err && (err.statusCode || err.status);
    if (status && STATUS_ERRORS[status]) return new BridgeError(STATUS_ERRORS[status], err.message || String(status));
    return new BridgeError('PAGE_ERROR', (err && (err.stack || err.message)) || String(err));
  }

  function sendError(result) {
    const slug = result && result.code;
    if (slug && SEND_ERRORS[slug]) {
      const [code, transient] = SEND_ERRORS[slug];
      return new BridgeError(code, result.detail || slug, transient);
    }
    // An unknown send failure (network, server): the message id makes a retry safe.
    return new BridgeError('SEND_FAILED', `WhatsApp answered ${JSON.stringify(result)}`, true);
  }

  // Startup ----------------------------------------------------------------------------------------

  function resolveOne([key, names, members]) {
    let lastError = null;
    for (const name of names) {
      let module;
      try {
        module = window.require(name);
      } catch (err) {
        lastError = err;
        continue;
      }
      if (module === undefined || module === null) continue;
      const absent = members.find(member => module[member] === undefined);
      if (absent) {
        lastError = new Error(`${name} has no ${absent}`);
        continue;
      }
      M[key] = module;
      return null;
    }
    const detail = lastError ? lastError.message : 'not found';
    return { module: names[names.length - 1], detail };
  }

  function resolveModules() {
    if (typeof window.require !== 'function') {
      return { module: 'window.require', detail: 'window.require is not a function' };
    }
    const specs = config.pairing === 'CODE' ? [...MODULES, PAIRING_MODULE] : MODULES;
    for (const spec of specs) {
      const missing = resolveOne(spec);
      if (missing) return missing;
    }
    M.Socket = M.Socket.Socket;
    M.Conn = M.Conn.Conn;
    M.Cmd = M.Cmd.Cmd;
    M.Chat = M.Collections.Chat;
    M.Msg = M.Collections.Msg;
    M.Contact = M.Collections.Contact;
    for (const name of GROUP_METADATA) {
      try {
        const module = window.require(name);
        M.GroupMetadata = module.GroupMetadataCollection || module.default || module;
        break;
      } catch (err) {
        // Older builds: WAWebCollections.GroupMetadata.
      }
    }
    if (!M.GroupMetadata && !M.Collections.GroupMetadata) {
      return { module: GROUP_METADATA[0], detail: 'no group metadata collection' };
    }
    return null;
  }

  function failStartup(code, reason, module) {
    failure = { code, detail: reason };
    report('state', { state: 'FAILED', code, reason, module: module || null, waState: null, me: null });
  }

  async function start() {
    const deadline = Date.now() + config.readyTimeoutMs;
    while (!(window.Debug && window.Debug.VERSION)) {
      if (Date.now() > deadline) {
        failStartup('WHATSAPP_NOT_LOADED',
          `window.Debug.VERSION did not appear within ${config.readyTimeoutMs} ms (${location.href})`);
        return;
      }
      await sleep(config.pollMs);
    }
    version = String(window.Debug.VERSION);
    const missing = resolveModules();
    if (missing) {
      failStartup('MODULE_MISSING',
        `WhatsApp Web ${version} has no module ${missing.module} (${missing.detail})`, missing.module);
      return;
    }
    listen();
    update();
  }

  // Session state ----------------------------------------------------------------------------------

  function readQr() {
    const el = document.querySelector('div[data-ref]');
    const payload = el && el.getAttribute('data-ref');
    if (!payload) return null;
    // The container may still show the previous ref for a frame: wait for the current one.
    const ref = M.Conn.ref;
    if (ref && !payload.startsWith(ref + ',')) return null;
    return payload;
  }

  function watchQr(on) {
    if (on && !qrObserver) {
      qrObserver = new MutationObserver(() => update());
      qrObserver.observe(document.documentElement || document, {
        subtree: true, childList: true, attributes: true, attributeFilter: ['data-ref'],
      });
    } else if (!on && qrObserver) {
      qrObserver.disconnect();
      qrObserver = null;
    }
  }

  function sessionState() {
    const s = M.Socket.state;
    if (loggedOut) return 'LOGGED_OUT';
    if (s === 'CONNECTED') return M.Socket.hasSynced ? 'READY' : 'AUTHENTICATED';
    if (UNPAIRED.has(s)) return config.pairing === 'CODE' ? 'PAIRING_CODE' : 'SCAN_QR';
    if (s === 'CONFLICT') return 'CONFLICT';
    if (BANNED.has(s)) return 'BANNED';
    if (s === 'DEPRECATED_VERSION') return 'FAILED';
    if (LINKING.has(s)) return 'AUTHENTICATED';
    return everReady ? 'DISCONNECTED' : 'STARTING';
  }

  function update() {
    if (failure) return;
    const state = sessionState();
    const s = M.Socket.state;
    const unpaired = state === 'SCAN_QR' || state === 'PAIRING_CODE';
    watchQr(unpaired && config.pairing !== 'CODE');
    if (unpaired) {
      if (s === 'UNPAIRED_IDLE') refreshQr();
      if (config.pairing === 'CODE') askPairingCode();
    } else {
      stopPairingCode();
    }
    if (state === 'READY') everReady = true;
    const me = meWid();
    const next = {
      state,
      waState: s,
      me: state === 'LOGGED_OUT' ? null : jidOf(me),
      qr: state === 'SCAN_QR' ? readQr() : null,
      pairingCode: state === 'PAIRING_CODE' ? pairingCode : null,
      reason: null,
      code: null,
    };
    // Wait for the QR or the code itself before saying the session waits for it.
    if ((state === 'SCAN_QR' && !next.qr) || (state === 'PAIRING_CODE' && !next.pairingCode)) return;
    if (state === 'FAILED') {
      next.code = s;
      next.reason = `WhatsApp Web ${version} reports ${s}`;
    } else if (state === 'BANNED' || state === 'CONFLICT' || state === 'DISCONNECTED') {
      next.reason = `socket ${s}`;
    }
    if (['state', 'qr', 'pairingCode', 'me'].every(k => next[k] === last[k])) return;
    last = next;
    report('state', next);
  }

  let lastRefresh = 0;
  function refreshQr() {
    // WhatsApp Web stops rotating refs after a few; ask for more as its reload button would.
    if (Date.now() - lastRefresh < 2000) return;
    lastRefresh = Date.now();
    try { M.Cmd.refreshQR(); } catch (err) { console.warn('wastream bridge: refreshQR', err); }
  }

  async function askPairingCode() {
    if (pairingBusy || pairingCode) return;
    pairingBusy = true;
    try {
      const api = M.AltLinking;
      if (api.setPairingType) api.setPairingType('ALT_DEVICE_LINKING');
      if (api.initializeAltDeviceLinking) await api.initializeAltDeviceLinking();
      const code = String(await api.startAltLinkingFlow(String(config.phone), false)).replace(/-/g, '');
      pairingCode = code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
      clearTimeout(pairingTimer);
      // The code expires while unpaired: ask for a fresh one now and then.
      pairingTimer = setTimeout(() => { pairingCode = null; update(); }, config.pairingCodeIntervalMs);
    } catch (err) {
      report('state', {
        state: 'FAILED', code: 'PAIRING_CODE_FAILED', waState: M.Socket.state, me: null,
        reason: `no pairing code for ${config.phone}: ${err && err.message}`,
      });
      failure = { code: 'PAIRING_CODE_FAILED', detail: String(err && err.message) };
      return;
    } finally {
      pairingBusy = false;
    }
    update();
  }

  function stopPairingCode() {
    clearTimeout(pairingTimer);
    pairingTimer = null;
    pairingCode = null;
  }

  // Page events ------------------------------------------------------------------------------------

  function msgRecord(m) {
    const key = m.id;
    const chat = jidOf(key.remote);
    const group = isGroupJid(chat);
    const me = jidOf(meWid());
    const sender = key.fromMe ? me : jidOf(group ? (m.author || key.participant) : (m.from || chat));
    const media = MEDIA_TYPES.has(m.type)
      ? { mimetype: String(m.mimetype || 'application/octet-stream'), filename: m.filename || null,
        size: typeof m.size === 'number' ? m.size : null }
      : null;
    return {
      message_id: keyString(key),
      chat,
      sender: sender || chat,
      from_me: !!key.fromMe,
      type: String(m.type || 'unknown'),
      body: m.type === 'chat' ? (m.body || '') : null,
      caption: media && m.caption ? String(m.caption) : null,
      media,
      quoted_id: quotedId(m),
      mentions: (m.mentionedJidList || []).map(jidOf).filter(Boolean),
      is_group: group,
      timestamp: (typeof m.t === 'number' ? m.t : Math.floor(Date.now() / 1000)) * 1000,
    };
  }

  function quotedId(m) {
    const stanza = m.quotedStanzaID;
    if (!stanza) return null;
    const chat = M.Chat.get(m.id.remote);
    const quoted = chat && models(chat.msgs).find(q => q.id.id === stanza);
    return quoted ? keyString(quoted.id) : String(stanza);
  }

  function onMsgAdd(m) {
    if (!m || !m.isNewMsg || !m.id) return;
    if (m.type === 'ciphertext') {
      // Not decrypted yet: report it once it is.
      if (m.once) m.once('change:type', () => onMsgAdd(m));
      return;
    }
    if (m.type === 'gp2') {
      onGroupNotice(m);
      return;
    }
    if (NOT_MESSAGES.has(m.type)) return;
    report('msg', { local: !!(m.local && m.id.fromMe), record: msgRecord(m) });
  }

  function onGroupNotice(m) {
    const kind = GP2_KINDS[m.subtype];
    if (!kind) return;
    const me = jidOf(meWid());
    const participants = (m.recipients || []).map(jidOf).filter(Boolean);
    let reported = kind;
    if (m.subtype === 'leave' && participants.includes(me)) reported = 'LEFT';
    else if ((m.subtype === 'add' || m.subtype === 'invite') && participants.includes(me)) reported = 'JOINED';
    report('group', {
      kind: reported,
      group: jidOf(m.id.remote),
      actor: jidOf(m.author) || null,
      participants,
      subject: m.subtype === 'subject' || m.subtype === 'create' ? (m.body || null) : null,
      description: m.subtype === 'description' ? (m.body || null) : null,
    });
  }

  function listen() {
    M.Socket.on('change:state', () => update());
    M.Socket.on('change:hasSynced', () => update());
    M.Conn.on('change:ref', () => update());
    const onLogout = () => { loggedOut = true; update(); };
    M.Cmd.on('logout', onLogout);
    M.Cmd.on('logout_from_bridge', onLogout);
    M.Msg.on('add', onMsgAdd);
    M.Msg.on('change:ack', (m, ack) => {
      if (!m || !m.id || !m.id.fromMe) return;
      report('ack', { message_id: keyString(m.id), chat: jidOf(m.id.remote), ack: Number(ack) });
    });
    M.Msg.on('change:type', (m, type) => {
      if (!m || !m.id || type !== 'revoked') return;
      const chat = jidOf(m.id.remote);
      report('revoke', {
        message_id: keyString(m.id), chat,
        sender: m.id.fromMe ? jidOf(meWid()) : jidOf(isGroupJid(chat) ? m.author : m.from),
      });
    });
    const table = M.ReactionTable.reactionTableMode;
    const bulkUpsert = table.bulkUpsert;
    table.bulkUpsert = function wastreamReactions(reactions, ...rest) {
      try {
        for (const r of reactions || []) {
          const parent = r.reactionParentKey || r.parentMsgKey;
          if (!parent) continue;
          report('reaction', {
            message_id: keyString(parent), chat: jidOf(parent.remote),
            sender: jidOf(r.senderUserJid || r.author || r.from), emoji: r.reactionText || '',
          });
        }
      } catch (err) {
        console.error('wastream bridge: reaction', err);
      }
      return bulkUpsert.call(this, reactions, ...rest);
    };
  }

  // Operations -------------------------------------------------------------------------------------

  function requireMe() {
    const me = meWid();
    if (!me) fail('NOT_READY', `the session is ${last.state || 'STARTING'}, not logged in`, true);
    return me;
  }

  async function chatFor(jid, { create = true } = {}) {
    const id = wid(jid);
    let chat = M.Chat.get(id);
    if (chat || !create) return chat || null;
    if (isUserJid(jid)) {
      const found = await M.QueryExists.queryWidExists(id);
      if (!found) fail('NOT_ON_WHATSAPP', `${jid} is not on WhatsApp`);
    }
    try {
      chat = (await M.FindChat.findOrCreateLatestChat(id)).chat;
    } catch (err) {
      throw errorOf(err);
    }
    if (!chat) fail('NOT_FOUND', `no chat ${jid}`);
    return chat;
  }

  async function findMsg(serialized, { pages = config.historyLookbackPages } = {}) {
    let msg = M.Msg.get(serialized);
    if (msg) return msg;
    const key = parseKey(serialized);
    if (!key.remote || !key.id) fail('INVALID_REQUEST', `${serialized} is not a message id`);
    if (typeof M.Msg.getMessagesById === 'function') {
      const found = await M.Msg.getMessagesById([serialized]);
      if (found && found.messages && found.messages[0]) return found.messages[0];
    }
    const chat = await chatFor(key.remote, { create: false });
    if (!chat) return null;
    const match = () => models(chat.msgs).find(m => m.id.id === key.id && !!m.id.fromMe === key.fromMe);
    msg = match();
    for (let i = 0; !msg && i < pages && !noEarlier(chat); i++) {
      await M.LoadMsgs.loadEarlierMsgs(chat);
      msg = match();
    }
    return msg || null;
  }

  const noEarlier = chat => !!(chat.msgs.msgLoadState && chat.msgs.msgLoadState.noEarlierMsgs);

  function waitForAck(msg, timeoutMs) {
    return new Promise(resolve => {
      if (msg.ack !== 0) { resolve(msg.ack); return; }
      const done = () => { clearTimeout(timer); msg.off('change:ack', done); resolve(msg.ack); };
      const timer = setTimeout(done, timeoutMs);
      msg.on('change:ack', done);
    });
  }

  async function mediaFields(media) {
    const bytes = Uint8Array.from(atob(media.data), c => c.charCodeAt(0));
    const file = new File([bytes], media.filename || 'file', { type: media.mimetype });
    const opaque = await M.OpaqueData.createFromData(file, media.mimetype);
    const asDocument = media.kind === 'DOCUMENT';
    const mediaData = await M.PrepMedia.prepRawMedia(opaque, { asDocument }).waitForPrep();
    const mediaObject = M.MediaStorage.getOrCreateMediaObject(mediaData.filehash);
    if (asDocument) mediaData.type = 'document';
    const mediaType = M.MediaTypes.msgToMediaType({ type: mediaData.type, isGif: mediaData.isGif });
    if (!(mediaData.mediaBlob instanceof M.OpaqueData)) {
      mediaData.mediaBlob = await M.OpaqueData.createFromData(mediaData.mediaBlob, mediaData.mediaBlob.type);
    }
    mediaData.renderableUrl = mediaData.mediaBlob.url();
    mediaObject.consolidate(mediaData.toJSON());
    if (!mediaObject.mediaBlob) mediaObject.mediaBlob = mediaData.mediaBlob;
    mediaData.mediaBlob.autorelease();
    const uploaded = await M.Upload.uploadMedia({ mimetype: mediaData.mimetype, mediaObject, mediaType });
    const entry = uploaded && uploaded.mediaEntry;
    if (!entry) fail('MEDIA_UPLOAD_FAILED', 'the upload made no media entry', true);
    mediaData.set({
      clientUrl: entry.mmsUrl,
      deprecatedMms3Url: entry.deprecatedMms3Url,
      directPath: entry.directPath,
      mediaKey: entry.mediaKey,
      mediaKeyTimestamp: entry.mediaKeyTimestamp,
      filehash: mediaObject.filehash,
      encFilehash: entry.encFilehash,
      uploadhash: entry.uploadHash,
      size: mediaObject.size,
      streamingSidecar: entry.sidecar,
      firstFrameSidecar: entry.firstFrameSidecar,
    });
    const fields = { ...(mediaData.toJSON ? mediaData.toJSON() : {}) };
    for (const name of ['type', 'mimetype', 'filename', 'size', 'filehash', 'encFilehash', 'directPath',
      'clientUrl', 'deprecatedMms3Url', 'mediaKey', 'mediaKeyTimestamp', 'uploadhash', 'isGif']) {
      if (mediaData[name] !== undefined) fields[name] = mediaData[name];
    }
    if (media.filename) fields.filename = media.filename;
    return fields;
  }

  const ops = {
    state: async () => ({ ...last, version, bridge: BRIDGE_VERSION }),

    sendMessage: async a => {
      const me = requireMe();
      const chat = await chatFor(a.to);
      const group = isGroupJid(jidOf(chat.id));
      const key = new M.MsgKey({ from: me, to: chat.id, id: a.id, participant: group ? me : undefined, selfDir: 'out' });
      const messageId = keyString(key);
      const existing = M.Msg.get(key) || models(chat.msgs).find(m => m.id.fromMe && m.id.id === a.id);
      if (existing && existing.ack > 0) return { message_id: messageId, duplicate: true };
      if (existing && existing.ack === 0) {
        // Sent before and still on its way: wait for it instead of sending it again.
        const ack = await waitForAck(existing, a.timeoutMs);
        if (ack > 0) return { message_id: messageId, duplicate: true };
        if (ack === 0) fail('TIMEOUT', `message ${messageId} is still pending`, true);
      }
      const msg = {
        id: key, ack: 0, body: a.body || '', from: me, to: chat.id, local: true, self: 'out',
        t: Math.floor(Date.now() / 1000), isNewMsg: true, type: 'chat',
      };
      if (a.mentions && a.mentions.length) msg.mentionedJidList = a.mentions.map(wid);
      if (a.quoted) {
        const quoted = await findMsg(a.quoted, { pages: 1 });
        if (quoted && typeof quoted.msgContextInfo === 'function') {
          Object.assign(msg, quoted.msgContextInfo(chat));
        } else {
          const q = quoted ? quoted.id : parseKey(a.quoted);
          msg.quotedStanzaID = q.id;
          msg.quotedRemoteJid = jidOf(q.remote);
          if (q.participant) msg.quotedParticipant = jidOf(q.participant);
        }
      }
      if (a.media) {
        Object.assign(msg, await mediaFields(a.media), { body: '' });
        if (a.caption) msg.caption = a.caption;
      }
      let result;
      try {
        const [msgPromise, resultPromise] = M.SendMsg.addAndSendMsgToChat(chat, msg);
        await msgPromise;
        result = await resultPromise;
      } catch (err) {
        throw errorOf(err);
      }
      if (result && result.messageSendResult && result.messageSendResult !== 'OK') throw sendError(result);
      return { message_id: messageId, duplicate: false };
    },

    hasMessage: async a => {
      requireMe();
      const chat = await chatFor(a.chat, { create: false });
      if (!chat) return false;
      const match = () => models(chat.msgs).find(m => m.id.fromMe && m.id.id === a.id);
      let msg = match();
      for (let i = 0; !msg && i < config.historyLookbackPages && !noEarlier(chat); i++) {
        await M.LoadMsgs.loadEarlierMsgs(chat);
        msg = match();
      }
      return !!msg && msg.ack > 0;
    },

    react: async a => {
      requireMe();
      const msg = await findMsg(a.message_id);
      if (!msg) fail('MESSAGE_NOT_FOUND', `no message ${a.message_id}`);
      const result = await M.SendReaction.sendReactionToMsg(msg, a.emoji || '');
      if (result && result.messageSendResult && result.messageSendResult !== 'OK') throw sendError(result);
      return null;
    },

    markRead: async a => {
      requireMe();
      const chat = await chatFor(a.chat, { create: false });
      if (!chat) fail('NOT_FOUND', `no chat ${a.chat}`);
      await M.Unread.sendSeen({ chat, threadId: undefined });
      return null;
    },

    checkNumbers: async a => {
      requireMe();
      const out = {};
      for (const jid of a.jids) {
        let found;
        try {
          found = await M.QueryExists.queryWidExists(wid(jid));
        } catch (err) {
          // A JID the server refuses as malformed is no account: it must not fail the others.
          const e = errorOf(err);
          if (e.code !== 'INVALID_REQUEST') throw e;
          found = null;
        }
        out[jid] = found && found.wid ? jidOf(found.wid) : '';
      }
      return out;
    },

    createGroup: async a => {
      requireMe();
      const res = await M.GroupCreate.createGroup(
        { title: a.subject, ephemeralDuration: 0, restrict: false, announce: false, memberAddMode: true,
          membershipApprovalMode: false, parentGroupId: undefined },
        a.participants.map(jid => ({ phoneNumber: wid(jid) })));
      const participants = {};
      for (const p of res.participants || []) {
        participants[jidOf(p.wid)] = p.error ? (PARTICIPANT_CODES[p.error] || String(p.error)) : 'OK';
      }
      return { group: jidOf(res.wid || res.gid), participants };
    },

    updateParticipants: async a => {
      requireMe();
      const chat = await chatFor(a.group);
      const meta = groupMetadata(chat.id);
      if (meta && typeof meta.iAmAdmin === 'function' && !meta.iAmAdmin()) {
        fail('NOT_GROUP_ADMIN', `not an admin of ${a.group}`);
      }
      const action = { ADD: 'addParticipants', REMOVE: 'removeParticipants', PROMOTE: 'promoteParticipants', DEMOTE: 'demoteParticipants' }[a.action];
      if (!action) fail('INVALID_REQUEST', `unknown participant action ${a.action}`);
      const results = await M.Participants[action](chat, a.participants.map(wid));
      const out = {};
      for (const r of results || []) {
        const code = r.code !== undefined ? r.code : r.error;
        out[jidOf(r.jid || r.wid || r.id)] = PARTICIPANT_CODES[code] || String(code);
      }
      return out;
    },

    updateGroupInfo: async a => {
      requireMe();
      const id = wid(a.group);
      if (a.subject !== null && a.subject !== undefined) await M.GroupInfo.setGroupSubject(id, a.subject);
      if (a.description !== null && a.description !== undefined) {
        const meta = groupMetadata(id);
        await M.GroupInfo.setGroupDescription(id, a.description, M.MsgKey.newId(), meta ? meta.descId : undefined);
      }
      return null;
    },

    groupInvite: async a => {
      requireMe();
      return String(await M.InviteCode.fetchMexGroupInviteCode(a.group));
    },

    leaveGroup: async a => {
      requireMe();
      const chat = await chatFor(a.group);
      await M.ExitGroup.sendExitGroup(chat);
      return null;
    },

    listChats: async () => models(M.Chat).map(c => {
      const jid = jidOf(c.id);
      return {
        chat: jid,
        name: c.name || c.formattedTitle || null,
        is_group: isGroupJid(jid),
        unread: c.unreadCount > 0 ? c.unreadCount : 0,
        last_message_at: typeof c.t === 'number' && c.t > 0 ? c.t * 1000 : null,
      };
    }),

    listContacts: async () => models(M.Contact).filter(c => isUserJid(jidOf(c.id))).map(c => ({
      jid: jidOf(c.id),
      name: c.name || null,
      pushname: c.pushname || null,
      is_my_contact: !!c.isMyContact,
      is_business: !!c.isBusiness,
    })),

    groupMembers: async a => {
      requireMe();
      const id = wid(a.group);
      let meta = groupMetadata(id);
      if (!meta) meta = await M.GroupQuery.queryAndUpdateGroupMetadataById({ id });
      if (!meta) fail('NOT_FOUND', `no group ${a.group}`);
      return models(meta.participants).map(p => ({
        jid: jidOf(p.id), is_admin: !!p.isAdmin, is_super_admin: !!p.isSuperAdmin,
      }));
    },

    history: async a => {
      requireMe();
      const chat = await chatFor(a.chat, { create: false });
      if (!chat) return { messages: [], more: false };
      const list = () => models(chat.msgs).filter(m => m.id && !NOT_MESSAGES.has(m.type));
      const position = msgs => (a.before ? msgs.findIndex(m => keyString(m.id) === a.before) : msgs.length);
      let msgs = list();
      let end = position(msgs);
      for (let i = 0; end >= 0 && end < a.count && !noEarlier(chat) && i < 10; i++) {
        await M.LoadMsgs.loadEarlierMsgs(chat);
        msgs = list();
        end = position(msgs);
      }
      if (end < 0) fail('MESSAGE_NOT_FOUND', `history cursor ${a.before} is gone`, true);
      const page = msgs.slice(Math.max(0, end - a.count), end).reverse();
      const kept = a.since ? page.filter(m => (m.t || 0) * 1000 >= a.since) : page;
      return {
        messages: kept.map(m => {
          const r = msgRecord(m);
          return { message_id: r.message_id, chat: r.chat, sender: r.sender, from_me: r.from_me, type: r.type,
            body: r.body !== null ? r.body : r.caption, timestamp: r.timestamp };
        }),
        more: kept.length === page.length && (end - a.count > 0 || !noEarlier(chat)),
      };
    },

    logout: async () => {
      loggedOut = true;
      update();
      if (meWid()) await M.Socket.logout();
      return null;
    },

    takeover: async () => {
      M.Socket.takeover();
      return null;
    },
  };

  async function call(op, args) {
    try {
      if (failure) fail(failure.code, failure.detail);
      if (!version || !M.Socket) fail('NOT_READY', 'WhatsApp Web is still loading', true);
      const fn = ops[op];
      if (!fn) fail('INVALID_REQUEST', `the bridge has no operation ${op}`);
      return { ok: true, result: await fn(args || {}) };
    } catch (err) {
      const e = errorOf(err);
      return { ok: false, code: e.code, detail: e.message, transient: !!e.transient };
    }
  }

  Object.defineProperty(window, config.global, {
    value: Object.freeze({ call, version: BRIDGE_VERSION }), enumerable: false, configurable: false,
  });
  start().catch(err => failStartup('PAGE_ERROR', `the bridge did not start: ${err && err.message}`));
})
