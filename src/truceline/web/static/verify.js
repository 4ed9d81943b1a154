// Checking a ledger record in the browser, trusting nothing the server says.
//
// A record is proven by: its entry bytes (GET /entries/{i}), whose RFC 6962 leaf hash
// SHA-256(0x00 || entry) is included, by the c2sp.org/tlog-proof's hashes, in the tree whose
// root the proof's checkpoint gives; the checkpoint is a C2SP signed note that must carry the
// log's Ed25519 signature under the key the user pinned, and the witness cosignatures
// (c2sp.org/tlog-cosignature v1) that the pinned c2sp.org/tlog-policy's quorum asks for.
//
// A port of src/truceline/ledger/{merkle,note,checkpoint,cosignature,policy,proof}.py, with the
// same rules and messages; tests/web/test_verifier_vectors.py runs it on the shared vectors.
// Ed25519 and SHA-256 come from WebCrypto (a secure context: HTTPS or localhost).

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export class VerifyError extends Error {}

export const HASH_SIZE = 32;
export const ALG_ED25519 = 0x01;
export const ALG_COSIGNATURE_V1 = 0x04;
export const ALG_MLDSA44 = 0x06;
const SIG_PREFIX = "\u2014 ";
const MAX_SIGNATURES = 100;
const MAX_PROOF_HASHES = 63;

// --- bytes -------------------------------------------------------------------------------

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function b64encode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Standard base64 with padding, in its one canonical spelling (as note.b64decode_canonical). */
export function b64decode(text, what = "base64") {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
    throw new VerifyError(`${what}: not base64`);
  }
  let raw;
  try {
    raw = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw new VerifyError(`${what}: not base64`);
  }
  if (b64encode(raw) !== text) throw new VerifyError(`${what}: not canonical base64`);
  return raw;
}

export function secureContext() {
  return Boolean(globalThis.crypto && crypto.subtle);
}

function subtle() {
  if (!secureContext()) {
    throw new VerifyError(
      "this page is not a secure context (HTTPS or localhost): the browser offers no " +
        "WebCrypto here, so it cannot check signatures",
    );
  }
  return crypto.subtle;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

/** Ed25519 (RFC 8032) verification; false for a malformed key or signature, never a throw. */
export async function ed25519Verify(publicKey, signature, message) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  let key;
  try {
    key = await subtle().importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (err) {
    if (err instanceof VerifyError) throw err;
    return false;
  }
  try {
    return await subtle().verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return false;
  }
}

// --- RFC 6962 / RFC 9162 Merkle tree ---------------------------------------------------------

export async function leafHash(entry) {
  return sha256(concat(Uint8Array.of(0), entry));
}

export async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function checkHash(what, h) {
  if (h.length !== HASH_SIZE) throw new VerifyError(`${what}: want ${HASH_SIZE} bytes, got ${h.length}`);
}

/** The root an inclusion proof implies (RFC 9162 2.1.3.2); `index`, `size` are BigInt. */
export async function rootFromInclusion(index, size, leaf, proof) {
  index = BigInt(index);
  size = BigInt(size);
  if (!(index >= 0n && index < size)) {
    throw new VerifyError(`index ${index} out of range for tree size ${size}`);
  }
  checkHash("leaf hash", leaf);
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new VerifyError(`inclusion proof too long: ${proof.length} hashes`);
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new VerifyError(`inclusion proof too short: ${proof.length} hashes`);
  return r;
}

export async function verifyInclusion(index, size, leaf, proof, root) {
  checkHash("root", root);
  const got = await rootFromInclusion(index, size, leaf, proof);
  if (!equalBytes(got, root)) {
    throw new VerifyError(`inclusion proof gives root ${hex(got)}, want ${hex(root)}`);
  }
}

// --- c2sp.org/signed-note ------------------------------------------------------------------

export function isValidName(name) {
  return Boolean(name) && !name.includes("+") && !/\s/u.test(name);
}

/** SHA-256(name || 0x0A || type || public key)[:4], as an unsigned 32-bit number. */
export async function keyId(name, alg, publicKey) {
  const h = await sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, alg), publicKey));
  return ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
}

