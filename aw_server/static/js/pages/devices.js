// The device registry (admin): devices that report to /api/activity, each bound to the API key
// it reports with. Approve a pending one, revoke, rename, pin to the top of the Live page, bind
// to a key, delete; add one by hand. A reporter held for approval is sent here with
// `#/devices?device=<id>`, and that device is shown and marked.
import { devices, get } from "../api.js";
import { esc } from "../util.js";
import { copyText, showError } from "../ui.js";

const PAGE = 20;
const SEARCH_DELAY_MS = 300;
const SHOWN_KEY_CHARS = 12; // of a device key in the table; the edit form has all of it
const WAKEN_BUCKETS = ["waken-window_", "waken-media_", "waken-device_"];

const when = (iso, none) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" }) : none);

export async function render(root, params) {
  const wanted = params.get("device");
  root.innerHTML = `<h1>Devices</h1>
    <p class="muted">Phones, tablets and computers that report what is in front of them to <code>/api/activity</code>
      (Waken-Wa's reporters). A device reports with the API key it is bound to; a new one waits here for approval.
      What they report shows on the <a href="#/live">Live</a> page, and on the Activity page as a host.</p>
    <div data-testid="device-notice"></div>
    <section data-testid="registry" class="section"><p class="muted">Loading…</p></section>
    ${dialogs()}`;
  let keys;
  try {
    keys = await get("keys");
  } catch (error) {
    if (error.status !== 403) throw error;
    root.querySelector("[data-testid=registry]").innerHTML = notAdmin(error);
    return null;
  }
  const registry = root.querySelector("[data-testid=registry]");
  registry.innerHTML = `<form class="controls" data-testid="device-filters" role="search">
      <label>Status <select name="status"><option value="">All</option><option value="pending">Pending</option>
        <option value="active">Active</option><option value="revoked">Revoked</option></select></label>
      <label>Search <input type="search" name="q" placeholder="name or device key" autocomplete="off"></label>
      <button type="button" data-testid="refresh">Refresh</button>
    </form>
    <div class="panel" data-testid="device-list" tabindex="-1"></div>
    <div class="controls pager"><button type="button" data-step="-1">◀ Previous</button>
      <span data-testid="page-info" role="status"></span><button type="button" data-step="1">Next ▶</button></div>
    <div data-testid="added-slot"></div>
    <section class="panel section" aria-labelledby="add-title"><h2 id="add-title">Add a device</h2>${addForm(keys)}</section>`;
  const page = pageState(root, keys);
  await page.open(wanted);
  wireFilters(registry, page);
  wireRows(root, page);
  wireAdd(root, page);
  return page.stop;
}

function notAdmin(error) {
  return `<div class="empty" data-testid="not-admin" role="alert">
    <p><strong>This API key may not manage devices.</strong> The device registry needs a key with the <code>admin</code>
    scope (preset <code>full</code>); the key this browser sends does not have it.</p>
    <p class="muted">The server says: ${esc(error.message)}.</p>
    <p>Use an admin key (on the <a href="#/access">Access</a> page: <em>Use another key…</em>). What the devices report
    is on the <a href="#/live">Live</a> page for any key that may read their buckets.</p></div>`;
}

