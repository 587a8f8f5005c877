// The runs this browser keeps, in IndexedDB (typed arrays are stored as they are, and
// nothing is serialised on the page's thread as localStorage would), bounded by a count and
// by bytes: the oldest go first. Where IndexedDB is refused (some private windows), runs
// are kept in memory for this page only, and `persistent` says so.

export const MAX_RUNS = 10;
/** Every kept run together, as run-entry.js estimates them. */
export const MAX_TOTAL_BYTES = 8 * 1024 * 1024;
const DB_NAME = "transport-lab";
const STORE = "runs";

const request = (req) =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });

const finished = (tx) =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });

function openDb() {
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
  return request(req);
}

// A record kept by an older page may lack any field: one without a number counts as 0.
const numberOr0 = (value) => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/** Newest first; what falls outside the bounds. */
function overBounds(entries) {
  let bytes = 0;
  return entries.filter((entry, i) => {
    bytes += numberOr0(entry?.bytes);
    return i > 0 && (i >= MAX_RUNS || bytes > MAX_TOTAL_BYTES);
  });
}

const newestFirst = (entries) => entries.sort((a, b) => numberOr0(b?.savedAt) - numberOr0(a?.savedAt));

export async function openStore() {
  let db = null;
  try {
    db = await openDb();
  } catch {
    db = null;
  }
  let memory = [];
  const all = async () => (db ? newestFirst(await request(db.transaction(STORE).objectStore(STORE).getAll())) : memory);
  return {
    persistent: db !== null,
    all,
    /** Keep `entry` (replacing one of the same id), then drop what is over the bounds. */
    async keep(entry) {
      if (!db) {
        memory = newestFirst([entry, ...memory.filter((kept) => kept.id !== entry.id)]);
        memory = memory.filter((kept) => !overBounds(memory).includes(kept));
        return memory;
      }
      let tx = db.transaction(STORE, "readwrite");
      tx.objectStore(STORE).put(entry);
      await finished(tx);
      const dropped = overBounds(await all());
      tx = db.transaction(STORE, "readwrite");
      for (const old of dropped) tx.objectStore(STORE).delete(old.id);
      await finished(tx);
      return all();
    },
    async forget() {
      memory = [];
      if (!db) return;
      const tx = db.transaction(STORE, "readwrite");
      tx.objectStore(STORE).clear();
      await finished(tx);
    },
  };
}
