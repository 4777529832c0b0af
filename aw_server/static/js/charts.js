// SVG charts drawn by hand. Every chart keeps its numbers available as text.
import { duration, esc, colorFor } from "./util.js";

const SVG = "http://www.w3.org/2000/svg";

// A ranked list: label, a proportional SVG bar, and the duration as text.
export function barList(items, { label = (i) => i.label, color = () => null, testid = "" } = {}) {
  if (!items.length) return `<p class="muted">Nothing recorded.</p>`;
  const max = Math.max(...items.map((i) => i.seconds), 1);
  const rows = items.map((item) => {
    const width = Math.max(0.5, (item.seconds / max) * 100).toFixed(2);
    const fill = color(item) || "var(--bar)";
    return `<tr data-seconds="${item.seconds}">
      <td class="label">${esc(label(item))}</td>
      <td class="bar"><svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
        <rect x="0" y="0" width="100" height="10" fill="var(--bar-bg)"></rect>
        <rect x="0" y="0" width="${width}" height="10" fill="${esc(fill)}"><title>${esc(label(item))}: ${duration(item.seconds)}</title></rect>
      </svg></td>
      <td class="num">${duration(item.seconds)}</td></tr>`;
  });
  return `<table class="barlist" data-testid="${esc(testid)}"><tbody>${rows.join("")}</tbody></table>`;
}

// Vertical columns (hours of a day or days of a week), with a button to show the numbers as a table.
export function columnChart(container, values, { title }) {
  const max = Math.max(...values.map((v) => v.seconds), 60);
  const width = 720, height = 180, bottom = 20, gap = 3;
  const columnWidth = width / values.length;
  const parts = values.map((v, i) => {
    const h = ((height - bottom - 10) * v.seconds) / max;
    const x = i * columnWidth + gap / 2;
    const labelEvery = values.length > 12 ? 3 : 1;
    const text = i % labelEvery === 0 ? `<text x="${x + (columnWidth - gap) / 2}" y="${height - 5}" text-anchor="middle">${esc(v.short)}</text>` : "";
    return `<rect x="${x}" y="${height - bottom - h}" width="${columnWidth - gap}" height="${Math.max(h, 0)}" fill="var(--bar)" rx="2">
      <title>${esc(v.label)}: ${duration(v.seconds)}</title></rect>${text}`;
  });
  container.innerHTML = `
    <div class="chart" role="img" aria-label="${esc(title)}">
      <svg viewBox="0 0 ${width} ${height}" preserveAspectRatio="none">${parts.join("")}</svg>
    </div>
    <button type="button" class="toggle-table" aria-expanded="false">Show as table</button>
    <table class="chart-table" hidden><thead><tr><th>period</th><th class="num">active</th></tr></thead>
      <tbody>${values.map((v) => `<tr><td>${esc(v.label)}</td><td class="num" data-seconds="${v.seconds}">${duration(v.seconds)}</td></tr>`).join("")}</tbody></table>`;
  const button = container.querySelector(".toggle-table");
  const table = container.querySelector(".chart-table");
  button.addEventListener("click", () => {
    table.hidden = !table.hidden;
    button.setAttribute("aria-expanded", String(!table.hidden));
    button.textContent = table.hidden ? "Show as table" : "Hide table";
  });
}

