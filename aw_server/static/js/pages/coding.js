// Coding time from editor plugins (WakaTime heartbeats) for a day or a week: the total and the
// lists from the server's WakaTime summaries, the time per hour from the events the heartbeats
// became (both follow one duration rule, so they agree), and how to connect an editor.
import { codingSummaries, get, query, settings } from "../api.js";
import { barList, columnChart } from "../charts.js";
import { colorFor } from "../colors.js";
import { addDays, dayRange, duration, esc, localDate, localTime, period, weekStart } from "../util.js";
import { copyText, navigate, showError } from "../ui.js";
import { BUCKET_PREFIX, PRESET, configLines, isCodingBucket, loopbackAddress } from "../wakatime.js";

const REFRESH_MS = 60_000;
const TOP = 10; // rows per list; the rest is summed up in one line below it
// The SummariesData lists shown: key, heading, whether each name gets its own stable colour, and
// whether the panel takes a whole row (file paths are long).
const LISTS = [
  ["projects", "Projects", true, false],
  ["languages", "Languages", true, false],
  ["editors", "Editors", true, false],
  ["machines", "Machines", false, false],
  ["categories", "Categories", false, false],
  ["entities", "Files", false, true],
];

// The browser's IANA zone: the summaries' days then begin at the same midnights as this page's hours.
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "";

export async function render(root, params) {
  const [allBuckets, prefs] = await Promise.all([get("buckets/"), settings()]);
  const buckets = Object.values(allBuckets).filter(isCodingBucket).map((b) => b.id).sort();
  if (!buckets.length) {
    root.innerHTML = `<h1>Coding</h1>${emptyState()}`;
    wireConnect(root);
    return null;
  }
  const view = params.get("view") === "week" ? "week" : "day";
  const date = /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") || "") ? params.get("date") : localDate(new Date());
  const days = view === "week" ? 7 : 1;
  const first = view === "week" ? weekStart(date, prefs.startOfWeek) : date;
  const last = addDays(first, days - 1);
  const [start] = dayRange(first);
  const [, end] = dayRange(last);
  const zone = browserZone();

  root.innerHTML = `
    <h1>Coding</h1>
    ${controls(view, date)}
    <p class="muted" data-testid="range">${esc(rangeText(first, last))}. ${esc(dayNote(zone, prefs.startOfDay))}</p>
    <div class="grid">
      <section class="panel"><h2>Coding time</h2><div class="big" data-testid="coding-time">…</div>
        <p class="muted" data-testid="average" hidden></p><p class="muted" data-testid="updated"></p></section>
      ${listPanel(LISTS[0])}${listPanel(LISTS[1])}
      <section class="panel wide"><h2>${view === "week" ? "Coding time per day" : "Coding time per hour"}</h2><div data-testid="chart">…</div></section>
      ${LISTS.slice(2).map(listPanel).join("")}
    </div>
    <details class="panel section connect" data-testid="connect"><summary>Connect your editor</summary>${connectHelp()}</details>`;
  wireControls(root.querySelector("form"), { view, date, days });
  wireConnect(root);

  const slots = view === "day" ? hours(start, end) : [];
  async function load() {
    const [answer, perHour] = await Promise.all([
      codingSummaries(first, last, zone),
      slots.length ? query(codingTimeQuery(buckets), slots.map(([s, e]) => period(s, e)), "dashboard-coding-time") : null,
    ]);
    showTotal(root, answer, view);
    for (const [key, , colored] of LISTS) {
      root.querySelector(`[data-testid=${key}]`).innerHTML = topList(merged(answer.data, key), key, colored);
    }
    const values = view === "day"
      ? slots.map(([s, e], i) => ({ seconds: perHour[i], short: String(s.getHours()).padStart(2, "0"), label: `${localTime(s)}–${localTime(e)}` }))
      : answer.data.map((day) => dayColumn(day.range.date, day.grand_total.total_seconds));
    columnChart(root.querySelector("[data-testid=chart]"), values,
      { title: view === "week" ? "Coding time per day" : "Coding time per hour", valueName: "coding" });
    root.querySelector("[data-testid=updated]").textContent = `Updated ${localTime(new Date())}`;
  }

  await load();
  const now = Date.now();
  if (now >= start.getTime() && now < end.getTime()) {
    const timer = setInterval(() => load().catch(showError), REFRESH_MS);
    return () => clearInterval(timer);
  }
  return null;
}

function controls(view, date) {
  return `<form class="controls" data-testid="coding-controls">
    <label>View <select name="view"><option value="day" ${view === "day" ? "selected" : ""}>Day</option><option value="week" ${view === "week" ? "selected" : ""}>Week</option></select></label>
    <button type="button" data-shift="-1" aria-label="Previous ${view}">◀</button>
    <label>Date <input type="date" name="date" value="${esc(date)}" required></label>
    <button type="button" data-shift="1" aria-label="Next ${view}">▶</button>
    <button type="button" data-today>Today</button>
  </form>`;
}

function wireControls(form, { view, date, days }) {
  const go = (changes) => navigate("/coding", { view, date, ...changes });
  form.addEventListener("change", () => go({ view: form.view.value, date: form.date.value || date }));
  form.addEventListener("submit", (e) => e.preventDefault());
  form.querySelectorAll("[data-shift]").forEach((b) => b.addEventListener("click", () => go({ date: addDays(date, Number(b.dataset.shift) * days) })));
  form.querySelector("[data-today]").addEventListener("click", () => go({ date: localDate(new Date()) }));
}

