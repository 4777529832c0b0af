// All buckets in a table, and import from a file.
import { api, get } from "../api.js";
import { esc } from "../util.js";
import { showError } from "../ui.js";

const when = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" }) : "—");

export async function render(root) {
  const buckets = Object.values(await get("buckets/"));
  const counts = await Promise.all(buckets.map((b) => get(`buckets/${encodeURIComponent(b.id)}/events/count`)));
  const rows = buckets.map((b, i) => `<tr data-bucket="${esc(b.id)}">
      <td><a href="#/buckets/${encodeURIComponent(b.id)}">${esc(b.id)}</a></td>
      <td class="hide-narrow">${esc(b.type)}</td><td class="hide-narrow">${esc(b.client)}</td><td class="hide-narrow">${esc(b.hostname)}</td>
      <td class="num" data-testid="count">${counts[i]}</td>
      <td class="hide-narrow">${esc(when(b.metadata && b.metadata.start))}</td><td>${esc(when(b.metadata && b.metadata.end))}</td></tr>`);
  root.innerHTML = `<h1>Buckets</h1>
    ${buckets.length ? `<div class="panel"><table data-testid="buckets-table"><thead><tr><th>id</th><th class="hide-narrow">type</th><th class="hide-narrow">client</th>
      <th class="hide-narrow">host</th><th class="num">events</th><th class="hide-narrow">first event</th><th>last event</th></tr></thead>
      <tbody>${rows.join("")}</tbody></table></div>`
      : `<div class="empty" data-testid="empty">No buckets yet. Watchers create their buckets when they start; see the Activity page for a curl example.</div>`}
    <h2 style="margin-top:20px">Import</h2>
    <form class="controls" data-testid="import-form">
      <label>Export file <input type="file" name="file" accept=".json,application/json" required></label>
      <button class="primary" type="submit">Import</button>
      <span data-testid="import-result" role="status"></span>
    </form>
    <p class="muted">Buckets that exist already are merged: events that are already there are skipped. <a href="/api/0/export" data-save="export" download>Export everything</a>.</p>`;
  const form = root.querySelector("[data-testid=import-form]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.file.files[0];
    if (!file) return;
    const data = new FormData();
    data.append("buckets.json", file);
    const status = root.querySelector("[data-testid=import-result]");
    status.textContent = "Importing…";
    try {
      const result = await api("import", { method: "POST", body: data });
      status.textContent = Object.entries(result.buckets).map(([id, r]) => `${id}: ${r.inserted} imported, ${r.skipped} skipped`).join("; ") || "Nothing to import.";
      status.className = "ok";
    } catch (error) {
      status.textContent = "";
      showError(error);
    }
  });
  return null;
}
