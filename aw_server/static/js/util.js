// Small helpers: formatting, escaping, local-day arithmetic.

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function duration(seconds) {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

const pad = (n) => String(n).padStart(2, "0");

export function localDate(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function localTime(d) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// The local day `date` (YYYY-MM-DD) starting at `startOfDay` (HH:MM): [start, end) as Dates.
export function dayRange(date, startOfDay = "00:00") {
  const [y, mo, d] = date.split("-").map(Number);
  const [h, mi] = (startOfDay || "00:00").split(":").map(Number);
  const start = new Date(y, mo - 1, d, h || 0, mi || 0);
  const end = new Date(y, mo - 1, d + 1, h || 0, mi || 0);
  return [start, end];
}

export function addDays(date, days) {
  const [y, mo, d] = date.split("-").map(Number);
  return localDate(new Date(y, mo - 1, d + days));
}

// The first day of the week holding `date`, weeks starting on `startOfWeek` ("Monday"/"Sunday").
export function weekStart(date, startOfWeek = "Monday") {
  const [y, mo, d] = date.split("-").map(Number);
  const day = new Date(y, mo - 1, d).getDay();
  const first = startOfWeek === "Sunday" ? 0 : 1;
  return addDays(date, -((day - first + 7) % 7));
}

export const period = (start, end) => `${start.toISOString()}/${end.toISOString()}`;

export function today(startOfDay = "00:00") {
  const now = new Date();
  const [h, m] = startOfDay.split(":").map(Number);
  const shifted = new Date(now.getTime() - ((h || 0) * 60 + (m || 0)) * 60000);
  return localDate(shifted);
}

// An event's data as "key: value" lines, which wrap between words at any width (one-line JSON has
// few places to wrap and breaks mid-word on a phone).
export function dataLines(data) {
  const entries = Object.entries(data || {});
  if (!entries.length) return `<span class="muted">no data</span>`;
  return entries.map(([key, value]) =>
    `<div><span class="muted">${esc(key)}:</span> ${esc(typeof value === "string" ? value : JSON.stringify(value))}</div>`).join("");
}