function rangeText(first, last) {
  const day = (d, options) => dayRange(d)[0].toLocaleDateString(undefined, options);
  if (first === last) return day(first, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
  const short = { weekday: "short", month: "short", day: "numeric" };
  return `${day(first, short)} – ${day(last, { ...short, year: "numeric" })}`;
}

// Days are WakaTime's (and the editors' status bars'): midnight to midnight, whatever the
// Activity page's start of day.
function dayNote(zone, startOfDay) {
  const note = `Days run from midnight to midnight${zone ? ` (${zone})` : ""}, as WakaTime counts them`;
  return startOfDay && startOfDay !== "00:00" ? `${note}; the start of day in Settings applies to the Activity page.` : `${note}.`;
}

const listPanel = ([key, heading, , wide]) =>
  `<section class="panel${wide ? " wide" : ""}"><h2>${heading}</h2><div data-testid="${key}">…</div></section>`;

// The hours of a local day (23 or 25 on a daylight saving change), as [start, end) Dates.
function hours(start, end) {
  const slots = [];
  for (let t = start.getTime(); t < end.getTime(); t += 3_600_000) slots.push([new Date(t), new Date(Math.min(t + 3_600_000, end.getTime()))]);
  return slots;
}

// Coding time in each period: every coding bucket's events, clipped to the period by the server.
function codingTimeQuery(buckets) {
  const events = buckets.map((id) => `query_bucket(${JSON.stringify(id)})`);
  return [`events = ${events.length === 1 ? events[0] : `concat(${events.join(", ")})`};`, "RETURN = sum_durations(events);"];
}

function dayColumn(date, seconds) {
  const day = dayRange(date)[0];
  return { seconds, short: day.toLocaleDateString(undefined, { weekday: "short" }), label: day.toLocaleDateString() };
}

function showTotal(root, answer, view) {
  const total = root.querySelector("[data-testid=coding-time]");
  total.textContent = duration(answer.cumulative_total.seconds);
  total.dataset.seconds = answer.cumulative_total.seconds;
  const average = root.querySelector("[data-testid=average]");
  const { seconds, days_minus_holidays: active } = answer.daily_average;
  average.textContent = view === "week" && active ? `${duration(seconds)} a day on average (${active} day${active === 1 ? "" : "s"} with coding)` : "";
  average.hidden = !average.textContent;
}

// One SummariesData list summed over the answer's days, longest first, then by name (the
// server's order within a day).
function merged(days, key) {
  const totals = new Map();
  for (const day of days) {
    for (const entry of day[key] || []) totals.set(entry.name, (totals.get(entry.name) || 0) + entry.total_seconds);
  }
  return [...totals].map(([label, seconds]) => ({ label, seconds }))
    .sort((a, b) => b.seconds - a.seconds || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

// A file path may wrap after each separator, so a long one breaks between its parts on a phone.
const breakable = (path) => esc(path).replace(/([/\\_.-])/g, "$1<wbr>");

function topList(items, key, colored) {
  const rest = items.slice(TOP);
  const more = rest.length
    ? `<p class="muted" data-testid="${key}-more">and ${rest.length} more: ${duration(rest.reduce((sum, i) => sum + i.seconds, 0))}</p>`
    : "";
  return barList(items.slice(0, TOP), {
    testid: `${key}-list`,
    labelHtml: key === "entities" ? (i) => breakable(i.label) : undefined,
    color: colored ? (i) => colorFor(i.label) : undefined,
  }) + more;
}

function emptyState() {
  return `<div class="empty" data-testid="empty"><p><strong>No coding activity yet.</strong> Editor plugins that speak the
    WakaTime API (there are plugins for more than 80 editors and tools) report here: connect one, and this page shows your
    coding time by project, language, editor and file.</p></div>
    <section class="panel section connect" data-testid="connect" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect your editor</h2>${connectHelp()}</section>`;
}

function connectHelp() {
  const elsewhere = loopbackAddress()
    ? `<p class="muted">Editors on other machines need an address of this server that they can reach instead of
      <code>${esc(location.host)}</code>, and the server must listen on it (<code class="nowrap">aw-server --host</code>).</p>`
    : "";
  return `<ol class="steps">
      <li>Install the WakaTime plugin of your editor or tool (<a href="https://wakatime.com/plugins" target="_blank" rel="noopener noreferrer">the list of plugins</a>).</li>
      <li>Create an API key with the <code>${PRESET}</code> preset: it may add to and read the <code>${BUCKET_PREFIX}*</code> buckets.
        <a class="button" href="#/access?preset=${PRESET}" data-testid="create-key">Create a key…</a></li>
      <li>Put these lines in <code>~/.wakatime.cfg</code> (on Windows <code>%USERPROFILE%\\.wakatime.cfg</code>), the key's secret as <code>api_key</code>:
        <pre class="cfg" data-testid="wakatime-cfg">${esc(configLines())}</pre>
        <div class="controls"><button type="button" data-copy-cfg>Copy the lines</button><span role="status" data-testid="cfg-copied"></span></div></li>
    </ol>
    <p>The legacy Python wakatime-cli (13.x) reads the same file and works with the same <code>api_url</code>; in the WakaTime
      browser extension's options, enter the same URL as the API URL, with the key.</p>
    ${elsewhere}
    <p class="muted">Each machine's heartbeats become events in the bucket <code>${BUCKET_PREFIX}&lt;machine&gt;</code> and show
      here as soon as the plugin sends them (while you edit and save).</p>`;
}

function wireConnect(root) {
  const said = root.querySelector("[data-testid=cfg-copied]");
  root.querySelector("[data-copy-cfg]").addEventListener("click", async () => {
    const copied = await copyText(root.querySelector("[data-testid=wakatime-cfg]"));
    said.textContent = copied ? "Copied." : "Selected: press Ctrl+C (⌘C) to copy.";
    said.className = "ok";
  });
}
