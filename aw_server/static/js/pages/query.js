// Write and run query2 programs; results as a table or as JSON; errors with their position.
import { categoryClasses, get, query, settings } from "../api.js";
import { hosts, hostBuckets, summaryQuery } from "../activity-query.js";
import { dataLines, dayRange, duration, esc, today } from "../util.js";
import { showError } from "../ui.js";

const toLocalInput = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);

export async function render(root) {
  const [buckets, prefs] = await Promise.all([get("buckets/"), settings()]);
  const host = hosts(buckets)[0];
  const program = host
    ? summaryQuery(hostBuckets(buckets, host), await categoryClasses(prefs)).join("\n")
    : 'RETURN = query_bucket_names();';
  const [start, end] = dayRange(today(prefs.startOfDay), prefs.startOfDay);
  root.innerHTML = `<h1>Query</h1>
    <form data-testid="query-form">
      <label for="program">Program (query2; see docs/query2.md)</label>
      <textarea id="program" class="code" name="program" spellcheck="false">${esc(program)}</textarea>
      <div class="controls">
        <label>From <input type="datetime-local" name="start" value="${toLocalInput(start)}"></label>
        <label>To <input type="datetime-local" name="end" value="${toLocalInput(end)}"></label>
        <button class="primary" type="submit">Run</button>
        <label><input type="checkbox" name="json"> Show JSON</label>
        <span class="muted" data-testid="query-time"></span>
      </div>
    </form>
    <div data-testid="query-error" class="panel" hidden></div>
    <div data-testid="query-result"></div>`;
  const form = root.querySelector("form");
  let last = null;
  const show = () => {
    const out = root.querySelector("[data-testid=query-result]");
    if (last === null) { out.innerHTML = ""; return; }
    out.innerHTML = form.json.checked ? `<pre>${esc(JSON.stringify(last, null, 2))}</pre>` : table(last);
  };
  form.json.addEventListener("change", show);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const errorBox = root.querySelector("[data-testid=query-error]");
    errorBox.hidden = true;
    const from = new Date(form.start.value), to = new Date(form.end.value);
    if (!(from < to)) {
      errorBox.innerHTML = `<strong>Invalid period</strong>: "From" must be before "To".`;
      errorBox.hidden = false;
      return;
    }
    const started = performance.now();
    try {
      [last] = await query(form.program.value.split("\n"), [`${from.toISOString()}/${to.toISOString()}`]);
      root.querySelector("[data-testid=query-time]").textContent = `${Math.round(performance.now() - started)} ms`;
      show();
    } catch (error) {
      if (!error.status) { showError(error); return; }
      errorBox.innerHTML = `<strong>${esc(error.type || "Error")}</strong>: ${esc(error.message)}`;
      errorBox.hidden = false;
      last = null;
      show();
    }
  });
  return null;
}

const isEvent = (x) => x && typeof x === "object" && "timestamp" in x && "duration" in x && "data" in x;

function table(value) {
  if (Array.isArray(value) && value.every(isEvent)) {
    return `<div class="panel"><p class="muted">${value.length} events</p><table class="events" data-testid="result-table"><thead><tr><th>start</th><th class="num">duration</th><th>data</th></tr></thead><tbody>${
      value.map((e) => `<tr><td>${esc(new Date(e.timestamp).toLocaleString())}</td><td class="num">${duration(e.duration)}</td><td class="data">${dataLines(e.data)}</td></tr>`).join("")
    }</tbody></table></div>`;
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return `<div class="panel"><table data-testid="result-table"><tbody>${Object.entries(value).map(([k, v]) =>
      `<tr><th>${esc(k)}</th><td>${Array.isArray(v) && v.every(isEvent)
        ? v.slice(0, 20).map((e) => `${esc(Object.values(e.data).map((x) => Array.isArray(x) ? x.join(" > ") : x).join(" · "))}: ${duration(e.duration)}`).join("<br>") + (v.length > 20 ? `<br>… ${v.length - 20} more` : "")
        : typeof v === "number" ? `${esc(v)}${k.includes("duration") ? ` (${duration(v)})` : ""}` : `<code>${esc(JSON.stringify(v))}</code>`}</td></tr>`).join("")}</tbody></table></div>`;
  }
  return `<pre>${esc(JSON.stringify(value, null, 2))}</pre>`;
}
