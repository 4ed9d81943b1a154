// Small helpers: building elements (text only, never HTML strings: every value shown comes
// from the log, written by parties who may try to inject markup), times, and fetching.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * Re-render `container` with `render()` without losing the keyboard focus: a refresh must not
 * throw a keyboard or screen reader user back to the top. The focused control is found again
 * by its row's key (the row's data-* values) and its position within the row.
 */
export function rerender(container, render) {
  const active = document.activeElement;
  const row = active && container.contains(active) ? active.closest("tr") : null;
  let where = null;
  if (row) {
    const controls = [...row.querySelectorAll("a, button, input, select, textarea")];
    where = { key: JSON.stringify({ ...row.dataset }), at: controls.indexOf(active) };
  }
  render();
  if (!where) return;
  for (const tr of container.querySelectorAll("tr")) {
    if (JSON.stringify({ ...tr.dataset }) !== where.key) continue;
    const controls = tr.querySelectorAll("a, button, input, select, textarea");
    controls[Math.max(where.at, 0)]?.focus();
    return;
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(selector) {
  return document.querySelector(selector);
}

/** "2026-06-01 00:25:26 UTC" from an RFC 3339 time (or a Date, or milliseconds). */
export function fmtTime(value) {
  if (value === null || value === undefined) return "–";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "3 d 04:05:06" for a duration in milliseconds (negative: "passed"). */
export function fmtDuration(ms) {
  if (ms < 0) return "passed";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hms = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");
  return d ? `${d} d ${hms}` : hms;
}

export class HttpError extends Error {}

async function checked(url, init) {
  const res = await fetch(url, init);
  if (!res.ok) {
    let detail = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (body && body.detail) detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch {
      /* not JSON */
    }
    throw new HttpError(`${url}: ${detail}`);
  }
  return res;
}

export async function getJSON(url) {
  return (await checked(url, { cache: "no-store" })).json();
}

export async function getText(url) {
  return (await checked(url, { cache: "no-store" })).text();
}

export async function postBytes(url, bytes) {
  const res = await checked(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: bytes,
  });
  return res.json();
}

export function decodeBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
