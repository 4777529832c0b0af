// One bucket: its metadata, its events newest first (paged), delete event, export, delete bucket.
import { del, get } from "../api.js";
import { dataLines, duration, esc } from "../util.js";
import { navigate, showError } from "../ui.js";

const PAGE = 50;

export async function render(root, params, bucketId) {
  const bucket = await get(`buckets/${encodeURIComponent(bucketId)}`);
  const count = await get(`buckets/${encodeURIComponent(bucketId)}/events/count`);
  let limit = PAGE;
  root.innerHTML = `<p><a href="#/buckets">← Buckets</a></p><h1>${esc(bucket.id)}</h1>
    <div class="panel"><table><tbody>
      <tr><th>type</th><td>${esc(bucket.type)}</td><th>client</th><td>${esc(bucket.client)}</td></tr>
      <tr><th>host</th><td>${esc(bucket.hostname)}</td><th>events</th><td data-testid="event-count">${count}</td></tr>
    </tbody></table>
    <div class="controls" style="margin-top:10px">
      <a href="/api/0/buckets/${encodeURIComponent(bucket.id)}/export" data-save="buckets/${encodeURIComponent(bucket.id)}/export" download>Export bucket</a>
      <button type="button" class="danger" data-testid="delete-bucket">Delete bucket…</button>
    </div></div>
    <h2 style="margin-top:16px">Events, newest first</h2>
    <div class="panel"><table class="events" data-testid="events-table"><thead><tr><th>start</th><th class="num">duration</th><th>data</th><th></th></tr></thead><tbody></tbody></table>
    <button type="button" data-testid="more">Load more</button></div>
    <dialog data-testid="confirm"><form method="dialog">
      <p>Delete <strong>${esc(bucket.id)}</strong> and its ${count} events? This cannot be undone.</p>
      <div class="controls"><button value="cancel">Cancel</button><button value="delete" class="danger" data-testid="confirm-delete">Delete</button></div>
    </form></dialog>`;

  const more = root.querySelector("[data-testid=more]");
  async function load() {
    const events = await get(`buckets/${encodeURIComponent(bucket.id)}/events?limit=${limit}`);
    const table = root.querySelector("[data-testid=events-table] tbody");
    table.innerHTML = events.map((e) => `<tr data-id="${e.id}">
      <td>${esc(new Date(e.timestamp).toLocaleString())}</td><td class="num">${duration(e.duration)}</td>
      <td class="data">${dataLines(e.data)}</td>
      <td><button type="button" class="danger" data-delete="${e.id}" aria-label="Delete event ${e.id}">Delete</button></td></tr>`).join("")
      || `<tr><td colspan="4" class="muted">No events.</td></tr>`;
    more.hidden = events.length < limit;
  }
  root.querySelector("[data-testid=events-table]").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-delete]");
    if (!button) return;
    try {
      await del(`buckets/${encodeURIComponent(bucket.id)}/events/${button.dataset.delete}`);
      const counter = root.querySelector("[data-testid=event-count]");
      counter.textContent = String(Number(counter.textContent) - 1);
      await load();
    } catch (error) {
      showError(error);
    }
  });
  more.addEventListener("click", () => { limit += PAGE; load().catch(showError); });
  const dialog = root.querySelector("dialog");
  root.querySelector("[data-testid=delete-bucket]").addEventListener("click", () => dialog.showModal());
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "delete") return;
    try {
      await del(`buckets/${encodeURIComponent(bucket.id)}?force=1`);
      navigate("/buckets");
    } catch (error) {
      showError(error);
    }
  });
  await load();
  return null;
}