const id8 = (n) => n.toString(16).padStart(8, "0");

/** A vkey `name+hex(keyID)+base64(type || public key)`; the key ID must match the key. */
export async function parseVkey(vkey) {
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) throw new VerifyError(`vkey ${JSON.stringify(vkey)}: want name+keyid+key`);
  const name = vkey.slice(0, first);
  const hash16 = vkey.slice(first + 1, second);
  if (!isValidName(name)) throw new VerifyError(`vkey: bad key name ${JSON.stringify(name)}`);
  if (!/^[0-9a-fA-F]{8}$/.test(hash16)) {
    throw new VerifyError(`vkey: key ID ${JSON.stringify(hash16)} is not 8 hex digits`);
  }
  const raw = b64decode(vkey.slice(second + 1), "vkey: key");
  if (raw.length < 2) throw new VerifyError("vkey: key is too short");
  const alg = raw[0];
  const publicKey = raw.slice(1);
  const want = {
    [ALG_ED25519]: 32,
    [ALG_COSIGNATURE_V1]: 32,
    [ALG_MLDSA44]: 1312,
  }[alg];
  if (want === undefined) throw new VerifyError(`vkey: unsupported signature type 0x${alg.toString(16).padStart(2, "0")}`);
  if (publicKey.length !== want) {
    throw new VerifyError(`vkey: public key of type 0x0${alg}: want ${want} bytes, got ${publicKey.length}`);
  }
  const id = await keyId(name, alg, publicKey);
  if (id !== parseInt(hash16, 16)) {
    throw new VerifyError(`vkey ${JSON.stringify(vkey)}: key ID ${hash16} does not match the key (${id8(id)})`);
  }
  return { name, keyId: id, alg, publicKey, vkey, label: `${name}+${id8(id)}` };
}

/** Whether `sig` (after the 4-byte key ID) verifies over the note text under verifier `v`. */
export async function verifyNoteSignature(v, text, sig) {
  if (v.alg === ALG_ED25519) return ed25519Verify(v.publicKey, sig, utf8.encode(text));
  if (v.alg === ALG_COSIGNATURE_V1) {
    if (sig.length !== 8 + 64) return false;
    const ts = timestampOf(sig);
    if (ts > 2n ** 63n - 1n) return false;
    return ed25519Verify(v.publicKey, sig.slice(8), cosignedMessage(text, ts));
  }
  throw new VerifyError(`${v.label}: signature type 0x0${v.alg} cannot be checked in a browser`);
}

export function timestampOf(sig) {
  let ts = 0n;
  for (let i = 0; i < 8; i++) ts = (ts << 8n) | BigInt(sig[i]);
  return ts;
}

/** The bytes a cosignature/v1 signs: header, time line, checkpoint body. */
export function cosignedMessage(body, timestamp) {
  return utf8.encode(`cosignature/v1\ntime ${BigInt(timestamp)}\n${body}`);
}

function malformed(reason) {
  return new VerifyError(`malformed note: ${reason}`);
}

/** Split a signed note into its text and signature lines (nothing verified). */
export function parseNote(bytes) {
  let s;
  try {
    s = strictUtf8.decode(bytes);
  } catch {
    throw malformed("not valid UTF-8");
  }
  for (const c of s) {
    if (c < " " && c !== "\n") throw malformed(`note contains control character U+${c.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`);
  }
  const split = s.lastIndexOf("\n\n");
  if (split < 0) throw malformed("no empty line before the signatures");
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2);
  if (!block || !block.endsWith("\n")) throw malformed("signature block is empty or lacks its final newline");
  const sigs = [];
  for (const line of block.slice(0, -1).split("\n")) {
    if (!line.startsWith(SIG_PREFIX)) throw malformed(`line ${JSON.stringify(line.slice(0, 40))} is not a signature line`);
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(" ");
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? "" : rest.slice(space + 1);
    let raw = new Uint8Array(0);
    try {
      raw = b64decode(b64);
    } catch {
      /* judged below */
    }
    if (!isValidName(name) || !b64 || raw.length < 5) throw malformed(`bad signature line for ${JSON.stringify(name)}`);
    const id = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
    sigs.push({ name, keyId: id, base64: b64, sig: raw.slice(4), label: `${name}+${id8(id)}` });
    if (sigs.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);
  }
  return { text, sigs };
}

