// Backbone-like models and collections, Wid and MsgKey, shaped as WhatsApp Web's are.
// Attributes live in `__x_<name>` own properties with an accessor `<name>`, as in WhatsApp Web.

export class Events {
  _listeners(name) {
    if (!this._ev) Object.defineProperty(this, '_ev', { value: new Map(), enumerable: false });
    if (!this._ev.has(name)) this._ev.set(name, []);
    return this._ev.get(name);
  }

  on(names, fn, ctx) {
    for (const name of String(names).split(/\s+/).filter(Boolean)) {
      this._listeners(name).push({ fn, ctx, once: false });
    }
    return this;
  }

  once(names, fn, ctx) {
    for (const name of String(names).split(/\s+/).filter(Boolean)) {
      this._listeners(name).push({ fn, ctx, once: true });
    }
    return this;
  }

  off(names, fn, ctx) {
    if (!this._ev) return this;
    const list = names ? String(names).split(/\s+/).filter(Boolean) : [...this._ev.keys()];
    for (const name of list) {
      if (!fn) { this._ev.delete(name); continue; }
      const kept = (this._ev.get(name) || []).filter(l => l.fn !== fn || (ctx && l.ctx !== ctx));
      this._ev.set(name, kept);
    }
    return this;
  }

  trigger(name, ...args) {
    const run = (list, callArgs) => {
      for (const l of [...list]) {
        if (l.once) this.off(name, l.fn);
        try { l.fn.apply(l.ctx || this, callArgs); } catch (err) { console.error(err); }
      }
    };
    if (this._ev) {
      if (this._ev.has(name)) run(this._ev.get(name), args);
      if (this._ev.has('all')) run(this._ev.get('all'), [name, ...args]);
    }
    return this;
  }
}

function serializeValue(value) {
  if (value instanceof Model || value instanceof Collection) return value.serialize();
  if (value instanceof Wid) return { server: value.server, user: value.user, _serialized: value._serialized };
  if (value instanceof MsgKey) {
    return {
      fromMe: value.fromMe,
      remote: serializeValue(value.remote),
      id: value.id,
      participant: value.participant ? serializeValue(value.participant) : undefined,
      _serialized: value._serialized,
    };
  }
  if (Array.isArray(value)) return value.map(serializeValue);
  return value;
}

export class Model extends Events {
  constructor(attrs = {}) {
    super();
    Object.defineProperty(this, '_parents', { value: new Set(), enumerable: false });
    this.set(attrs, { silent: true });
  }

  get(name) { return this['__x_' + name]; }

  set(key, value, options) {
    let attrs = key;
    let opts = value;
    if (typeof key === 'string') { attrs = { [key]: value }; opts = options; }
    opts = opts || {};
    const changes = [];
    for (const [name, next] of Object.entries(attrs || {})) {
      const slot = '__x_' + name;
      if (!(slot in this)) {
        this[slot] = undefined;
        Object.defineProperty(this, name, {
          get() { return this[slot]; },
          set(v) { this.set(name, v); },
          enumerable: false,
          configurable: true,
        });
      }
      const prev = this[slot];
      if (prev === next) continue;
      this[slot] = next;
      changes.push([name, next, prev]);
    }
    if (!opts.silent) {
      for (const [name, next, prev] of changes) this.trigger('change:' + name, this, next, prev);
      if (changes.length) this.trigger('change', this);
    }
    return this;
  }

  trigger(name, ...args) {
    super.trigger(name, ...args);
    for (const parent of this._parents) parent.trigger(name, ...args);
    return this;
  }

  attributes() {
    const out = {};
    for (const k of Object.keys(this)) if (k.startsWith('__x_')) out[k.slice(4)] = this[k];
    return out;
  }

  serialize() {
    const out = {};
    for (const [k, v] of Object.entries(this.attributes())) out[k] = serializeValue(v);
    return out;
  }

  toJSON() { return this.serialize(); }
  unsafe() { return this; }
}

function keyOf(id) {
  if (id === null || id === undefined) return undefined;
  if (typeof id === 'string') return id;
  if (typeof id._serialized === 'string') return id._serialized;
  if (id.id !== undefined && id.id !== id) return keyOf(id.id);
  return String(id);
}

export class Collection extends Events {
  constructor(model = Model) {
    super();
    this.model = model;
    this._models = [];
    this._byId = new Map();
  }

  get models() { return this._models; }
  get length() { return this._models.length; }

