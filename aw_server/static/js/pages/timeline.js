// One lane per bucket for a day, to scale, with zoom, pan and a tooltip per event.
import { get, settings } from "../api.js";
import { timeline } from "../charts.js";
import { addDays, dayRange, duration, esc, today } from "../util.js";
import { navigate } from "../ui.js";

const LIMIT = 5000;

export async function render(root, params) {
  const prefs = await settings();
  const date = /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") || "") ? params.get("date") : today(prefs.startOfDay);
  const [start, end] = dayRange(date, prefs.startOfDay);
  const buckets = Object.values(await get("buckets/"));
  root.innerHTML = `<h1>Timeline</h1>
    <div class="controls">
      <button type="button" data-shift="-1" aria-label="Previous day">◀</button>
      <label>Date <input type="date" value="${esc(date)}"></label>
      <button type="button" data-shift="1" aria-label="Next day">▶</button>
      <button type="button" data-zoom="in">Zoom in</button>
      <button type="button" data-zoom="out">Zoom out</button>
      <button type="button" data-zoom="reset">Whole day</button>
    </div>
    <p class="muted">Drag or use the arrow keys to pan, the wheel or + / − to zoom. Hover or focus an event for its data.</p>
    <div class="timeline-wrap" data-testid="timeline">…</div>
    <p class="muted" data-testid="truncated"></p>`;
  const input = root.querySelector("input[type=date]");
  input.addEventListener("change", () => input.value && navigate("/timeline", { date: input.value }));
  root.querySelectorAll("[data-shift]").forEach((b) => b.addEventListener("click", () => navigate("/timeline", { date: addDays(date, Number(b.dataset.shift)) })));
  const wrap = root.querySelector("[data-testid=timeline]");
  if (!buckets.length) {
    wrap.innerHTML = `<div class="empty">No buckets yet: start a watcher, then come back.</div>`;
    return null;
  }
  const range = `start=${encodeURIComponent(start.toISOString())}&end=${encodeURIComponent(end.toISOString())}&limit=${LIMIT}`;
  const lanes = await Promise.all(buckets.map(async (b) => {
    const events = await get(`buckets/${encodeURIComponent(b.id)}/events?${range}`);
    return {
      id: b.id,
      truncated: events.length >= LIMIT,
      events: events.map((e) => {
        const s = Date.parse(e.timestamp);
        return { start: s, end: s + e.duration * 1000, duration: e.duration, data: e.data, timestamp: e.timestamp };
      }),
    };
  }));
  const truncated = lanes.filter((l) => l.truncated).map((l) => l.id);
  root.querySelector("[data-testid=truncated]").textContent = truncated.length ? `Showing the newest ${LIMIT} events of: ${truncated.join(", ")}` : "";
  const tooltip = document.getElementById("tooltip");
  const chart = timeline(wrap, lanes, {
    start, end,
    onEvent(event, rect) {
      if (!event) { tooltip.hidden = true; return; }
      const rows = Object.entries(event.data).map(([k, v]) => `<div><strong>${esc(k)}</strong>: ${esc(typeof v === "string" ? v : JSON.stringify(v))}</div>`).join("");
      tooltip.innerHTML = `<div>${esc(new Date(event.start).toLocaleTimeString())} · ${duration(event.duration)}</div>${rows}`;
      tooltip.hidden = false;
      const box = rect.getBoundingClientRect();
      tooltip.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - tooltip.offsetWidth - 8))}px`;
      tooltip.style.top = `${box.bottom + 6}px`;
    },
  });
  root.querySelector("[data-zoom=in]").addEventListener("click", () => chart.zoom(0.5));
  root.querySelector("[data-zoom=out]").addEventListener("click", () => chart.zoom(2));
  root.querySelector("[data-zoom=reset]").addEventListener("click", () => chart.reset());
  return () => { chart.stop(); tooltip.hidden = true; };
}