// The list's filter and page, what it shows, and the device a link asked for.
function pageState(root, keys) {
  const list = root.querySelector("[data-testid=device-list]");
  const info = root.querySelector("[data-testid=page-info]");
  const notice = root.querySelector("[data-testid=device-notice]");
  const state = { status: "", q: "", offset: 0, items: [], total: 0, marked: null, keys };
  let searchTimer = null;

  async function load() {
    const query = new URLSearchParams({ limit: String(PAGE), offset: String(state.offset) });
    if (state.status) query.set("status", state.status);
    if (state.q) query.set("q", state.q);
    const answer = await devices(`admin/devices?${query}`);
    if (!answer.items.length && state.offset > 0 && answer.total > 0) {
      state.offset = Math.max(0, Math.floor((answer.total - 1) / PAGE) * PAGE); // the last page went away
      return load();
    }
    state.items = answer.items;
    state.total = answer.total;
    list.innerHTML = deviceTable(state);
    const last = Math.min(state.offset + state.items.length, state.total);
    info.textContent = state.total ? `${state.offset + 1}–${last} of ${state.total}` : "";
    root.querySelector("[data-step='-1']").disabled = state.offset === 0;
    root.querySelector("[data-step='1']").disabled = last >= state.total;
    root.querySelector(".pager").hidden = state.offset === 0 && last >= state.total; // one page
    const marked = state.items.find((d) => d.id === state.marked);
    if (marked) notice.innerHTML = markedNotice(marked); // it follows what was done to the device
  }

  // Show the device a link names (on its page of the unfiltered list), marked, its first action focused.
  async function open(wanted) {
    const found = wanted ? await locate(wanted) : null;
    if (found) {
      state.marked = wanted;
      state.offset = Math.floor(found.index / PAGE) * PAGE;
    }
    await load();
    if (wanted && !found) {
      notice.innerHTML = `<p class="warning" data-testid="missing" role="alert">There is no device <code>${esc(wanted)}</code>
        (any more): it may have been deleted.</p>`;
    }
    const row = found && list.querySelector(`tr[data-device="${CSS.escape(wanted)}"]`);
    if (row) {
      row.scrollIntoView({ block: "center" });
      row.querySelector("button").focus();
    }
  }

  return {
    state,
    load,
    open,
    refresh: () => load().catch(showError),
    search(q) {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => { state.q = q.trim(); state.offset = 0; load().catch(showError); }, SEARCH_DELAY_MS);
    },
    stop: () => clearTimeout(searchTimer),
  };
}

// Where a device is in the whole list (in the server's order), as {index, device}; null if gone.
async function locate(id) {
  for (let offset = 0; ; offset += 500) {
    const answer = await devices(`admin/devices?limit=500&offset=${offset}`);
    const at = answer.items.findIndex((d) => d.id === id);
    if (at >= 0) return { index: offset + at, device: answer.items[at] };
    if (offset + answer.items.length >= answer.total || !answer.items.length) return null;
  }
}

function markedNotice(device) {
  const what = {
    pending: "waits for approval: approve it below if you know it, or revoke it.",
    active: "is approved and may report.",
    revoked: "is revoked: its reports are refused.",
  }[device.status] || "";
  return `<p class="warning" data-testid="marked-notice" role="status">The device <strong>${esc(device.displayName)}</strong> ${what}</p>`;
}

function deviceTable(state) {
  if (!state.items.length) {
    const filtered = state.status || state.q;
    return `<p class="muted" data-testid="no-devices">${filtered ? "No device matches." : `No devices yet. A device appears here
      (pending) when it first reports with a key that has the <code>device</code> preset, or when you add it below.`}</p>`;
  }
  const rows = state.items.map((d) => `<tr data-device="${esc(d.id)}" data-status="${esc(d.status)}"${d.id === state.marked ? ` class="marked" aria-current="true"` : ""}>
      ${cell("Name", `<strong data-testid="name">${esc(d.displayName)}</strong>${d.pinToTop ? ` <span class="badge" data-testid="pinned">pinned</span>` : ""}
        <div class="muted small">${esc([d.deviceType, d.id].filter(Boolean).join(" · "))}</div>`)}
      ${cell("Status", `<span class="state state-${esc(d.status)}">${esc(d.status)}</span>`)}
      ${cell("Key", keyLabel(d, state.keys))}
      ${cell("Device key", `<code title="generatedHashKey">${esc(shortKey(d.generatedHashKey))}</code>`)}
      ${cell("Last seen", esc(when(d.lastSeenAt, "never")))}
      ${cell("Battery", esc(batteryText(d)))}
      <td class="actions">${actions(d)}</td></tr>`);
  return `<table class="keys devices" data-testid="devices-table"><thead><tr><th>name</th><th>status</th><th>key</th>
    <th>device key</th><th>last seen</th><th>battery</th><th><span class="visually-hidden">actions</span></th></tr></thead>
    <tbody>${rows.join("")}</tbody></table>`;
}

// A cell that, on a narrow screen, shows its column's name beside its value (one grid item).
const cell = (label, html) => `<td data-label="${label}"><div>${html}</div></td>`;

const shortKey = (key) => (key && key.length > SHOWN_KEY_CHARS ? `${key.slice(0, SHOWN_KEY_CHARS)}…` : key || "");

function batteryText(d) {
  if (d.batteryPercent === null && d.charging === null) return "—";
  return [d.batteryPercent !== null ? `${d.batteryPercent}%` : null, d.charging ? "charging" : null].filter(Boolean).join(", ") || "not charging";
}

