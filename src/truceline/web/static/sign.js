// A signatory's act, signed in the browser: RFC 8785 payload, DSSE envelope, Ed25519 key.
//
// The envelope is the bytes src/truceline/codec/dsse.py `Envelope.to_json` writes (RFC 8785
// JSON of {"payload", "payloadType", "signatures": [{"keyid", "sig"}]}, standard base64), which
// is the ledger entry the server logs; the signature covers DSSE's PAE(payloadType, payload).
// The key is imported non-extractable: this page can sign with it while it is open, and
// nothing, this page included, can read it back.

import { b64encode, concat, ed25519Verify, hex, secureContext, sha256, VerifyError } from "./verify.js";

const utf8 = new TextEncoder();

/** RFC 8785 (JCS): keys sorted by UTF-16 code units, no whitespace, ECMAScript numbers. */
export function canonicalize(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new VerifyError("JCS: numbers must be finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(",")}]`;
  if (typeof value === "object") {
    // Array.prototype.sort compares UTF-16 code units, as RFC 8785 orders keys.
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(value[k])}`).join(",")}}`;
  }
  throw new VerifyError(`JCS: cannot encode a ${typeof value}`);
}

/** DSSE's Pre-Authentication Encoding; lengths count UTF-8 bytes. */
export function pae(payloadType, payload) {
  const type = utf8.encode(payloadType);
  return concat(utf8.encode(`DSSEv1 ${type.length} `), type, utf8.encode(` ${payload.length} `), payload);
}

/** The canonical envelope bytes (Envelope.to_json) for one signature. */
export function envelopeBytes(payloadType, payload, keyid, sig) {
  return utf8.encode(
    canonicalize({ payload: b64encode(payload), payloadType, signatures: [{ keyid, sig: b64encode(sig) }] }),
  );
}

/** RFC 3339 UTC with a Z and no more precision than the value has (observation.format_time). */
export function formatTime(date) {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const [whole, frac] = iso.slice(0, -1).split(".");
  const digits = (frac || "").replace(/0+$/, "");
  return digits ? `${whole}.${digits}Z` : `${whole}Z`;
}

/** Truceline's key id: the first 16 hex digits of SHA-256 over the raw public key. */
export async function keyIdOf(publicKey) {
  return hex(await sha256(publicKey)).slice(0, 16);
}

// PKCS#8 (RFC 8410) for an Ed25519 seed: SEQUENCE { INTEGER 0, AlgorithmIdentifier
// { id-Ed25519 }, OCTET STRING { OCTET STRING seed } }.
const PKCS8_SEED_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

function base64Bytes(text, what) {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new VerifyError(`${what}: not base64`);
  try {
    return Uint8Array.from(atob(clean), (c) => c.charCodeAt(0));
  } catch {
    throw new VerifyError(`${what}: not base64`);
  }
}

/**
 * The PKCS#8 DER of a key file as Truceline writes them (codec/keys.py): a PKCS#8 PEM, or the
 * raw 32-byte seed in base64; a file of exactly 32 bytes is taken as the raw seed itself.
 */
export function pkcs8FromFile(bytes) {
  // 32 bytes cannot be a PEM, nor the base64 of a seed (44 characters): the seed itself.
  if (bytes.length === 32) return concat(PKCS8_SEED_PREFIX, bytes);
  const text = new TextDecoder().decode(bytes).trim();
  if (text.startsWith("-----BEGIN")) {
    const m = /^-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----$/.exec(text);
    if (!m) throw new VerifyError("key file: expected an unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY)");
    return base64Bytes(m[1], "key file");
  }
  const seed = base64Bytes(text, "key file: expected a PKCS#8 PEM or a base64 Ed25519 seed");
  if (seed.length !== 32) throw new VerifyError(`key file: expected a 32-byte Ed25519 seed, found ${seed.length} bytes`);
  return concat(PKCS8_SEED_PREFIX, seed);
}

/** Import a key file's private key into WebCrypto, non-extractable, for signing only. */
export async function importSigningKey(bytes) {
  if (!secureContext()) throw new VerifyError("signing needs a secure context (HTTPS or localhost)");
  const der = pkcs8FromFile(bytes);
  try {
    return await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
  } catch (err) {
    throw new VerifyError(`key file: not an Ed25519 private key (${err.message || err.name})`);
  }
}

/**
 * Which of `candidates` ({keyid, publicKey (bytes), owner}) the private key belongs to: a probe
 * message is signed and checked against each, since a non-extractable key shows no public half.
 */
export async function identify(key, candidates) {
  const probe = utf8.encode(`truceline key probe ${Date.now()}`);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, probe));
  for (const c of candidates) {
    if (await ed25519Verify(c.publicKey, sig, probe)) {
      return { ...c, keyid: await keyIdOf(c.publicKey) };
    }
  }
  return null;
}

/** The ledger entry of an act: `payload` (an object) as RFC 8785, signed under `keyid`. */
export async function sealAct(key, keyid, payloadType, payload) {
  const body = utf8.encode(canonicalize(payload));
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, pae(payloadType, body)));
  return envelopeBytes(payloadType, body, keyid, sig);
}
