// Charts drawn here as plain SVG: no chart library, nothing fetched. Each chart is an image
// with a title and a description for a screen reader (its numbers are in the table beside
// it); every bar and point carries its series, period and value as data-* attributes.

const NS = "http://www.w3.org/2000/svg";
// Distinct at 3:1 or more against white (WCAG non-text contrast).
export const PALETTE = ["#1a4f8b", "#b3471b", "#1d6b34", "#6f3296", "#7a5c00", "#4a4a4a"];
const W = 720;
const H = 240;
const PAD = { left: 48, right: 12, top: 16, bottom: 36 };

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** The smallest of 1, 2, 5 × 10^k at or above `v` (the y axis's top). */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

function frame(id, title, desc, labels, top) {
  const svg = s(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`, id, class: "chart" },
    s("title", { id: `${id}-title` }, title),
    s("desc", { id: `${id}-desc` }, desc),
  );
  const plotH = H - PAD.top - PAD.bottom;
  for (const frac of [0, 0.5, 1]) {
    const y = PAD.top + plotH * (1 - frac);
    svg.append(
      s("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, stroke: "#c4c8cf", "stroke-width": 1 }),
      s("text", { x: PAD.left - 6, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#1b1b1b" }, String(top * frac)),
    );
  }
  const step = (W - PAD.left - PAD.right) / Math.max(labels.length, 1);
  const every = Math.max(1, Math.ceil(labels.length / 12)); // at most a dozen labels
  labels.forEach((label, i) => {
    if (i % every) return;
    svg.append(s("text", { x: PAD.left + step * (i + 0.5), y: H - PAD.bottom + 16, "text-anchor": "middle", "font-size": 11, fill: "#1b1b1b" }, label));
  });
  return { svg, step, y: (v) => PAD.top + plotH * (1 - v / top) };
}

/**
 * Bars grouped by period: `labels` (one per period), `series` = [{name, values}] with one
 * value per period. Returns the SVG element.
 */
export function barChart({ id, title, desc, labels, periods, series }) {
  const top = niceMax(Math.max(0, ...series.flatMap((x) => x.values)));
  const { svg, step, y } = frame(id, title, desc, labels, top);
  const bar = (step * 0.8) / Math.max(series.length, 1);
  series.forEach((x, k) => {
    x.values.forEach((v, i) => {
      const x0 = PAD.left + step * i + step * 0.1 + bar * k;
      svg.append(
        s("rect", {
          x: x0.toFixed(1),
          y: y(v).toFixed(1),
          width: Math.max(bar - 1, 1).toFixed(1),
          height: (y(0) - y(v)).toFixed(1),
          fill: PALETTE[k % PALETTE.length],
          "data-series": x.name,
          "data-period": periods[i],
          "data-value": v,
        }),
      );
    });
  });
  return svg;
}

/** Lines over the periods: `series` = [{name, values}], one value per period. */
export function lineChart({ id, title, desc, labels, periods, series, colour: first = 0 }) {
  const top = niceMax(Math.max(0, ...series.flatMap((x) => x.values)));
  const { svg, step, y } = frame(id, title, desc, labels, top);
  series.forEach((x, j) => {
    const k = first + j;
    const colour = PALETTE[k % PALETTE.length];
    const at = (i) => (PAD.left + step * (i + 0.5)).toFixed(1);
    const points = x.values.map((v, i) => `${at(i)},${y(v).toFixed(1)}`).join(" ");
    svg.append(s("polyline", { points, fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": k ? "6 3" : null }));
    x.values.forEach((v, i) => {
      svg.append(s("circle", { cx: at(i), cy: y(v).toFixed(1), r: 3, fill: colour, "data-series": x.name, "data-period": periods[i], "data-value": v }));
    });
  });
  return svg;
}

/** Swatch and name of each series, for a legend. */
export function swatch(k, dashed = false) {
  const colour = PALETTE[k % PALETTE.length];
  return s(
    "svg",
    { width: 24, height: 12, viewBox: "0 0 24 12", "aria-hidden": "true", focusable: "false" },
    dashed === null
      ? s("rect", { x: 6, y: 0, width: 12, height: 12, fill: colour })
      : s("line", { x1: 0, x2: 24, y1: 6, y2: 6, stroke: colour, "stroke-width": 3, "stroke-dasharray": dashed ? "6 3" : null }),
  );
}