/**
 * Verify a signed note against known keys, as golang.org/x/mod/sumdb/note.Open: signatures
 * by unknown keys are kept as unverified; a known key whose signature fails rejects the note;
 * a note with no verified signature is rejected.
 */
export async function openNote(bytes, verifiers) {
  const { text, sigs } = parseNote(bytes);
  const byId = new Map();
  for (const v of verifiers) {
    const k = `${v.name}+${v.keyId}`;
    byId.set(k, [...(byId.get(k) || []), v]);
  }
  const verified = [];
  const unverified = [];
  const seen = new Set();
  const seenUnverified = new Set();
  for (const sig of sigs) {
    const found = byId.get(`${sig.name}+${sig.keyId}`) || [];
    if (!found.length) {
      if (!seenUnverified.has(sig.base64 + sig.name)) {
        seenUnverified.add(sig.base64 + sig.name);
        unverified.push(sig);
      }
      continue;
    }
    if (found.length > 1) throw new VerifyError(`ambiguous key ${sig.label}`);
    if (seen.has(sig.label)) continue;
    seen.add(sig.label);
    if (!(await verifyNoteSignature(found[0], text, sig.sig))) {
      throw new VerifyError(`invalid signature for key ${sig.label}`);
    }
    verified.push({ ...sig, verifier: found[0] });
  }
  if (!verified.length) {
    const err = new VerifyError("note has no verifiable signatures");
    err.note = { text, verified, unverified };
    throw err;
  }
  return { text, verified, unverified };
}

// --- c2sp.org/tlog-checkpoint ----------------------------------------------------------------

export function parseCheckpoint(text) {
  if (!text.endsWith("\n")) throw new VerifyError("checkpoint: body must end in a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw new VerifyError(`checkpoint: want at least 3 lines (origin, size, root hash), got ${lines.length}`);
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!origin) throw new VerifyError("checkpoint: origin must not be empty");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || BigInt(sizeText) > 2n ** 63n - 1n) {
    throw new VerifyError(`checkpoint: size ${JSON.stringify(sizeText)} is not a decimal without leading zeroes`);
  }
  const root = b64decode(rootText, "checkpoint: root hash");
  checkHash("checkpoint: root hash", root);
  return { origin, size: BigInt(sizeText), root, extensions };
}

// --- c2sp.org/tlog-policy ----------------------------------------------------------------------

const NONE = "none";
const LOG_TYPES = new Set([ALG_ED25519, ALG_MLDSA44]);
const WITNESS_TYPES = new Set([ALG_COSIGNATURE_V1, ALG_MLDSA44]);

async function policyKey(vkey, allowed, role) {
  let v;
  try {
    v = await parseVkey(vkey);
  } catch (err) {
    throw new VerifyError(`${role} vkey: ${err.message}`);
  }
  if (!allowed.has(v.alg)) throw new VerifyError(`${role} vkey ${v.name}: signature type 0x0${v.alg} is not a ${role} type`);
  return v;
}

/** Parse a tlog-policy file with the checks of policy.py; errors name the line. */
export async function parsePolicy(text) {
  const bytes = utf8.encode(text);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a) || b === 0x7f) {
      const line = text.slice(0, i).split("\n").length;
      throw new VerifyError(`policy line ${line}: control character 0x${b.toString(16).padStart(2, "0")}`);
    }
  }
  const policy = { logs: [], witnesses: new Map(), groups: new Map(), quorum: null };
  const usedAsMember = new Set();
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const fields = lines[n].replace(/^[ \t]+|[ \t]+$/g, "").split(/[ \t]+/);
    if ((fields.length === 1 && fields[0] === "") || fields[0].startsWith("#")) continue;
    try {
      await policyLine(policy, usedAsMember, fields);
    } catch (err) {
      throw new VerifyError(`policy line ${n + 1}: ${err.message}`);
    }
  }
  if (policy.quorum === null) throw new VerifyError("policy: quorum: missing (use 'quorum none' for no cosigning)");
  return policy;
}