// A scope's bucket glob as a pattern: `*` is any run of characters, the rest is literal.
const globPattern = (glob) => new RegExp(`^${glob.split("*").map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, "\\$&")).join(".*")}$`, "s");

// Whether a key may add to the device's buckets: a report needs append on all three.
function mayReport(key, deviceId) {
  if (key.scopes.includes("admin")) return true;
  const patterns = key.scopes.filter((s) => /^(append|write):/.test(s)).map((s) => globPattern(s.slice(s.indexOf(":") + 1)));
  return WAKEN_BUCKETS.every((prefix) => patterns.some((pattern) => pattern.test(prefix + deviceId)));
}

function keyProblem(key, deviceId) {
  if (!key.enabled) return "revoked";
  if (key.expires && Date.parse(key.expires) <= Date.now()) return "expired";
  return deviceId && !mayReport(key, deviceId) ? "may not report" : "";
}

function keyLabel(d, keys) {
  if (d.apiTokenId === null) return `<span class="muted" data-testid="key">none</span>`;
  const key = keys.find((k) => k.id === d.apiTokenId);
  if (!key) return `<span class="state-revoked" data-testid="key">key ${esc(d.apiTokenId)} (deleted)</span>`;
  const problem = keyProblem(key, d.id);
  return `<span data-testid="key">${esc(key.name)} <code>${esc(key.prefix)}…</code></span>${problem
    ? ` <span class="state-revoked" data-testid="key-problem">(${problem})</span>` : ""}`;
}

function actions(d) {
  const name = esc(d.displayName);
  const status = {
    pending: `<button type="button" class="primary" data-action="approve" aria-label="Approve ${name}">Approve</button>`,
    active: `<button type="button" class="danger" data-action="revoke" aria-label="Revoke ${name}">Revoke…</button>`,
    revoked: `<button type="button" data-action="approve" aria-label="Approve ${name} again">Approve again</button>`,
  }[d.status] || "";
  return `${status}
    <button type="button" data-action="pin" aria-pressed="${d.pinToTop}" aria-label="Pin ${name} to the top">${d.pinToTop ? "Unpin" : "Pin"}</button>
    <button type="button" data-action="edit" aria-label="Edit ${name}">Edit…</button>
    <button type="button" class="danger" data-action="delete" aria-label="Delete ${name}">Delete…</button>`;
}

function keyOptions(keys, selected, deviceId, none) {
  const options = keys.map((k) => {
    const problem = keyProblem(k, deviceId);
    return `<option value="${k.id}" ${k.id === selected ? "selected" : ""}>${esc(k.name)} (${esc(k.prefix)}…)${problem ? ` — ${problem}` : ""}</option>`;
  });
  return `<option value="" ${selected === null ? "selected" : ""}>${esc(none)}</option>${options.join("")}`;
}

const keyId = (value) => (value === "" ? null : Number(value));

function dialogs() {
  return `<dialog data-testid="confirm"><form method="dialog">
      <p data-testid="confirm-text"></p>
      <div class="controls"><button value="cancel">Cancel</button><button value="confirm" class="danger" data-testid="confirm-action"></button></div>
    </form></dialog>
    <dialog data-testid="edit" aria-labelledby="edit-title"><form class="stack" data-testid="edit-form" novalidate>
      <h2 id="edit-title"></h2>
      <p class="warning" data-testid="edit-why" hidden></p>
      <label>Name <input type="text" name="displayName" required maxlength="128" autocomplete="off"></label>
      <label>Bound to the key <select name="apiTokenId"></select></label>
      <p class="muted help">The device's reports must come with this key; reports with another key are refused. A device
        can be active only while bound to a key.</p>
      <label class="option"><input type="checkbox" name="pinToTop"> <span>Pin to the top of the Live page</span></label>
      <label>Device key (<code>generatedHashKey</code>, what the reporter sends)
        <input type="text" name="hashKey" readonly class="code" data-testid="edit-hash"></label>
      <p class="field-error" data-testid="edit-error" role="alert" hidden></p>
      <div class="controls"><button type="button" data-close>Cancel</button><button type="submit" class="primary" data-testid="edit-save">Save</button></div>
    </form></dialog>`;
}

