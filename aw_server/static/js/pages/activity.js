// Activity for a day or a week on one host: totals, top lists, categories, a chart of active time.
import { categoryClasses, get, query, settings } from "../api.js";
import { hostChoices, hostBuckets, summaryQuery, activeTimeQuery, windowFactsQuery } from "../activity-query.js";
import { barList, columnChart } from "../charts.js";
import { categoryColor } from "../colors.js";
import { addDays, dayRange, duration, esc, localTime, period, today, weekStart } from "../util.js";
import { navigate, showError } from "../ui.js";

const REFRESH_MS = 60_000;

export async function render(root, params) {
  const [allBuckets, prefs] = await Promise.all([get("buckets/"), settings()]);
  const choices = hostChoices(allBuckets);
  const hostList = choices.map((choice) => choice.value);
  if (!hostList.length) {
    root.innerHTML = emptyState(Object.keys(allBuckets).length);
    return null;
  }
  const view = params.get("view") === "week" ? "week" : "day";
  const host = hostList.includes(params.get("host")) ? params.get("host") : hostList[0];
  const date = /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") || "") ? params.get("date") : today(prefs.startOfDay);
  const classes = await categoryClasses(prefs);

  const first = view === "week" ? weekStart(date, prefs.startOfWeek) : date;
  const days = view === "week" ? 7 : 1;
  const [start] = dayRange(first, prefs.startOfDay);
  const [, end] = dayRange(addDays(first, days - 1), prefs.startOfDay);
  const step = view === "week" ? 86_400_000 : 3_600_000;
  const slots = [];
  for (let t = start.getTime(); t < end.getTime(); t += step) slots.push([new Date(t), new Date(Math.min(t + step, end.getTime()))]);

  root.innerHTML = `
    <h1>Activity</h1>
    <form class="controls" data-testid="activity-controls">
      <label>Host <select name="host">${hostOptions(choices, host)}</select></label>
      <label>View <select name="view"><option value="day" ${view === "day" ? "selected" : ""}>Day</option><option value="week" ${view === "week" ? "selected" : ""}>Week</option></select></label>
      <button type="button" data-shift="-1" aria-label="Previous ${view}">◀</button>
      <label>Date <input type="date" name="date" value="${esc(date)}" required></label>
      <button type="button" data-shift="1" aria-label="Next ${view}">▶</button>
      <button type="button" data-today>Today</button>
    </form>
    <p class="muted" data-testid="range">${esc(start.toLocaleString())} – ${esc(end.toLocaleString())}</p>
    <div class="grid">
      <section class="panel"><h2>Active time</h2><div class="big" data-testid="active-time">…</div><p class="muted" data-testid="zero-note" hidden></p><p class="muted" data-testid="updated"></p></section>
      <section class="panel"><h2>Categories</h2><div data-testid="categories">…</div></section>
      <section class="panel wide"><h2>${view === "week" ? "Active time per day" : "Active time per hour"}</h2><div data-testid="chart">…</div></section>
      <section class="panel"><h2>Top applications</h2><div data-testid="apps">…</div></section>
      <section class="panel"><h2>Top window titles</h2><div data-testid="titles">…</div></section>
      <section class="panel"><h2>Top browser domains</h2><div data-testid="domains">…</div></section>
    </div>`;

  const form = root.querySelector("form");
  const go = (changes) => navigate("/activity", { host, view, date, ...changes });
  form.addEventListener("change", () => go({ host: form.host.value, view: form.view.value, date: form.date.value || date }));
  form.addEventListener("submit", (e) => e.preventDefault());
  form.querySelectorAll("[data-shift]").forEach((b) => b.addEventListener("click", () => go({ date: addDays(date, Number(b.dataset.shift) * days) })));
  form.querySelector("[data-today]").addEventListener("click", () => go({ date: today(prefs.startOfDay) }));

  const b = hostBuckets(allBuckets, host);

  async function load() {
    const [[summary], perSlot] = await Promise.all([
      query(summaryQuery(b, classes), [period(start, end)], "dashboard-activity"),
      query(activeTimeQuery(b), slots.map(([s, e]) => period(s, e)), "dashboard-active-time"),
    ]);
    const active = root.querySelector("[data-testid=active-time]");
    active.textContent = duration(summary.duration);
    active.dataset.seconds = summary.duration;
    root.querySelector("[data-testid=updated]").textContent = `Updated ${localTime(new Date())}`;
    const item = (key) => (e) => ({ label: e.data[key], seconds: e.duration });
    root.querySelector("[data-testid=apps]").innerHTML = barList(summary.apps.map(item("app")), { testid: "apps-list" });
    root.querySelector("[data-testid=titles]").innerHTML = barList(
      summary.titles.map((e) => ({ label: `${e.data.title} — ${e.data.app}`, seconds: e.duration })), { testid: "titles-list" });
    root.querySelector("[data-testid=domains]").innerHTML = barList(summary.domains.map(item("$domain")), { testid: "domains-list" });
    root.querySelector("[data-testid=categories]").innerHTML = barList(
      summary.categories.map((e) => ({ name: e.data.$category, label: e.data.$category.join(" > "), seconds: e.duration })),
      { testid: "categories-list", color: (i) => categoryColor(i.name, classes) });
    await explainZero(root.querySelector("[data-testid=zero-note]"), summary.duration, b, period(start, end));
    columnChart(root.querySelector("[data-testid=chart]"), slots.map(([s, e], i) => ({
      seconds: perSlot[i],
      short: view === "week" ? s.toLocaleDateString(undefined, { weekday: "short" }) : String(s.getHours()).padStart(2, "0"),
      label: view === "week" ? s.toLocaleDateString() : `${localTime(s)}–${localTime(e)}`,
    })), { title: view === "week" ? "Active time per day" : "Active time per hour" });
  }

  await load();
  const now = Date.now();
  if (now >= start.getTime() && now < end.getTime()) {
    const timer = setInterval(() => load().catch(showError), REFRESH_MS);
    return () => clearInterval(timer);
  }
  return null;
}

