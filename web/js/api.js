// Calls to the JSON API. URLs are relative so the UI works under any sub-path.

/**
 * `method` on `path` (relative, e.g. "api/v1/torrents"). A plain object body is
 * sent as JSON; a Blob or ArrayBuffer as is, with `type` as its content type.
 * Resolves to the JSON answer (or null); rejects with the server's error message.
 */
export async function api(method, path, body, type) {
  const init = { method, headers: {} };
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    init.body = body;
    init.headers['content-type'] = type ?? 'application/octet-stream';
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new Error('The server cannot be reached.');
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const json = await res.json();
      if (json && typeof json.error === 'string') message = json.error;
    } catch { /* not JSON */ }
    const error = new Error(message);
    error.status = res.status;
    throw error;
  }
  if (res.status === 204) return null;
  const contentType = res.headers.get('content-type') ?? '';
  return contentType.includes('json') ? res.json() : res.text();
}

/** The path of a torrent's resource: torrentPath(hash, 'stop'). */
export function torrentPath(hash, ...rest) {
  return ['api/v1/torrents', encodeURIComponent(hash), ...rest].join('/');
}

/** A relative URL for a file of the download folder. */
export function downloadUrl(relativePath) {
  return `download/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}