async function policyLine(policy, usedAsMember, [kw, ...args]) {
  const defined = (name) => policy.witnesses.has(name) || policy.groups.has(name);
  const fresh = (name) => {
    if (name === NONE) throw new VerifyError(`name '${NONE}' is reserved`);
    if (defined(name)) throw new VerifyError(`name '${name}' already defined`);
  };
  if (kw === "log" && (args.length === 1 || args.length === 2)) {
    const v = await policyKey(args[0], LOG_TYPES, "log");
    if (policy.logs.some((l) => equalBytes(l.publicKey, v.publicKey))) throw new VerifyError(`log ${v.name}: duplicate log key`);
    policy.logs.push(v);
  } else if (kw === "witness" && (args.length === 2 || args.length === 3)) {
    fresh(args[0]);
    const v = await policyKey(args[1], WITNESS_TYPES, "witness");
    for (const w of policy.witnesses.values()) {
      if (equalBytes(w.publicKey, v.publicKey)) throw new VerifyError(`witness ${args[0]}: duplicate witness key`);
    }
    policy.witnesses.set(args[0], { ...v, local: args[0] });
  } else if (kw === "group" && args.length >= 3) {
    const [name, threshold, ...members] = args;
    fresh(name);
    for (const m of members) {
      if (m === NONE) throw new VerifyError(`group ${name}: '${NONE}' cannot be a member`);
      if (!defined(m)) throw new VerifyError(`group ${name}: member '${m}' is not defined on an earlier line`);
    }
    const repeated = members.filter((m, i) => usedAsMember.has(m) || members.indexOf(m) !== i);
    if (repeated.length) throw new VerifyError(`group ${name}: ${repeated.join(", ")} already used as a group member`);
    let k;
    if (threshold === "all") k = members.length;
    else if (threshold === "any") k = 1;
    else if (/^(0|[1-9][0-9]*)$/.test(threshold)) k = Number(threshold);
    else throw new VerifyError(`group ${name}: threshold '${threshold}' is not all, any or a decimal`);
    if (!(k >= 1 && k <= members.length)) throw new VerifyError(`group ${name}: threshold ${k} not in 1..${members.length}`);
    members.forEach((m) => usedAsMember.add(m));
    policy.groups.set(name, { name, threshold: k, members });
  } else if (kw === "quorum" && args.length === 1) {
    if (policy.quorum !== null) throw new VerifyError("quorum: defined twice");
    if (args[0] !== NONE && !defined(args[0])) throw new VerifyError(`quorum: '${args[0]}' is not defined on an earlier line`);
    policy.quorum = args[0];
  } else if (["log", "witness", "group", "quorum"].includes(kw)) {
    throw new VerifyError(`${kw}: wrong number of fields (${args.length})`);
  } else {
    throw new VerifyError(`unknown keyword '${kw}'`);
  }
}

/** Whether witness or group `name` has witnessed, given the set of witnesses that cosigned. */
export function witnessed(policy, name, cosigned) {
  if (name === NONE) return true;
  if (policy.witnesses.has(name)) return cosigned.has(name);
  const g = policy.groups.get(name);
  return g.members.filter((m) => witnessed(policy, m, cosigned)).length >= g.threshold;
}

/**
 * Open a signed checkpoint under a policy (Policy.verify): a listed log, named as the
 * checkpoint's origin, must have signed it, and the quorum must have cosigned it. Keys of a
 * type a browser cannot check (ML-DSA-44) are left out, so their signatures do not count.
 */
