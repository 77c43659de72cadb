// RFC 6902 JSON Patch, applied in place. Pure: no DOM.

function unescape(token) {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Splits a JSON Pointer ("/a/b~1c") into its tokens (["a", "b/c"]). */
export function parsePointer(pointer) {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid JSON pointer ${pointer}`);
  return pointer.slice(1).split('/').map(unescape);
}

function index(array, token, forAdd) {
  if (forAdd && token === '-') return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`bad array index ${token}`);
  const i = Number(token);
  if (i > array.length || (!forAdd && i === array.length)) throw new Error(`index ${i} out of range`);
  return i;
}

function parentOf(doc, tokens) {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[index(node, token, false)];
    else if (node !== null && typeof node === 'object' && Object.hasOwn(node, token)) node = node[token];
    else throw new Error(`path not found: /${tokens.join('/')}`);
  }
  if (node === null || typeof node !== 'object') throw new Error('parent is not a container');
  return node;
}

function get(doc, tokens) {
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent[index(parent, last, false)];
  if (!Object.hasOwn(parent, last)) throw new Error(`path not found: /${tokens.join('/')}`);
  return parent[last];
}

function remove(doc, tokens) {
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent.splice(index(parent, last, false), 1)[0];
  if (!Object.hasOwn(parent, last)) throw new Error(`path not found: /${tokens.join('/')}`);
  const value = parent[last];
  delete parent[last];
  return value;
}

function add(doc, tokens, value) {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(index(parent, last, true), 0, value);
  else parent[last] = value;
  return doc;
}

function clone(value) {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/**
 * Applies `ops` to `doc` and returns the new document (the same object unless the
 * root itself was replaced). Throws on an invalid patch; the document may then be
 * half-patched, so the caller must resynchronize.
 */
export function applyPatch(doc, ops) {
  if (!Array.isArray(ops)) throw new Error('a patch is an array');
  for (const op of ops) {
    const path = parsePointer(op.path);
    switch (op.op) {
      case 'add':
        doc = add(doc, path, clone(op.value));
        break;
      case 'remove':
        if (path.length === 0) throw new Error('cannot remove the root');
        remove(doc, path);
        break;
      case 'replace':
        if (path.length === 0) { doc = clone(op.value); break; }
        get(doc, path);
        remove(doc, path);
        doc = add(doc, path, clone(op.value));
        break;
      case 'move': {
        const from = parsePointer(op.from);
        const value = from.length === 0 ? doc : remove(doc, from);
        doc = add(doc, path, value);
        break;
      }
      case 'copy':
        doc = add(doc, path, clone(get(doc, parsePointer(op.from))));
        break;
      case 'test':
        if (JSON.stringify(get(doc, path)) !== JSON.stringify(op.value)) throw new Error(`test failed at ${op.path}`);
        break;
      default:
        throw new Error(`unknown operation ${op.op}`);
    }
  }
  return doc;
}

/**
 * Which torrents a patch touches: a Set of info hashes, or null when it touches
 * the whole torrent map (render them all).
 */
export function touchedTorrents(ops) {
  const hashes = new Set();
  for (const op of ops) {
    for (const pointer of [op.path, op.from]) {
      if (pointer === undefined) continue;
      const tokens = parsePointer(pointer);
      if (tokens.length === 0 || (tokens[0] === 'torrents' && tokens.length === 1)) return null;
      if (tokens[0] === 'torrents') hashes.add(tokens[1]);
    }
  }
  return hashes;
}
