// SVG charts drawn by hand. Every chart keeps its numbers available as text.
import { duration, esc } from "./util.js";
import { colorFor } from "./colors.js";

const SVG = "http://www.w3.org/2000/svg";

// A ranked list: label, a proportional SVG bar, and the duration as text. `labelHtml` may mark
// the label up (already escaped), e.g. with places where a long path may wrap.
export function barList(items, { label = (i) => i.label, labelHtml = (i) => esc(label(i)), color = () => null, testid = "" } = {}) {
  if (!items.length) return `<p class="muted">Nothing recorded.</p>`;
  const max = Math.max(...items.map((i) => i.seconds), 1);
  const rows = items.map((item) => {
    const width = Math.max(0.5, (item.seconds / max) * 100).toFixed(2);
    const fill = color(item) || "var(--bar)";
    return `<tr data-seconds="${item.seconds}">
      <td class="label">${labelHtml(item)}</td>
      <td class="bar"><svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
        <rect x="0" y="0" width="100" height="10" fill="var(--bar-bg)"></rect>
        <rect x="0" y="0" width="${width}" height="10" fill="${esc(fill)}"><title>${esc(label(item))}: ${duration(item.seconds)}</title></rect>
      </svg></td>
      <td class="num">${duration(item.seconds)}</td></tr>`;
  });
  return `<table class="barlist" data-testid="${esc(testid)}"><tbody>${rows.join("")}</tbody></table>`;
}

// Vertical columns (hours of a day or days of a week), with a button to show the numbers as a
// table whose value column is called `valueName`.
export function columnChart(container, values, { title, valueName = "active" }) {
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
    <table class="chart-table" hidden><thead><tr><th>period</th><th class="num">${esc(valueName)}</th></tr></thead>
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
// Drawn in real pixels at the container's width (redrawn when it changes), each lane's label
// above its bar, so text keeps its size and the time axis gets the full width on a phone.
export function timeline(container, lanes, { start, end, onEvent }) {
  const state = { from: start.getTime(), to: end.getTime() };
  const full = [start.getTime(), end.getTime()];
  const pad = 6, axisHeight = 22, labelHeight = 16, barHeight = 20, laneGap = 8;
  const laneHeight = labelHeight + barHeight + laneGap;
  const height = axisHeight + lanes.length * laneHeight;
  container.innerHTML = `<svg width="100%" height="${height}" role="application" aria-label="Timeline; arrow keys pan, plus and minus zoom" tabindex="0"></svg>`;
  const svg = container.querySelector("svg");
  let width = 0;
  const plotWidth = () => Math.max(width - 2 * pad, 1);

  function render() {
    width = svg.getBoundingClientRect().width || 1000;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const span = state.to - state.from;
    const x = (t) => pad + ((t - state.from) / span) * plotWidth();
    let out = "";
    const step = niceStep(span, Math.max(2, Math.floor(plotWidth() / 70)));
    for (let t = Math.ceil(state.from / step) * step; t <= state.to; t += step) {
      const d = new Date(t);
      const anchor = x(t) < 20 ? "start" : x(t) > width - 20 ? "end" : "middle";
      out += `<line x1="${x(t)}" x2="${x(t)}" y1="${axisHeight - 4}" y2="${height}" stroke="var(--border)"></line>
        <text class="axis" x="${x(t)}" y="${axisHeight - 8}" text-anchor="${anchor}">${label(d, step)}</text>`;
    }
    const maxChars = Math.max(8, Math.floor(plotWidth() / 7.5));
    lanes.forEach((lane, i) => {
      const y = axisHeight + i * laneHeight;
      const barY = y + labelHeight;
      const shown = lane.id.length > maxChars ? lane.id.slice(0, maxChars - 1) + "…" : lane.id;
      out += `<g><title>${esc(lane.id)}</title><text class="lane-label" x="${pad}" y="${barY - 4}">${esc(shown)}</text></g>
        <rect class="lane-bg" x="${pad}" y="${barY}" width="${plotWidth()}" height="${barHeight}" rx="3"></rect>`;
      const focusable = lane.events.length <= 400;
      lane.events.forEach((e, j) => {
        const s = Math.max(e.start, state.from), f = Math.min(e.end, state.to);
        if (f < state.from || s > state.to) return;
        const w = Math.max(x(f) - x(s), 1);
        const key = e.data.app || e.data.status || e.data.$domain || e.data.url || e.data.title || "";
        out += `<rect class="event" data-lane="${i}" data-index="${j}" x="${x(s)}" y="${barY + 2}" width="${w}" height="${barHeight - 4}"
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
    const ratio = (clientX - svg.getBoundingClientRect().left - pad) / plotWidth();
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
    const span = drag.to - drag.from;
    const shift = -((ev.clientX - drag.x) / plotWidth()) * span;
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
  // Redraw when the width changes (window resize, phone rotation); not for height changes.
  const resize = new ResizeObserver(() => { if (Math.abs(svg.getBoundingClientRect().width - width) > 0.5) render(); });
  resize.observe(svg);
  render();
  return { zoom, pan, reset: () => { state.from = full[0]; state.to = full[1]; render(); }, stop: () => resize.disconnect() };
}

// The smallest round step that puts at most `maxTicks` ticks on the axis.
function niceStep(span, maxTicks) {
  const steps = [60e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3];
  return steps.find((s) => span / s <= maxTicks) || 86400e3;
}

function label(d, step) {
  const hh = String(d.getHours()).padStart(2, "0"), mm = String(d.getMinutes()).padStart(2, "0");
  return step >= 3600e3 ? `${hh}:00` : `${hh}:${mm}`;
}
