// The Verify button: fetch a record's entry bytes and its tlog-proof, check them in this
// browser against the pinned key and policy (verify.js), and show each step with its reason.

import { clear, decodeBase64, getJSON, h } from "./dom.js";
import { loadPin } from "./trust.js";
import { verifyRecord } from "./verify.js";

/** Check ledger entry `index`; `shown`: the record as the page shows it (or null). */
export async function verifyIndex(index, shown) {
  const pin = loadPin();
  if (!pin) throw new Error("no log key is pinned yet (see the Trust view)");
  const [entry, receipt] = await Promise.all([getJSON(`/entries/${index}`), getJSON(`/receipts/${index}`)]);
  return verifyRecord({
    index,
    entry: decodeBase64(entry.entry_base64),
    proofText: receipt.proof || "",
    vkey: pin.vkey,
    policyText: pin.policy,
    shown,
  });
}

/** Render a verification report into `out` (a live region). */
export function renderReport(out, index, what, report) {
  clear(out);
  const failed = report.steps.filter((s) => !s.ok);
  const head = report.ok
    ? report.warned
      ? h("p", { class: "verdict warn", role: "status" }, `Verified by the log key alone: ${what} is entry ${index} of the log the pinned key signed, but no witness vouches for that log.`)
      : h("p", { class: "verdict ok", role: "status" }, `Verified: ${what} is entry ${index} of the log, as the pinned key and witnesses vouch.`)
    : h(
        "p",
        { class: "verdict fail", role: "alert" },
        `Verification failed for ${what} (entry ${index}): ${failed[0].title.toLowerCase()}: ${failed[0].detail}`,
      );
  const list = h(
    "ol",
    { class: "steps" },
    report.steps.map((s) =>
      h(
        "li",
        { class: s.warn ? "warn" : s.ok ? "ok" : "fail", "data-step": s.id },
        h("span", { class: "mark", "aria-hidden": "true" }, s.warn ? "!" : s.ok ? "✓" : "✗"),
        h("strong", {}, `${s.warn ? "Warning" : s.ok ? "Passed" : "Failed"}: ${s.title}. `),
        h("span", { class: "detail" }, s.detail),
      ),
    ),
  );
  out.append(head, list);
  out.dataset.result = report.ok ? (report.warned ? "warn" : "ok") : "fail";
}

/** A Verify button for entry `index`; the report goes into `out`. */
export function verifyButton(index, what, shown, out) {
  const button = h("button", { type: "button", class: "verify", "aria-label": `Verify ${what} (entry ${index})` }, "Verify");
  button.addEventListener("click", async () => {
    button.disabled = true;
    delete out.dataset.result; // no stale verdict while this one is being reached
    clear(out).append(h("p", { role: "status" }, `Checking entry ${index}…`));
    try {
      renderReport(out, index, what, await verifyIndex(index, shown));
    } catch (err) {
      clear(out).append(h("p", { class: "verdict fail", role: "alert" }, `Could not check entry ${index}: ${err.message}`));
      out.dataset.result = "fail";
    } finally {
      button.disabled = false;
    }
    out.focus();
  });
  return button;
}

/** A result region to pair with verify buttons. */
export function resultRegion(label) {
  return h("div", { class: "verify-result", tabindex: "-1", "aria-label": label, role: "region" });
}

/** `record` without the fields the API adds beside the logged payload. */
export function logged(record, ...added) {
  const out = { ...record };
  for (const k of ["ledger_index", ...added]) delete out[k];
  return out;
}