  get(id) { return this._byId.get(keyOf(id)); }
  has(id) { return this._byId.has(keyOf(id)); }
  at(i) { return this._models[i]; }
  head() { return this._models[0]; }
  last() { return this._models[this._models.length - 1]; }
  getModelsArray() { return [...this._models]; }
  toArray() { return [...this._models]; }
  forEach(fn) { this._models.forEach(fn); }
  map(fn) { return this._models.map(fn); }
  filter(fn) { return this._models.filter(fn); }
  some(fn) { return this._models.some(fn); }
  where(attrs) { return this._models.filter(m => Object.entries(attrs).every(([k, v]) => m[k] === v)); }
  serialize() { return this._models.map(m => m.serialize()); }
  toJSON() { return this.serialize(); }

  // WhatsApp Web's `find` takes an id and answers a promise; a function searches the models.
  find(idOrFn) {
    if (typeof idOrFn === 'function') return this._models.find(idOrFn);
    return Promise.resolve(this.get(idOrFn));
  }

  add(items, options = {}) {
    const single = !Array.isArray(items);
    const list = single ? [items] : items;
    const out = [];
    const added = [];
    let at = options.at;
    for (const item of list) {
      if (!item) continue;
      const key = keyOf(item instanceof Model ? item.id : item.id);
      const existing = this._byId.get(key);
      if (existing) {
        if (options.merge && !(item instanceof Model)) existing.set(item);
        out.push(existing);
        continue;
      }
      const model = item instanceof Model ? item : new this.model(item);
      if (typeof at === 'number') this._models.splice(at++, 0, model);
      else this._models.push(model);
      this._byId.set(key, model);
      model._parents.add(this);
      added.push(model);
      out.push(model);
    }
    if (!options.silent) for (const model of added) this.trigger('add', model, this, options);
    return single ? out[0] : out;
  }

  remove(items, options = {}) {
    const single = !Array.isArray(items);
    const out = [];
    for (const item of single ? [items] : items) {
      const model = this.get(item instanceof Model ? item.id : item);
      if (!model) continue;
      this._byId.delete(keyOf(model.id));
      this._models.splice(this._models.indexOf(model), 1);
      model._parents.delete(this);
      out.push(model);
      if (!options.silent) this.trigger('remove', model, this, options);
    }
    return single ? out[0] : out;
  }
}

export class Wid {
  constructor(jid) {
    const text = String(jid);
    const at = text.indexOf('@');
    this.server = at >= 0 ? text.slice(at + 1) : 'c.us';
    this.user = at >= 0 ? text.slice(0, at) : text;
    this._serialized = this.user + '@' + this.server;
  }

  isUser() { return this.server === 'c.us'; }
  isGroup() { return this.server === 'g.us'; }
  isLid() { return this.server === 'lid'; }
  isBroadcast() { return this.server === 'broadcast'; }
  isStatus() { return this._serialized === 'status@broadcast'; }
  isNewsletter() { return this.server === 'newsletter'; }
  toString() { return this._serialized; }
  toJid() { return this._serialized; }
  toJSON() { return this._serialized; }
  equals(other) { return !!other && keyOf(other) === this._serialized; }
}

export function asWid(value) {
  if (value === null || value === undefined || value === '') return undefined;
  if (value instanceof Wid) return value;
  if (typeof value === 'object' && value.id && !value._serialized) return asWid(value.id);
  return new Wid(typeof value === 'object' ? value._serialized : value);
}

function hexId(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), b => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

// The module WAWebMsgKey *is* this class: new MsgKey({from, to, id, participant, selfDir}).
export class MsgKey {
  constructor({ from, to, id, participant, selfDir, fromMe, remote } = {}) {
    this.fromMe = fromMe !== undefined ? !!fromMe : selfDir === 'out';
    this.remote = asWid(remote !== undefined ? remote : (this.fromMe ? to : from));
    this.id = String(id);
    this.participant = asWid(participant);
    this._serialized = `${this.fromMe}_${this.remote._serialized}_${this.id}` +
      (this.participant ? `_${this.participant._serialized}` : '');
  }

  static newId() { return '3EB0' + hexId(8); }

  static fromString(text) {
    const [fromMe, remote, id, participant] = String(text).split('_');
    return new MsgKey({ fromMe: fromMe === 'true', remote, id, participant });
  }

  toString() { return this._serialized; }
  toJSON() { return this._serialized; }
  equals(other) { return !!other && keyOf(other) === this._serialized; }
}
