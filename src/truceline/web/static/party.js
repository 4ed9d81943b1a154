// The party view: incidents against the chosen party, with a Dispute action, and the playbook
// steps addressed to it, with an Acknowledge action (none for a withdrawn step). Each act is signed here (sign.js) with the
// party's key, imported non-extractable, and posted to this server's enforcement routes.

import { $, clear, decodeBase64, fmtTime, h, postBytes, rerender } from "./dom.js";
import { formatTime, identify, importSigningKey, sealAct } from "./sign.js";
import { resultRegion, verifyButton } from "./verifypanel.js";

const DISPUTE_TYPE = "application/vnd.truceline.dispute+json";
const ACK_TYPE = "application/vnd.truceline.ack+json";

export class PartyView {
  constructor(data) {
    this.data = data; // {agreement, incidents, sensors, playbooks}
    this.key = null; // the CryptoKey, non-extractable
    this.signer = null; // {keyid, owner}
    this.select = $("#party-select");
    this.status = $("#act-status");
    this.keyStatus = $("#key-status");
    this.forgetButton = $("#key-forget");
    this.file = $("#key-file");
    this.select.addEventListener("change", () => this.choose());
    this.file.addEventListener("change", () => this.load());
    this.forgetButton.addEventListener("click", () => this.forget());
  }

  setup() {
    clear(this.select);
    const signatories = this.data.agreement.signatories.filter((s) => s.role === "party" || s.role === "guarantor");
    for (const s of signatories) this.select.append(h("option", { value: s.id }, `${s.name} (${s.id}, ${s.role})`));
    this.render();
  }

  get party() {
    return this.select.value;
  }

  /** The public keys the log knows for the party: the agreement's, and rotations registered. */
  candidates() {
    const out = [];
    const s = this.data.agreement.signatories.find((x) => x.id === this.party);
    for (const k of s?.keys || []) out.push({ publicKey: decodeBase64(k.public_key), owner: this.party });
    for (const r of this.data.sensors.filter((x) => x.kind === "signatory" && x.id === this.party)) {
      out.push({ publicKey: decodeBase64(r.public_key), owner: this.party });
    }
    return out;
  }

  async choose() {
    if (this.key) await this.identify();
    this.render();
  }

  async load() {
    const file = this.file.files[0];
    if (!file) return;
    this.forget(false);
    try {
      this.key = await importSigningKey(new Uint8Array(await file.arrayBuffer()));
      await this.identify();
    } catch (err) {
      this.key = null;
      this.keyStatus.textContent = `Key not loaded: ${err.message}`;
    }
    this.file.value = ""; // the file's bytes are not kept either
    this.render();
  }

  async identify() {
    this.signer = await identify(this.key, this.candidates());
    this.forgetButton.disabled = false;
    this.keyStatus.textContent = this.signer
      ? `Key loaded (cannot be exported): key id ${this.signer.keyid}, one of ${this.party}'s keys.`
      : `This key is none of ${this.party}'s keys (the agreement's or those registered since): it cannot act for ${this.party}.`;
  }

  forget(say = true) {
    this.key = null;
    this.signer = null;
    this.forgetButton.disabled = true;
    if (say) this.keyStatus.textContent = "No key loaded.";
    this.render();
  }

  render() {
    for (const el of document.querySelectorAll(".party-name")) el.textContent = this.party || "this party";
    rerender($("#against-table tbody"), () => this.renderIncidents());
    rerender($("#steps-table tbody"), () => this.renderSteps());
  }

  renderIncidents() {
    const body = clear($("#against-table tbody"));
    const mine = this.data.incidents.filter((i) => i.accused === this.party);
    for (const inc of mine) {
      const can = inc.state === "verified";
      const action = can
        ? h("button", { type: "button", disabled: !this.signer, "aria-label": `Dispute ${inc.incident}`, onclick: () => this.disputeForm(inc) }, "Dispute")
        : h("span", { class: "muted" }, inc.state === "disputed" || inc.state === "inspection" ? "Disputed" : "Not disputable");
      body.append(
        h(
          "tr",
          { dataset: { incident: inc.incident } },
          h("th", { scope: "row" }, h("a", { href: `#/incident/${encodeURIComponent(inc.incident)}` }, inc.incident)),
          h("td", {}, inc.state),
          h("td", {}, inc.grade),
          h("td", {}, fmtTime(inc.window[0])),
          h("td", {}, inc.rules.join(", ") || "–"),
          h("td", {}, action),
        ),
      );
    }
    if (!mine.length) body.append(h("tr", {}, h("td", { colspan: "6" }, "No incident is attributed to this party.")));
  }