// Watchers' hosts, then devices (phones and others reporting to /api/activity) in a group of
// their own when there are both.
function hostOptions(choices, selected) {
  const option = (c) => `<option value="${esc(c.value)}" ${c.value === selected ? "selected" : ""}>${esc(c.label)}</option>`;
  const devices = choices.filter((c) => c.device);
  const watched = choices.filter((c) => !c.device);
  if (!devices.length || !watched.length) return choices.map(option).join("");
  return `${watched.map(option).join("")}<optgroup label="Devices">${devices.map(option).join("")}</optgroup>`;
}

async function explainZero(note, total, b, range) {
  const [facts] = total > 0 ? [null] : await query(windowFactsQuery(b), [range]);
  note.textContent = facts ? zeroNote(facts, Boolean(b.afk)) : "";
  note.hidden = !note.textContent;
}

// A total of zero with events present puzzles people: say whether the events have no length
// (a lone heartbeat) or fall outside the time the AFK watcher reports as active.
function zeroNote({ count, recorded }, hasAfk) {
  if (!count) return "";
  const events = `${count} window event${count === 1 ? "" : "s"}`;
  if (!recorded) {
    return `${events}, all of zero length: heartbeats merge into time only when a second one with the same data arrives within pulsetime.`;
  }
  return hasAfk ? `${events} (${duration(recorded)}), none of it while the AFK watcher reports you active.` : "";
}

function emptyState(bucketCount) {
  const bucket = `${location.origin}/api/0/buckets/aw-watcher-window_$(hostname)`;
  const heartbeat = (when) =>
    `curl -X POST -H "$J" "$B/heartbeat?pulsetime=120" \\\n  -d '{"timestamp": "'${when}'", "duration": 0, "data": {"app": "Terminal", "title": "hello"}}'`;
  const commands = [
    `B=${bucket}`,
    `J='Content-Type: application/json'`,
    `curl -X POST -H "$J" "$B" \\\n  -d '{"client": "curl", "type": "currentwindow", "hostname": "'$(hostname)'"}'`,
    `AGO=$(date -u -d '1 minute ago' +%FT%TZ 2>/dev/null || date -u -v-1M +%FT%TZ)`,
    heartbeat("$AGO"),
    heartbeat("$(date -u +%FT%TZ)"),
  ];
  return `<h1>Activity</h1><div class="empty" data-testid="empty">
    <p><strong>No window activity yet.</strong> ${bucketCount ? "There are buckets, but none from a window watcher (type <code>currentwindow</code>)." : "The server has no buckets."}</p>
    <p>Start ActivityWatch's watchers (<code>aw-watcher-window</code>, <code>aw-watcher-afk</code>) pointed at this server, or try it by hand:
    create a window bucket and send two heartbeats a minute apart. They carry the same data and the second comes within
    <code>pulsetime</code> (120 s) of the first, so the server merges them into one event of a minute.</p>
    <pre data-testid="empty-commands">${esc(commands.join("\n"))}</pre>
    <p>Then reload this page. See every bucket on the <a href="#/buckets">Buckets</a> page. Phones and other devices
    that report to <code>/api/activity</code> show here too, once approved on the <a href="#/devices">Devices</a> page.</p></div>`;
}
