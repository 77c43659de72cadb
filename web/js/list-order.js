// The order of the torrent list, kept between renders. Pure: no DOM. A full sort
// computes each torrent's sort key once (columns.js's sort entries) and sorts
// those; a live update that touched a few torrents takes their entries out and
// merges fresh ones back in at their places, in one pass over the list, so that
// ten thousand torrents cost a pass rather than a sort. Both give the same order:
// the comparison is total (the info hash breaks every tie).

import { compareEntries, sortColumn, sortEntry } from './columns.js';

/**
 * A list kept sorted: `sort(torrents, order)` sorts afresh, `update(touched,
 * lookup)` follows a live update, `pick(keep)` gives the torrents in order.
 */
export function listOrder() {
  // The sort entries, in order, and the sort they follow ({key, desc}).
  let entries = [];
  let sortedBy = null;

  const comparing = () => {
    const dir = sortedBy.desc ? -1 : 1;
    return (x, y) => compareEntries(x, y, dir);
  };

  return {
    /** Whether the list follows sort `order` ({key, desc}) already. */
    sortedAs(order) {
      return sortedBy !== null && sortedBy.key === order.key && sortedBy.desc === order.desc;
    },

    /** Sorts `torrents` (an array) by `order` ({key, desc}), each key computed once. */
    sort(torrents, order) {
      sortedBy = { key: order.key, desc: Boolean(order.desc) };
      const column = sortColumn(sortedBy.key);
      entries = new Array(torrents.length);
      for (let i = 0; i < torrents.length; i += 1) entries[i] = sortEntry(column, torrents[i]);
      entries.sort(comparing());
    },

    /**
     * Follows a live update: the torrents of `touched` (info hashes) were added,
     * changed or removed; `lookup(hash)` is the torrent now (undefined when gone).
     * Only their keys are computed again; the others keep theirs.
     */
    update(touched, lookup) {
      if (touched.size === 0 || sortedBy === null) return;
      const column = sortColumn(sortedBy.key);
      const compare = comparing();
      const fresh = [];
      for (const hash of touched) {
        const t = lookup(hash);
        if (t !== undefined) fresh.push(sortEntry(column, t));
      }
      fresh.sort(compare);
      // One pass: the untouched entries, in their order, with the fresh ones merged in.
      const merged = [];
      let j = 0;
      for (let i = 0; i < entries.length; i += 1) {
        const e = entries[i];
        if (touched.has(e.h)) continue;
        while (j < fresh.length && compare(fresh[j], e) < 0) merged.push(fresh[j++]);
        merged.push(e);
      }
      while (j < fresh.length) merged.push(fresh[j++]);
      entries = merged;
    },

    /**
     * The torrents in order that `keep(t)` passes (all of them when `keep` is null)
     * and their info hashes: `{torrents, hashes}`, new arrays.
     */
    pick(keep) {
      const torrents = [];
      const hashes = [];
      for (let i = 0; i < entries.length; i += 1) {
        const e = entries[i];
        if (keep === null || keep(e.t)) {
          torrents.push(e.t);
          hashes.push(e.h);
        }
      }
      return { torrents, hashes };
    },
  };
}