  renderSteps() {
    const steps = clear($("#steps-table tbody"));
    const addressed = this.data.playbooks.filter((s) => s.to.includes(this.party));
    for (const s of addressed) {
      // A withdrawn step (its incident no longer stands) asks nothing of anyone: no button,
      // whether or not it was acknowledged before (the server refuses one made since).
      const action = s.status === "void"
        ? h("span", { class: "muted" }, `Withdrawn: ${s.withdrawn_why || "its incident no longer stands"}`)
        : s.acked_by
        ? h("span", { class: "muted" }, `Acknowledged by ${s.acked_by}`)
        : h("button", { type: "button", disabled: !this.signer, "aria-label": `Acknowledge step ${s.key}`, onclick: () => this.acknowledge(s) }, "Acknowledge");
      steps.append(
        h(
          "tr",
          { dataset: { step: s.key } },
          h("th", { scope: "row" }, `${s.playbook}: ${s.step} (${s.action.replaceAll("_", " ")})`),
          h("td", {}, s.incident ? h("a", { href: `#/incident/${encodeURIComponent(s.incident)}` }, s.incident) : "–"),
          h("td", {}, fmtTime(s.due_by)),
          h("td", {}, s.status),
          h("td", {}, action),
        ),
      );
    }
    if (!addressed.length) steps.append(h("tr", {}, h("td", { colspan: "5" }, "No playbook step is addressed to this party.")));
  }

  disputeForm(inc) {
    const old = $("#dispute-form");
    if (old) old.remove();
    const reason = h("textarea", { id: "dispute-reason", rows: "3", maxlength: "2000" });
    const form = h(
      "form",
      { id: "dispute-form", class: "panel", "aria-labelledby": "dispute-form-heading" },
      h("h3", { id: "dispute-form-heading" }, `Dispute ${inc.incident}`),
      h("label", { for: "dispute-reason" }, "Why (at most 2,000 characters; public on the log)"),
      reason,
      h("button", { type: "submit" }, `Sign and send the dispute of ${inc.incident}`),
      h("button", { type: "button", onclick: () => form.remove() }, "Cancel"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.act("/enforcement/disputes", DISPUTE_TYPE, {
        incident: inc.incident,
        party: this.party,
        reason: reason.value,
        at: formatTime(new Date()),
      }, `dispute of ${inc.incident}`).then(() => form.remove());
    });
    $("#against-table").closest(".table-wrap").after(form);
    reason.focus();
  }

  acknowledge(step) {
    return this.act("/enforcement/acknowledgements", ACK_TYPE, { step: step.key, by: this.party, at: formatTime(new Date()) }, `acknowledgement of ${step.key}`);
  }

  /** Sign `payload` as the party's act and post it; say what the server answered. */
  async act(route, payloadType, payload, what) {
    clear(this.status);
    if (!this.key || !this.signer) {
      this.status.textContent = "Load the party's key first.";
      return;
    }
    try {
      const entry = await sealAct(this.key, this.signer.keyid, payloadType, payload);
      const out = await postBytes(route, entry);
      const result = resultRegion(`Verification of the ${what}`);
      this.status.append(
        h("span", {}, `Your ${what} is on the log as entry ${out.index}; ${out.counted ? "it counts" : `it does not count: ${out.reason}`}. `),
        verifyButton(out.index, `your ${what}`, payload, result),
        result,
      );
      this.data.reload?.();
    } catch (err) {
      this.status.textContent = `The ${what} was refused: ${err.message}`;
    }
  }
}