function wireFilters(registry, page) {
  const form = registry.querySelector("[data-testid=device-filters]");
  form.addEventListener("submit", (event) => event.preventDefault());
  form.status.addEventListener("change", () => { page.state.status = form.status.value; page.state.offset = 0; page.refresh(); });
  form.q.addEventListener("input", () => page.search(form.q.value));
  registry.querySelector("[data-testid=refresh]").addEventListener("click", page.refresh);
  registry.querySelectorAll("[data-step]").forEach((button) => button.addEventListener("click", () => {
    page.state.offset = Math.max(0, page.state.offset + Number(button.dataset.step) * PAGE);
    page.refresh();
  }));
}

const CONFIRM = {
  revoke: (d) => [`Revoke <strong>${esc(d.displayName)}</strong>? Its reports are refused from now on and it leaves the Live page;
    you can approve it again later.`, "Revoke"],
  delete: (d) => [`Delete <strong>${esc(d.displayName)}</strong>? Its events stay in its buckets. If it reports again it comes
    back as a new device waiting for approval.`, "Delete"],
};

function wireRows(root, page) {
  const list = root.querySelector("[data-testid=device-list]");
  const confirm = root.querySelector("dialog[data-testid=confirm]");
  const editor = deviceEditor(root, page);
  let pending = null;
  // Change a device, show the list again, and keep the keyboard where it was.
  const run = async (device, change) => {
    try {
      await change();
      await page.load();
    } catch (error) {
      showError(error);
      return;
    }
    const row = list.querySelector(`tr[data-device="${CSS.escape(device.id)}"]`);
    (row ? row.querySelector("button") : list).focus();
  };
  const patch = (device, body) => devices(`admin/devices/${encodeURIComponent(device.id)}`, { method: "PATCH", body });
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const device = page.state.items.find((d) => d.id === button.closest("tr").dataset.device);
    const action = button.dataset.action;
    if (action === "approve" && device.apiTokenId !== null) run(device, () => patch(device, { status: "active" }));
    else if (action === "approve") editor.open(device, true);
    else if (action === "pin") run(device, () => patch(device, { pinToTop: !device.pinToTop }));
    else if (action === "edit") editor.open(device, false);
    else {
      const [text, verb] = CONFIRM[action](device);
      pending = [action, device];
      confirm.querySelector("[data-testid=confirm-text]").innerHTML = text;
      confirm.querySelector("[data-testid=confirm-action]").textContent = verb;
      confirm.returnValue = "";
      confirm.showModal();
    }
  });
  confirm.addEventListener("close", () => {
    const [action, device] = pending || [];
    pending = null;
    if (confirm.returnValue !== "confirm" || !device) return;
    if (action === "revoke") run(device, () => patch(device, { status: "revoked" }));
    else run(device, () => devices(`admin/devices/${encodeURIComponent(device.id)}`, { method: "DELETE" }));
  });
}

// The edit form: name, key, pin. Approving a device without a key opens it to choose one: both
// are saved in one change, since an active device needs its key.
function deviceEditor(root, page) {
  const dialog = root.querySelector("dialog[data-testid=edit]");
  const form = dialog.querySelector("form");
  const problem = dialog.querySelector("[data-testid=edit-error]");
  const why = dialog.querySelector("[data-testid=edit-why]");
  const say = (text) => { problem.textContent = text; problem.hidden = !text; };
  let device = null;
  let approving = false;
  form.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.displayName.value.trim();
    if (!name) { say("Enter a name."); form.displayName.focus(); return; }
    const body = {};
    if (name !== device.displayName) body.displayName = name;
    const key = keyId(form.apiTokenId.value);
    if (key !== device.apiTokenId) body.apiTokenId = key;
    if (form.pinToTop.checked !== device.pinToTop) body.pinToTop = form.pinToTop.checked;
    if (approving) {
      if (key === null) { say("Choose the key this device reports with."); form.apiTokenId.focus(); return; }
      body.status = "active";
    }
    try {
      if (Object.keys(body).length) await devices(`admin/devices/${encodeURIComponent(device.id)}`, { method: "PATCH", body });
      await page.load();
    } catch (error) {
      say(error.message);
      return;
    }
    const id = device.id;
    dialog.close();
    const row = root.querySelector(`tr[data-device="${CSS.escape(id)}"]`);
    if (row) row.querySelector("button").focus();
  });
  return {
    open(chosen, approve) {
      device = chosen;
      approving = approve;
      say("");
      dialog.querySelector("#edit-title").textContent = approve ? `Approve ${chosen.displayName}` : `Edit ${chosen.displayName}`;
      why.textContent = approve ? "This device is bound to no key, and a device can be active only while bound to the key it reports with: choose it." : "";
      why.hidden = !approve;
      form.displayName.value = chosen.displayName;
      form.apiTokenId.innerHTML = keyOptions(page.state.keys, chosen.apiTokenId, chosen.id, "No key");
      form.pinToTop.checked = chosen.pinToTop;
      form.hashKey.value = chosen.generatedHashKey || "";
      form.querySelector("[data-testid=edit-save]").textContent = approve ? "Approve" : "Save";
      dialog.showModal();
      (approve ? form.apiTokenId : form.displayName).focus();
    },
  };
}

