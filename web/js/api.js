// Calls to the JSON API. URLs are relative so the UI works under any sub-path.

/** Opens the login page, which comes back to this page after logging in. */
export function goToLogin() {
  window.location.assign('login');
}

/**
 * Whether this server asks for a login: a request without the session cookie is
 * refused. False when the server cannot be reached.
 */
export async function loginRequired() {
  try {
    const res = await fetch('api/v1/config', { method: 'HEAD', credentials: 'omit', cache: 'no-store' });
    return res.status === 401;
  } catch {
    return false;
  }
}

/**
 * Checks that the session is still valid (after the live stream dropped, whose
 * status code a page cannot see) and opens the login page when it is not.
 */
export async function checkSession() {
  try {
    const res = await fetch('api/v1/config', { method: 'HEAD', cache: 'no-store' });
    if (res.status === 401) goToLogin();
  } catch { /* the server is away: the stream retries */ }
}

/** The error of a request that got no answer at all. */
export const UNREACHABLE = 'The server cannot be reached.';

/**
 * `method` on `path` (relative, e.g. "api/v1/torrents"). A plain object body is
 * sent as JSON; a Blob or ArrayBuffer as is, with `type` as its content type.
 * Resolves to `{status, body}`, the body being the JSON answer (or null); rejects
 * with the server's error message. A 401 (the session ended) opens the login page
 * instead and never settles.
 */
export async function request(method, path, body, type) {
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
    throw new Error(UNREACHABLE);
  }
  if (res.status === 401) {
    // The session ended (expired, or logged out elsewhere): log in again.
    goToLogin();
    return new Promise(() => {});
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
  if (res.status === 204) return { status: res.status, body: null };
  const contentType = res.headers.get('content-type') ?? '';
  return { status: res.status, body: await (contentType.includes('json') ? res.json() : res.text()) };
}

/** Like `request`, resolving to the answer's body only. */
export async function api(method, path, body, type) {
  return (await request(method, path, body, type)).body;
}

/** The path of a torrent's resource: torrentPath(hash, 'stop'). */
export function torrentPath(hash, ...rest) {
  return ['api/v1/torrents', encodeURIComponent(hash), ...rest].join('/');
}

/** A relative URL for a file of the download folder. */
export function downloadUrl(relativePath) {
  return `download/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}
