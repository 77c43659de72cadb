// The live state: an EventSource on api/v1/events. The first event is the whole
// state, the next ones JSON Patches. When the connection drops, reconnect with
// backoff and resume from the last version seen.

import { applyPatch, touchedTorrents } from './patch.js';

const MIN_DELAY = 500;
const MAX_DELAY = 15000;

/**
 * Connects and keeps connected. `onState(state, touched)` gets the whole state and
 * the info hashes a patch touched (null: anything may have changed);
 * `onStatus(status, retryInMs)` gets 'connecting', 'live' or 'offline';
 * `onDrop()` is called when the connection fails (e.g. to check the session).
 */
export function connect({ onState, onStatus, onDrop }) {
  let source = null;
  let state = null;
  let version = null;
  let attempt = 0;
  let timer = null;

  function open() {
    clearTimeout(timer);
    timer = null;
    const url = version === null ? 'api/v1/events' : `api/v1/events?lastEventId=${encodeURIComponent(version)}`;
    onStatus('connecting');
    source = new EventSource(url);
    source.addEventListener('open', () => {
      attempt = 0;
      onStatus('live');
    });
    source.addEventListener('state', (event) => {
      try {
        state = JSON.parse(event.data);
      } catch {
        resync();
        return;
      }
      version = event.lastEventId;
      onStatus('live');
      onState(state, null);
    });
    source.addEventListener('patch', (event) => {
      if (state === null) {
        resync();
        return;
      }
      try {
        const ops = JSON.parse(event.data);
        state = applyPatch(state, ops);
        version = event.lastEventId;
        onState(state, touchedTorrents(ops));
      } catch {
        resync();
      }
    });
    source.addEventListener('error', () => {
      close();
      retry();
      onDrop?.();
    });
  }

  function close() {
    if (source) source.close();
    source = null;
  }

  /** Start over from the whole state. */
  function resync() {
    close();
    state = null;
    version = null;
    open();
  }

  function retry() {
    const base = Math.min(MAX_DELAY, MIN_DELAY * 2 ** attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    attempt += 1;
    onStatus('offline', delay);
    timer = setTimeout(open, delay);
  }

  window.addEventListener('online', () => {
    if (!source) {
      attempt = 0;
      open();
    }
  });
  open();
  return {
    /** Reconnects now instead of waiting for the backoff. */
    reconnect() {
      if (!source) {
        attempt = 0;
        open();
      }
    },
  };
}
