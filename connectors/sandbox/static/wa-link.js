// The page's link to the sandbox network: login kept in IndexedDB behind a non-extractable
// WebCrypto key, QR refs and pairing codes, reconnection, requests and server events.

import { Wid } from './wa-backbone.js';
import { Cmd, Conn, Socket, applyEvent, applySync, state } from './wa-store.js';

const DB_NAME = 'wawc';
const DB_STORE = 'user';
const LOGIN_KEY = 'login';
const LS_KEYS = ['last-wid-md', 'sandbox-device-id', 'sandbox-pushname'];

export const b64 = {
  encode(buffer) {
    const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  },
  decode(text) {
    return Uint8Array.from(atob(text), c => c.charCodeAt(0));
  },
};

function openDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(DB_STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function dbOp(mode, op) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(DB_STORE, mode);
      const req = op(tx.objectStore(DB_STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const loginStore = {
  get: () => dbOp('readonly', s => s.get(LOGIN_KEY)),
  put: record => dbOp('readwrite', s => s.put(record, LOGIN_KEY)),
  clear: () => dbOp('readwrite', s => s.delete(LOGIN_KEY)),
};

export class RequestError extends Error {
  constructor(error) {
    super(error.detail || error.code);
    // whatsapp-web.js recognises refused group changes by this name.
    this.name = 'ServerStatusCodeError';
    this.code = error.code;
    this.statusCode = error.status;
    this.field = error.field;
  }
}

function pageParams() {
  const q = new URLSearchParams(location.search);
  const num = name => (q.has(name) ? Number(q.get(name)) : undefined);
  const qr = {};
  for (const [key, name] of [['first_ms', 'qr_first_ms'], ['ms', 'qr_ms'], ['refs', 'qr_refs']]) {
    if (num(name) !== undefined) qr[key] = num(name);
  }
  return { qr, history: num('history') };
}

function browserName() {
  const ua = navigator.userAgent;
  if (/Edg\//.test(ua)) return 'Edge';
  if (/Chrome\//.test(ua)) return 'Chrome';
  if (/Firefox\//.test(ua)) return 'Firefox';
  return 'Browser';
}

export class Link {
  constructor(require) {
    this.require = require;
    this.ws = null;
    this.nextReq = 1;
    this.pending = new Map();
    this.outbox = [];
    this.ready = false;
    this.login = null;
    this.pairKeys = null;
    this.pairingActive = false;
    this.pairingWaiters = [];
    this.conflicted = false;
    this.bannedUntil = 0;
    this.attempt = 0;
    this.loggingOut = false;
    this.params = pageParams();
    this.qr = null;
    this.payload = null;
  }

  start() { this.connect(); }

  setState(value) { Socket.set('state', value); }

  connect() {
    if (this.ws) return;
    if (!window.crypto || !crypto.subtle || !window.indexedDB) {
      console.error('the sandbox page needs WebCrypto and IndexedDB: open it on localhost or https');
      this.setState('UNLAUNCHED');
      return;
    }
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    this.ws = ws;
    this.ready = false;
    ws.onmessage = ev => this.onFrame(JSON.parse(ev.data)).catch(err => console.error(err));
    ws.onclose = ev => this.onClose(ev.code);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  // A request to the network; `queue` keeps it (sends) while the socket is down but logged in.
  request(type, payload = {}, { queue = false, anyState = false } = {}) {
    return new Promise((resolve, reject) => {
      const req = this.nextReq++;
      const entry = { resolve, reject, frame: { type, req, ...payload } };
      if (this.ready || (anyState && this.ws && this.ws.readyState === WebSocket.OPEN)) {
        this.pending.set(req, entry);
        this.send(entry.frame);
        return;
      }
      const s = Socket.state;
      if (queue && this.login && !['CONFLICT', 'TOS_BLOCK'].includes(s)) {
        this.outbox.push(entry);
        return;
      }
      const code = s === 'TOS_BLOCK' ? 'account-banned' : 'not-connected';
      reject(new RequestError({ code, status: 0, detail: `the page is ${s}` }));
    });
  }

  async onFrame(f) {
    switch (f.type) {
      case 'challenge':
        this.nonce = b64.decode(f.nonce);
        await this.loginOrPair();
        break;
      case 'ref':
        this.pairingActive = true;
        this.payload = f.payload;
        this.qr = f.qr;
        Conn.set('ref', f.ref);
        if (Socket.state !== 'UNPAIRED') this.setState('UNPAIRED');
        for (const resolve of this.pairingWaiters.splice(0)) resolve();
        break;
      case 'idle':
        this.setState('UNPAIRED_IDLE');
        break;
      case 'paired':
        await this.savePaired(f);
        this.setState('PAIRING');
        await this.sendLogin();
        break;
      case 'connected':
        this.onConnected(f.me);
        break;
      case 'sync':
        applySync(f);
        this.ready = true;
        if (!Socket.hasSynced) Socket.set('hasSynced', true);
        this.send({ type: 'synced' });
        this.flushOutbox();
        break;
      case 'reply': {
        const entry = this.pending.get(f.req);
        if (!entry) break;
        this.pending.delete(f.req);
        if (f.ok) entry.resolve(f.result);
        else entry.reject(new RequestError(f.error));
        break;
      }
      case 'logged-out':
        await this.forget();
        break;
      case 'logout':
        await this.onLogout();
        break;
      case 'conflict':
        this.conflicted = true;
        break;
      case 'banned':
        this.bannedUntil = f.until * 1000;
        break;
      case 'error':
        console.error('sandbox:', f.detail);
        break;
      default:
        applyEvent(f, this.require);
    }
  }

  async loginOrPair() {
    const login = await loginStore.get();
    if (login && login.key && login.device) {
      this.login = login;
      state.me = new Wid(login.wid);
      await this.sendLogin();
    } else {
      this.login = null;
      await this.startPairing();
    }
  }

  async sendLogin() {
    const signature = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' }, this.login.key, this.nonce);
    this.send({
      type: 'login', device: this.login.device, signature: b64.encode(signature), history: this.params.history,
    });
  }

  async startPairing() {
    // The private key cannot be exported: only this browser profile can sign as this device.
    this.pairKeys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const identity = b64.encode(await crypto.subtle.exportKey('raw', this.pairKeys.publicKey));
    const random = () => b64.encode(crypto.getRandomValues(new Uint8Array(32)));
    this.send({
      type: 'pair', noise: random(), identity, adv: random(), platform: browserName(),
      qr: this.params.qr, history: this.params.history,
    });
  }

  async savePaired(f) {
    const record = {
      device: f.device, wid: f.wid, pushname: f.pushname, platform: f.platform,
      key: this.pairKeys.privateKey, linkedAt: Date.now(),
    };
    await loginStore.put(record);
    localStorage.setItem('last-wid-md', JSON.stringify(f.wid));
    localStorage.setItem('sandbox-device-id', f.device);
    localStorage.setItem('sandbox-pushname', f.pushname);
    this.login = record;
    this.pairingActive = false;
    state.me = new Wid(f.wid);
  }

  onConnected(me) {
    this.attempt = 0;
    this.bannedUntil = 0;
    state.me = new Wid(me.wid);
    state.device = me.device;
    Conn.set({ wid: state.me, pushname: me.pushname, platform: me.platform, connected: true });
    Socket.set('stream', 'CONNECTED');
    this.setState('CONNECTED');
  }

  flushOutbox() {
    for (const entry of this.outbox.splice(0)) {
      this.pending.set(entry.frame.req, entry);
      this.send(entry.frame);
    }
  }

  failOutbox(code) {
    for (const entry of this.outbox.splice(0)) {
      entry.reject(new RequestError({ code, status: 0, detail: 'the message could not be sent' }));
    }
  }

  onClose(code) {
    this.ws = null;
    this.ready = false;
    Socket.set('stream', 'DISCONNECTED');
    Conn.set('connected', false);
    for (const entry of this.pending.values()) {
      if (entry.frame.type === 'send' && this.login) this.outbox.push(entry);
      else entry.reject(new RequestError({ code: 'not-connected', status: 0, detail: 'the socket closed' }));
    }
    this.pending.clear();
    if (this.loggingOut) return;
    if (this.conflicted) {
      this.setState('CONFLICT');
      this.failOutbox('not-connected');
      return;
    }
    if (this.bannedUntil > Date.now()) {
      this.setState('TOS_BLOCK');
      this.failOutbox('account-banned');
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reconnect(), this.bannedUntil - Date.now() + 100);
      return;
    }
    if (Socket.state === 'CONNECTED') this.setState('TIMEOUT');
    const delay = Math.min(250 * 2 ** this.attempt, 3000);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reconnect(), code === 4004 ? 0 : delay);
  }

  reconnect() {
    if (this.ws || this.conflicted) return;
    if (this.login) this.setState('OPENING');
    this.connect();
  }

  takeover() {
    this.conflicted = false;
    this.setState('OPENING');
    this.connect();
  }

  async forget() {
    this.login = null;
    state.me = undefined;
    await loginStore.clear();
    for (const key of LS_KEYS) localStorage.removeItem(key);
  }

  async onLogout() {
    this.loggingOut = true;
    Cmd.trigger('logout');
    await this.forget();
    const q = new URLSearchParams(location.search);
    q.set('post_logout', '1');
    location.replace(location.pathname + '?' + q.toString());
  }

  refreshQR() {
    if (this.login) return;
    this.send({ type: 'refresh-qr' });
  }

  whenPairing() {
    if (this.login) return Promise.reject(new Error('the page is already linked'));
    if (this.pairingActive) return Promise.resolve();
    return new Promise(resolve => this.pairingWaiters.push(resolve));
  }
}
