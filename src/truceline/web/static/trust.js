// What the browser trusts: the log's verifier key and the witness policy the user pinned.
//
// On first use the page pins what this server serves at /log/vkey and /log/policy (trust on
// first use, said so on the page; the user should compare them with the ones the mission
// publishes elsewhere) and keeps them in localStorage. Afterwards the pinned ones are used,
// and a served key or policy that differs from them is flagged loudly: verification goes on
// with the pinned values, so a server that swapped its key cannot vouch for its records.

import { parsePolicy, parseVkey, VerifyError } from "./verify.js";

const STORE = "truceline.trust.v1";

export function loadPin() {
  try {
    const pin = JSON.parse(localStorage.getItem(STORE) || "null");
    return pin && typeof pin.vkey === "string" ? pin : null;
  } catch {
    return null;
  }
}

/** Pin a vkey and policy (null: none) after checking that both parse. */
export async function pin(vkey, policy, source) {
  vkey = vkey.trim();
  await parseVkey(vkey);
  const text = policy === null || policy.trim() === "" ? null : normalise(policy);
  if (text !== null) await parsePolicy(text);
  const value = { vkey, policy: text, source, pinnedAt: new Date().toISOString() };
  localStorage.setItem(STORE, JSON.stringify(value));
  return value;
}

export function forget() {
  localStorage.removeItem(STORE);
}

function normalise(policy) {
  return policy.replace(/\r\n/g, "\n").trim() + "\n";
}

/** What this server publishes now: {vkey, policy (null when it has none)}. */
export async function served() {
  const vkey = await fetch("/log/vkey", { cache: "no-store" });
  if (!vkey.ok) throw new VerifyError(`/log/vkey: HTTP ${vkey.status}`);
  const policy = await fetch("/log/policy", { cache: "no-store" });
  if (!policy.ok && policy.status !== 404) throw new VerifyError(`/log/policy: HTTP ${policy.status}`);
  return { vkey: (await vkey.text()).trim(), policy: policy.ok ? normalise(await policy.text()) : null };
}

/**
 * The pinned trust, pinning on first use. Returns {pin, served, firstUse, changed: [what]}:
 * `changed` names what the server serves now that differs from the pin ("log key", "policy").
 */
export async function establish() {
  const now = await served();
  let current = loadPin();
  let firstUse = false;
  if (current === null) {
    current = await pin(
      now.vkey,
      now.policy,
      `trusted on first use: served by ${location.origin}/log/vkey and /log/policy`,
    );
    firstUse = true;
  }
  const changed = [];
  if (now.vkey !== current.vkey) changed.push("log key");
  if ((now.policy || null) !== (current.policy || null)) changed.push("witness policy");
  return { pin: current, served: now, firstUse, changed };
}