// Lanes of events on a shared time axis, with zoom (wheel, +/- keys, buttons) and pan (drag, arrows).
export function timeline(container, lanes, { start, end, onEvent }) {
  const state = { from: start.getTime(), to: end.getTime() };
  const full = [start.getTime(), end.getTime()];
  const laneHeight = 26, labelWidth = 180, axisHeight = 22, width = 1000;
  const height = axisHeight + lanes.length * laneHeight + 6;
  container.innerHTML = `<svg viewBox="0 0 ${width} ${height}" role="application" aria-label="Timeline; arrow keys pan, plus and minus zoom" tabindex="0"></svg>`;
  const svg = container.querySelector("svg");

  function render() {
    const span = state.to - state.from;
    const x = (t) => labelWidth + ((t - state.from) / span) * (width - labelWidth - 6);
    let out = "";
    const step = niceStep(span);
    for (let t = Math.ceil(state.from / step) * step; t <= state.to; t += step) {
      const d = new Date(t);
      out += `<line x1="${x(t)}" x2="${x(t)}" y1="${axisHeight - 4}" y2="${height}" stroke="var(--border)"></line>
        <text class="axis" x="${x(t)}" y="${axisHeight - 8}" text-anchor="middle">${label(d, step)}</text>`;
    }
    lanes.forEach((lane, i) => {
      const y = axisHeight + i * laneHeight;
      out += `<rect class="lane-bg" x="${labelWidth}" y="${y + 3}" width="${width - labelWidth - 6}" height="${laneHeight - 6}" rx="3"></rect>
        <text class="lane-label" x="4" y="${y + laneHeight / 2 + 4}">${esc(lane.id.length > 26 ? lane.id.slice(0, 25) + "…" : lane.id)}</text>`;
      const focusable = lane.events.length <= 400;
      lane.events.forEach((e, j) => {
        const s = Math.max(e.start, state.from), f = Math.min(e.end, state.to);
        if (f < state.from || s > state.to) return;
        const w = Math.max(x(f) - x(s), 1);
        const key = e.data.app || e.data.status || e.data.$domain || e.data.url || e.data.title || "";
        out += `<rect class="event" data-lane="${i}" data-index="${j}" x="${x(s)}" y="${y + 4}" width="${w}" height="${laneHeight - 8}"
          fill="${colorFor(key)}" ${focusable ? 'tabindex="0"' : ""}></rect>`;
      });
    });
    svg.innerHTML = out;
  }

  function zoom(factor, center = (state.from + state.to) / 2) {
    const span = Math.min(Math.max((state.to - state.from) * factor, 60000), full[1] - full[0]);
    let from = center - (center - state.from) * (span / (state.to - state.from));
    from = Math.min(Math.max(from, full[0]), full[1] - span);
    state.from = from;
    state.to = from + span;
    render();
  }
  function pan(share) {
    const span = state.to - state.from;
    const from = Math.min(Math.max(state.from + span * share, full[0]), full[1] - span);
    state.from = from;
    state.to = from + span;
    render();
  }
  const timeAt = (clientX) => {
    const box = svg.getBoundingClientRect();
    const ratio = ((clientX - box.left) / box.width * width - labelWidth) / (width - labelWidth - 6);
    return state.from + Math.min(Math.max(ratio, 0), 1) * (state.to - state.from);
  };

  svg.addEventListener("wheel", (ev) => { ev.preventDefault(); zoom(ev.deltaY < 0 ? 0.8 : 1.25, timeAt(ev.clientX)); }, { passive: false });
  svg.addEventListener("keydown", (ev) => {
    const actions = { ArrowLeft: () => pan(-0.2), ArrowRight: () => pan(0.2), "+": () => zoom(0.8), "=": () => zoom(0.8), "-": () => zoom(1.25) };
    if (actions[ev.key] && (ev.target === svg || ev.key.startsWith("Arrow") === false)) { ev.preventDefault(); actions[ev.key](); }
  });
  let drag = null;
  svg.addEventListener("pointerdown", (ev) => { drag = { x: ev.clientX, from: state.from, to: state.to }; svg.setPointerCapture(ev.pointerId); });
  svg.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const box = svg.getBoundingClientRect();
    const shift = -((ev.clientX - drag.x) / box.width) * (width / (width - labelWidth)) * (drag.to - drag.from);
    const span = drag.to - drag.from;
    state.from = Math.min(Math.max(drag.from + shift, full[0]), full[1] - span);
    state.to = state.from + span;
    render();
  });
  svg.addEventListener("pointerup", () => { drag = null; });
  const show = (ev) => {
    const rect = ev.target.closest("rect.event");
    if (rect) onEvent(lanes[rect.dataset.lane].events[rect.dataset.index], rect);
  };
  svg.addEventListener("mouseover", show);
  svg.addEventListener("focusin", show);
  svg.addEventListener("mouseout", () => onEvent(null));
  svg.addEventListener("focusout", () => onEvent(null));
  render();
  return { zoom, pan, reset: () => { state.from = full[0]; state.to = full[1]; render(); } };
}

function niceStep(span) {
  const steps = [60e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3];
  return steps.find((s) => span / s <= 12) || 43200e3;
}

function label(d, step) {
  const hh = String(d.getHours()).padStart(2, "0"), mm = String(d.getMinutes()).padStart(2, "0");
  return step >= 3600e3 ? `${hh}:00` : `${hh}:${mm}`;
}