function addForm(keys) {
  return `<form data-testid="add-form" class="stack" novalidate>
    <label>Name <input type="text" name="displayName" required maxlength="128" placeholder="Ann's phone" autocomplete="off"></label>
    <label>Device key (optional) <input type="text" name="generatedHashKey" minlength="8" maxlength="128" autocomplete="off"
      spellcheck="false" aria-describedby="hash-help"></label>
    <p id="hash-help" class="muted help">The <code>generatedHashKey</code> its reporter sends, 8 to 128 characters: enter the one
      the reporter made, or leave it empty and the server makes one for you to give the reporter.</p>
    <label>Bound to the key <select name="apiTokenId">${keyOptions(keys, null, null, "None: the device waits for approval")}</select></label>
    <p class="muted help">With a key the device is active at once. A key with the <code>device</code> preset
      (<a href="#/access?preset=device">create one</a>) may add to every device's buckets.</p>
    <p class="field-error" data-testid="add-error" role="alert" hidden></p>
    <div class="controls"><button class="primary" type="submit">Add device</button></div>
  </form>`;
}

function wireAdd(root, page) {
  const form = root.querySelector("[data-testid=add-form]");
  const problem = form.querySelector("[data-testid=add-error]");
  const say = (text) => { problem.textContent = text; problem.hidden = !text; };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { displayName: form.displayName.value.trim() };
    const hashKey = form.generatedHashKey.value.trim();
    if (!body.displayName) { say("Enter a name."); form.displayName.focus(); return; }
    if (hashKey && (hashKey.length < 8 || hashKey.length > 128)) {
      say("A device key has 8 to 128 characters (or leave it empty).");
      form.generatedHashKey.focus();
      return;
    }
    if (hashKey) body.generatedHashKey = hashKey;
    const key = keyId(form.apiTokenId.value);
    if (key !== null) body.apiTokenId = key;
    let added;
    try {
      added = await devices("admin/devices", { method: "POST", body });
    } catch (error) {
      say(error.message);
      return;
    }
    say("");
    form.reset();
    showAdded(root.querySelector("[data-testid=added-slot]"), added);
    await page.load().catch(showError);
  });
}

function showAdded(slot, device) {
  slot.innerHTML = `<section class="panel created section" data-testid="added" tabindex="-1" aria-labelledby="added-title">
    <h2 id="added-title">Device “${esc(device.displayName)}” added (${esc(device.status)})</h2>
    <p>Its reporter sends this device key as <code>generatedHashKey</code>${device.apiTokenId === null
      ? "; approve the device once you have bound it to the key the reporter uses" : ", with the key it is bound to"}.</p>
    <label for="added-hash">Device key</label>
    <div class="copy-row"><input id="added-hash" class="code" data-testid="added-hash" readonly value="${esc(device.generatedHashKey)}">
      <button type="button" data-copy>Copy</button></div>
    <div class="controls"><button type="button" data-testid="added-done">Done</button><span role="status" data-testid="copied"></span></div>
  </section>`;
  const panel = slot.firstElementChild;
  panel.querySelector("[data-copy]").addEventListener("click", async () => {
    const said = panel.querySelector("[data-testid=copied]");
    said.textContent = (await copyText(panel.querySelector("#added-hash"))) ? "Copied." : "Selected: press Ctrl+C (⌘C) to copy.";
    said.className = "ok";
  });
  panel.querySelector("[data-testid=added-done]").addEventListener("click", () => { slot.innerHTML = ""; });
  panel.focus();
}