export async function verifyPolicy(policy, signed, origin = null) {
  const checkable = (v) => v.alg !== ALG_MLDSA44;
  const skipped = [...policy.logs, ...policy.witnesses.values()].filter((v) => !checkable(v));
  const verifiers = [...policy.logs, ...policy.witnesses.values()].filter(checkable);
  const note = await openNote(signed, verifiers);
  const checkpoint = parseCheckpoint(note.text);
  if (origin !== null && checkpoint.origin !== origin) {
    throw new VerifyError(`checkpoint origin '${checkpoint.origin}', want '${origin}'`);
  }
  const logs = note.verified.filter((s) => policy.logs.includes(s.verifier) && s.verifier.name === checkpoint.origin);
  if (!logs.length) throw new VerifyError(`no signature by a policy log for origin '${checkpoint.origin}'`);
  const cosigned = new Map();
  for (const s of note.verified) {
    for (const [local, w] of policy.witnesses) {
      if (w === s.verifier) cosigned.set(local, timestampOf(s.sig));
    }
  }
  const names = new Set(cosigned.keys());
  if (!witnessed(policy, policy.quorum, names)) {
    const who = names.size ? [...names].sort().join(", ") : "no witness";
    throw new VerifyError(`quorum '${policy.quorum}' not satisfied; cosigned by ${who}`);
  }
  return { checkpoint, note, cosigned, skipped };
}

// --- c2sp.org/tlog-proof -----------------------------------------------------------------------

export const PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export function parseProof(text) {
  const sep = text.indexOf("\n\n");
  if (sep < 0) throw new VerifyError("tlog-proof: no empty line before the checkpoint");
  const checkpoint = text.slice(sep + 2);
  if (!checkpoint) throw new VerifyError("tlog-proof: checkpoint: missing");
  const lines = text.slice(0, sep).split("\n");
  if (lines[0] !== PROOF_HEADER) {
    throw new VerifyError(`tlog-proof: first line: want '${PROOF_HEADER}', got ${JSON.stringify(lines[0].slice(0, 40))}`);
  }
  let rest = lines.slice(1);
  let extra = null;
  if (rest.length && rest[0].startsWith("extra ")) {
    extra = b64decode(rest[0].slice(6), "tlog-proof: extra");
    rest = rest.slice(1);
  }
  const m = rest.length ? /^index (0|[1-9][0-9]*)$/.exec(rest[0]) : null;
  if (!m) throw new VerifyError(`tlog-proof: index line: want 'index <n>', got ${JSON.stringify(rest.length ? rest[0].slice(0, 40) : "nothing")}`);
  const hashes = rest.slice(1).map((h, i) => b64decode(h, `tlog-proof: proof hash ${i}`));
  hashes.forEach((h, i) => checkHash(`tlog-proof: proof hash ${i}`, h));
  if (hashes.length > MAX_PROOF_HASHES) throw new VerifyError(`tlog-proof: ${hashes.length} hashes, at most ${MAX_PROOF_HASHES}`);
  return { index: BigInt(m[1]), proof: hashes, checkpoint: utf8.encode(checkpoint), extra };
}

// --- a record, end to end -----------------------------------------------------------------------

function canonicalEnvelope(entry) {
  let obj;
  try {
    obj = JSON.parse(strictUtf8.decode(entry));
  } catch {
    throw new VerifyError("the entry is not JSON (not a DSSE envelope)");
  }
  if (!obj || typeof obj.payload !== "string" || typeof obj.payloadType !== "string") {
    throw new VerifyError("the entry is not a DSSE envelope (payload, payloadType)");
  }
  let payload;
  try {
    payload = JSON.parse(strictUtf8.decode(b64decode(obj.payload, "envelope payload")));
  } catch (err) {
    throw new VerifyError(err instanceof VerifyError ? err.message : "the envelope's payload is not JSON");
  }
  return { payloadType: obj.payloadType, payload };
}

function sameJson(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return sameJson(ka, kb) && ka.every((k) => sameJson(a[k], b[k]));
  }
  return a === b;
}

/** The fields where the record shown differs from the payload proven (names only). */
export function differences(shown, proven) {
  const keys = new Set([...Object.keys(shown || {}), ...Object.keys(proven || {})]);
  return [...keys].filter((k) => !sameJson(shown?.[k], proven?.[k])).sort();
}

/** A step that passed with a caveat the reader must see (no witnesses to check). */
class Warning {
  constructor(message) {
    this.message = message;
  }
}

/**
 * Check ledger entry `index` against the pinned trust. Every check is run and reported;
 * `ok` only if all pass (a step may pass with a warning: `warn`). `shown`: the record as the page displays it, compared with the
 * payload proven. Returns {ok, steps: [{id, ok, title, detail}], checkpoint, payload}.
 */
