// The device's state in IndexedDB, which outlives a closed tab, a restarted browser and a
// lost network: its key pair (the private half a non-extractable CryptoKey, stored as the
// key object itself, never as bytes), its registration, its report counter, and the reports
// with their media until the server has logged them.
//
//   device   {id: "device", keyPair, publicKey (base64), sensor, keyid, team, member, seq}
//            {id: "clock", offset_ms, half_rtt_ms, device_ms, server_time}  (clock.js)
//   reports  {id, seq, kind, createdAt, envelope (text), media: [{sha256, name, type, blob,
//             result}], status: queued | logged | refused, receipt, reason}

const DB_NAME = "truceline-field";
const VERSION = 1;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let opened = null;

export function openDb() {
  if (!opened) {
    const req = indexedDB.open(DB_NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore("device", { keyPath: "id" });
      db.createObjectStore("reports", { keyPath: "id", autoIncrement: true });
    };
    opened = request(req);
  }
  return opened;
}

async function tx(store, mode, fn) {
  const db = await openDb();
  const t = db.transaction(store, mode);
  const result = await request(fn(t.objectStore(store)));
  await new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
  return result;
}

export const getDevice = () => tx("device", "readonly", (s) => s.get("device"));
export const putDevice = (device) => tx("device", "readwrite", (s) => s.put({ ...device, id: "device" }));
export const allReports = () => tx("reports", "readonly", (s) => s.getAll());
export const putReport = (report) => tx("reports", "readwrite", (s) => s.put(report));
export const getClock = () => tx("device", "readonly", (s) => s.get("clock"));
export const putClock = (clock) => tx("device", "readwrite", (s) => s.put({ ...clock, id: "clock" }));