export async function verifyRecord({ index, entry, proofText, vkey, policyText, shown = null }) {
  const steps = [];
  const step = async (id, title, fn) => {
    try {
      const detail = await fn();
      if (detail instanceof Warning) steps.push({ id, ok: true, warn: true, title, detail: detail.message });
      else steps.push({ id, ok: true, title, detail });
      return true;
    } catch (err) {
      steps.push({ id, ok: false, title, detail: err instanceof VerifyError ? err.message : `${err.name}: ${err.message}` });
      return false;
    }
  };
  let leaf = null;
  let proof = null;
  let checkpoint = null;
  let payload = null;
  await step("leaf", "Entry bytes hash to the leaf", async () => {
    leaf = await leafHash(entry);
    return `entry ${index}: ${entry.length} bytes; leaf hash SHA-256(0x00 || entry) = ${hex(leaf)}`;
  });
  const parsed = await step("proof", "Proof is a c2sp.org/tlog-proof for this entry", async () => {
    proof = parseProof(proofText);
    if (proof.index !== BigInt(index)) throw new VerifyError(`the proof is for index ${proof.index}, not ${index}`);
    return `index ${proof.index}, ${proof.proof.length} hashes`;
  });
  let pinned = null;
  await step("log", "Checkpoint signed by the pinned log key", async () => {
    if (!parsed) throw new VerifyError("no checkpoint: the proof did not parse");
    pinned = await parseVkey(vkey);
    if (pinned.alg !== ALG_ED25519) throw new VerifyError(`the pinned log key is of type 0x0${pinned.alg}, not Ed25519`);
    const note = await openNote(proof.checkpoint, [pinned]);
    checkpoint = parseCheckpoint(note.text);
    if (checkpoint.origin !== pinned.name) {
      throw new VerifyError(`checkpoint origin '${checkpoint.origin}', the pinned key is '${pinned.name}'`);
    }
    return `${checkpoint.origin}, size ${checkpoint.size}, root ${hex(checkpoint.root)}; signed by ${pinned.label}`;
  });
  await step("witnesses", "Witness cosignatures meet the pinned policy's quorum", async () => {
    if (!parsed) throw new VerifyError("no checkpoint: the proof did not parse");
    if (policyText === null || policyText === undefined) {
      return new Warning(
        "no witness policy is pinned, so nothing but the log key vouches for this checkpoint: " +
          "its holder could show you a history that others do not see",
      );
    }
    const policy = await parsePolicy(policyText);
    if (pinned && !policy.logs.some((l) => equalBytes(l.publicKey, pinned.publicKey) && l.name === pinned.name)) {
      throw new VerifyError("the pinned policy does not name the pinned log key");
    }
    const got = await verifyPolicy(policy, proof.checkpoint, pinned ? pinned.name : null);
    const who = [...got.cosigned]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, ts]) => `${name} at ${new Date(Number(ts) * 1000).toISOString().replace(".000Z", "Z")}`);
    const skipped = got.skipped.length ? `; not checkable here (ML-DSA-44): ${got.skipped.map((v) => v.name).join(", ")}` : "";
    return `quorum '${policy.quorum}' met; cosigned by ${who.join(", ") || "nobody (quorum none)"}${skipped}`;
  });
  await step("inclusion", "Inclusion proof leads from the leaf to the checkpoint's root", async () => {
    if (!leaf || !proof || !checkpoint) throw new VerifyError("not checked: an earlier step failed");
    await verifyInclusion(proof.index, checkpoint.size, leaf, proof.proof, checkpoint.root);
    return `leaf ${proof.index} of ${checkpoint.size}: ${proof.proof.length} hashes give root ${hex(checkpoint.root)}`;
  });
  await step("record", "The record shown is the entry's payload", async () => {
    const env = canonicalEnvelope(entry);
    payload = env.payload;
    if (shown) {
      const diff = differences(shown, payload);
      if (diff.length) throw new VerifyError(`the page shows other values than the entry holds: ${diff.join(", ")}`);
    }
    return `${env.payloadType}`;
  });
  return { ok: steps.every((s) => s.ok), warned: steps.some((s) => s.warn), steps, checkpoint, payload };
}
