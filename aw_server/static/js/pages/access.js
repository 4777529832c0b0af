// API keys: the list, a new key (its secret shown once, with an integration bundle), revoke,
// re-enable, delete; and which key this browser sends.
import { del, forgetKey, get, patch, post, storedKey } from "../api.js";
import { esc } from "../util.js";
import { askForKey, copyText, keyChanged, showError } from "../ui.js";
import { PRESET as WAKATIME, configLines } from "../wakatime.js";

// The server's presets (aw_server/auth/scopes.py PRESETS; a test checks that they agree), with
// what each is for.
const PRESETS = [
  ["dashboard", ["read:*"], "reads every bucket: a dashboard or a report on another machine"],
  ["watcher", ["append:*"], "creates buckets and adds events anywhere: ActivityWatch watchers"],
  ["wakatime", ["append:aw-watcher-wakatime_*", "read:aw-watcher-wakatime_*"], "editor plugins that speak the WakaTime API"],
  ["device", ["append:waken-*"], "a device reporter (phone, tablet) adding to its own buckets"],
  ["full", ["admin"], "everything, keys and settings included"],
];

const when = (iso, none) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" }) : none);
const chips = (scopes) => scopes.map((s) => `<code class="chip">${esc(s)}</code>`).join(" ");

function status(key) {
  if (!key.enabled) return "revoked";
  return key.expires && Date.parse(key.expires) <= Date.now() ? "expired" : "active";
}

// What reporters need to reach this server, in one string: its base URL (each reporter adds its
// own path, /api/0/… for watchers), the key and its name; base64 of compact UTF-8 JSON.
function integrationBundle(secret, name) {
  const json = JSON.stringify({ version: 1, endpoint: location.origin, apiKey: secret, name });
  return btoa(String.fromCharCode(...new TextEncoder().encode(json)));
}

export async function render(root, params) {
  root.innerHTML = `<h1>Access</h1>
    <p class="muted">API keys let watchers, other devices and scripts use this server, each limited to what it needs.
      Requests from the server's own machine need no key unless the server runs with <code>--auth required</code>.</p>
    <section class="panel" data-testid="this-browser">${thisBrowser()}</section>
    <div data-testid="created-slot"></div>
    <section data-testid="keys" class="section"><p class="muted">Loading…</p></section>
    <dialog data-testid="confirm"><form method="dialog">
      <p data-testid="confirm-text"></p>
      <div class="controls"><button value="cancel">Cancel</button><button value="confirm" class="danger" data-testid="confirm-action"></button></div>
    </form></dialog>`;
  wireThisBrowser(root);
  let keys;
  try {
    keys = await get("keys");
  } catch (error) {
    if (error.status !== 403) throw error;
    root.querySelector("[data-testid=keys]").innerHTML = notAdmin(error);
    root.querySelector("[data-testid=other-key]").focus();
    return null;
  }
  const section = root.querySelector("[data-testid=keys]");
  section.innerHTML = `<h2>Keys</h2><div class="panel" data-testid="key-list"></div>
    <section class="panel section" aria-labelledby="create-title"><h2 id="create-title">Create a key</h2>${createForm()}</section>`;
  const list = section.querySelector("[data-testid=key-list]");
  const show = (current) => { keys = current; list.innerHTML = keyTable(keys); };
  const reload = async () => show(await get("keys"));
  show(keys);
  wireActions(root, list, () => keys, reload);
  const form = section.querySelector("[data-testid=create-form]");
  wireCreate(root, form, reload);
  preselect(form, params);
  return null;
}

// Names offered for a key that a link asks for by its preset.
const SUGGESTED_NAMES = { [WAKATIME]: "editor plugins", device: "devices" };

// A link may ask for a key of one preset (`#/access?preset=wakatime`, from the Coding page): the
// form starts with that preset and a name, focused, so Enter creates the key.
function preselect(form, params) {
  const preset = params ? params.get("preset") : null;
  const radio = [...form.querySelectorAll("input[name=preset]")].find((r) => r.value && r.value === preset);
  if (!radio) return;
  radio.checked = true;
  if (!form.key_name.value) form.key_name.value = SUGGESTED_NAMES[preset] || "";
  form.dispatchEvent(new Event("input")); // the scope preview follows
  form.key_name.focus();
  form.key_name.select();
}

// The start of this browser's key, never more of it than the server's listings show.
const ownStart = (key) => key.slice(0, Math.min(8, Math.floor(key.length / 2)));
const isOwn = (key) => Boolean(key.prefix) && storedKey().startsWith(key.prefix);

function thisBrowser() {
  const key = storedKey();
  return key
    ? `<h2>This browser</h2><p>Sends the API key <code data-testid="own-prefix">${esc(ownStart(key))}…</code> with every request
        (kept in this browser's localStorage, shared with the <a href="/api/">API browser</a>).</p>
        <div class="controls"><button type="button" data-testid="forget-key">Forget key</button>
        <button type="button" data-testid="other-key">Use another key…</button></div>`
    : `<h2>This browser</h2><p>Sends no API key: the server lets this browser in as a local user.</p>
        <div class="controls"><button type="button" data-testid="other-key">Use a key…</button></div>`;
}

function wireThisBrowser(root) {
  const forget = root.querySelector("[data-testid=forget-key]");
  if (forget) forget.addEventListener("click", () => { forgetKey(); keyChanged(); });
  root.querySelector("[data-testid=other-key]").addEventListener("click", () => askForKey());
}

function notAdmin(error) {
  return `<div class="empty" data-testid="not-admin" role="alert">
    <p><strong>This API key may not manage keys.</strong> Listing, creating and revoking keys needs a key with the
    <code>admin</code> scope (preset <code>full</code>); the key this browser sends does not have it.</p>
    <p class="muted">The server says: ${esc(error.message)}.</p>
    <p>Use an admin key (above: <em>Use another key…</em>), or manage keys on the server's machine with
    <code>aw-server keys list</code>.</p></div>`;
}

// A cell that, on a narrow screen, shows its column's name beside its value (one grid item).
const cell = (label, html) => `<td data-label="${label}"><div>${html}</div></td>`;

function keyTable(keys) {
  if (!keys.length) {
    return `<p class="muted" data-testid="no-keys">No keys yet. Requests from other machines are refused until you create one.</p>`;
  }
  const rows = keys.map((k) => {
    const state = status(k);
    return `<tr data-key="${k.id}" data-status="${state}">
      ${cell("Name", `<strong>${esc(k.name)}</strong>${isOwn(k) ? ` <span class="muted">(this browser)</span>` : ""}`)}
      ${cell("Key", `<code>${esc(k.prefix)}…</code>`)}
      ${cell("Scopes", chips(k.scopes))}
      ${cell("Preset", k.preset ? esc(k.preset) : `<span class="muted">—</span>`)}
      ${cell("Status", `<span class="state state-${state}">${state}</span>`)}
      ${cell("Created", esc(when(k.created, "")))}
      ${cell("Expires", esc(when(k.expires, "never")))}
      ${cell("Last used", esc(when(k.last_used, "never")))}
      ${cell("Rate limit", k.rate_limit ? `${k.rate_limit}/min` : `<span class="muted">default</span>`)}
      <td class="actions">${k.enabled
        ? `<button type="button" class="danger" data-action="revoke" aria-label="Revoke key ${esc(k.name)}">Revoke…</button>`
        : `<button type="button" data-action="enable" aria-label="Re-enable key ${esc(k.name)}">Re-enable</button>`}
        <button type="button" class="danger" data-action="delete" aria-label="Delete key ${esc(k.name)}">Delete…</button></td></tr>`;
  });
  return `<table class="keys" data-testid="keys-table"><thead><tr><th>name</th><th>key</th><th>scopes</th><th>preset</th><th>status</th>
    <th>created</th><th>expires</th><th>last used</th><th>rate limit</th><th><span class="visually-hidden">actions</span></th></tr></thead>
    <tbody>${rows.join("")}</tbody></table>`;
}

const CONFIRM = {
  revoke: (k, own) => [`Revoke <strong>${esc(k.name)}</strong> (${esc(k.prefix)}…)? Requests with it are refused at once; you can re-enable it later.${own
    ? " <strong>This browser uses this key</strong>: you will need another one." : ""}`, "Revoke"],
  delete: (k, own) => [`Delete <strong>${esc(k.name)}</strong> (${esc(k.prefix)}…)? This cannot be undone: whoever uses it needs a new key.${own
    ? " <strong>This browser uses this key</strong>: you will need another one." : ""}`, "Delete"],
};

function wireActions(root, list, keys, reload) {
  const dialog = root.querySelector("dialog");
  let pending = null;
  const run = async (action, key) => {
    try {
      if (action === "delete") await del(`keys/${key.id}`);
      else await patch(`keys/${key.id}`, { enabled: action === "enable" });
      await reload();
      const row = list.querySelector(`tr[data-key="${key.id}"] button`);
      (row || list).focus();
    } catch (error) {
      showError(error);
    }
  };
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const key = keys().find((k) => String(k.id) === button.closest("tr").dataset.key);
    const action = button.dataset.action;
    if (action === "enable") { run(action, key); return; }
    const [text, verb] = CONFIRM[action](key, isOwn(key));
    pending = [action, key];
    dialog.querySelector("[data-testid=confirm-text]").innerHTML = text;
    dialog.querySelector("[data-testid=confirm-action]").textContent = verb;
    dialog.returnValue = "";
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    const [action, key] = pending || [];
    pending = null;
    if (dialog.returnValue === "confirm" && key) run(action, key);
  });
  list.tabIndex = -1;
}

function createForm() {
  const presets = PRESETS.map(([name, scopes, what]) => `<label class="option">
      <input type="radio" name="preset" value="${name}" data-scopes="${esc(scopes.join(" "))}">
      <span><strong>${name}</strong> ${chips(scopes)}<br><span class="muted">${esc(what)}</span></span></label>`).join("");
  return `<form data-testid="create-form" class="stack">
    <label>Name <input type="text" name="key_name" required maxlength="200" placeholder="laptop watchers" autocomplete="off"></label>
    <fieldset><legend>Preset</legend>
      <label class="option"><input type="radio" name="preset" value="" checked data-scopes="">
        <span><strong>none</strong><br><span class="muted">only the scopes below</span></span></label>
      ${presets}
    </fieldset>
    <label for="scopes">Scopes, one per line (added to the preset's)</label>
    <textarea id="scopes" name="scopes" class="code scopes" rows="3" spellcheck="false" aria-describedby="scope-help"
      placeholder="read:aw-watcher-window_*&#10;append:my-bucket"></textarea>
    <div id="scope-help" class="muted help">
      <p><code>read:&lt;glob&gt;</code> reads the matching buckets: events, exports, queries.
      <code>append:&lt;glob&gt;</code> creates them and adds events and heartbeats, but cannot change or delete anything.
      <code>write:&lt;glob&gt;</code> is append plus replacing and deleting events and updating, deleting and importing buckets.
      <code>admin</code> is everything: keys, settings, the server log.</p>
      <p>A glob is a bucket id in which <code>*</code> stands for any run of characters (no other character is special):
      <code>aw-watcher-window_*</code> is every host's window bucket, <code>*</code> every bucket.</p>
    </div>
    <p class="muted" data-testid="scope-preview" aria-live="polite"></p>
    <div class="controls">
      <label>Expires (optional) <input type="datetime-local" name="expires"></label>
      <label>Rate limit (optional) <input type="number" name="rate_limit" min="1" step="1" inputmode="numeric" class="short"> requests a minute</label>
    </div>
    <div class="controls"><button class="primary" type="submit">Create key</button></div>
  </form>`;
}

function requested(form) {
  const body = { name: form.key_name.value.trim() };
  if (form.preset.value) body.preset = form.preset.value;
  const scopes = form.scopes.value.split("\n").map((s) => s.trim()).filter(Boolean);
  if (scopes.length) body.scopes = scopes;
  if (form.expires.value) body.expires = new Date(form.expires.value).toISOString();
  if (form.rate_limit.value) body.rate_limit = Number(form.rate_limit.value);
  return body;
}

function wireCreate(root, form, reload) {
  const preview = form.querySelector("[data-testid=scope-preview]");
  const update = () => {
    const chosen = form.querySelector("input[name=preset]:checked").dataset.scopes.split(" ").filter(Boolean);
    const all = [...new Set([...chosen, ...form.scopes.value.split("\n").map((s) => s.trim()).filter(Boolean)])];
    preview.innerHTML = all.length ? `The key will have: ${chips(all)}` : "Choose a preset or enter scopes.";
  };
  form.addEventListener("input", update);
  update();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = requested(form);
    let created;
    try {
      created = await post("keys", body);
    } catch (error) {
      showError(error);
      return;
    }
    showError(null);
    form.reset();
    update();
    showCreated(root.querySelector("[data-testid=created-slot]"), created);
    await reload().catch(showError);
  });
}

// The secret, once: it is in this panel until "Done" and nowhere else (the server keeps its hash).
function showCreated(slot, key) {
  const bundle = integrationBundle(key.secret, key.name);
  slot.innerHTML = `<section class="panel created section" data-testid="created" tabindex="-1" aria-labelledby="created-title">
    <h2 id="created-title">Key “${esc(key.name)}” created</h2>
    <p class="warning" role="alert"><strong>Copy the secret now: it will not be shown again.</strong> The server keeps only its hash.</p>
    <label for="new-secret">Secret</label>
    <div class="copy-row"><input id="new-secret" class="code" data-testid="secret" readonly value="${esc(key.secret)}">
      <button type="button" data-copy="new-secret" data-what="secret">Copy secret</button></div>
    <label for="new-bundle">Integration bundle</label>
    <div class="copy-row"><textarea id="new-bundle" class="code bundle" data-testid="bundle" rows="3" readonly spellcheck="false">${esc(bundle)}</textarea>
      <button type="button" data-copy="new-bundle" data-what="bundle">Copy bundle</button></div>
    <p class="muted">For reporters that take one string: base64 of compact JSON with <code>version</code> 1, the server's
      address as <code>endpoint</code> (<code>${esc(location.origin)}</code>), the secret as <code>apiKey</code> and the key's
      <code>name</code>. aw-client and the watchers built on it take the secret as <code>api_key</code> under
      <code>[server]</code> in <code>aw-client.toml</code>.</p>
    ${key.preset === WAKATIME ? wakatimeLines(key.secret) : ""}
    <div class="controls"><button type="button" class="primary" data-testid="done">Done: hide the secret</button>
      <span role="status" data-testid="copied"></span></div>
  </section>`;
  const panel = slot.firstElementChild;
  const said = panel.querySelector("[data-testid=copied]");
  panel.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const field = panel.querySelector(`#${button.dataset.copy}`);
    said.textContent = (await copyText(field)) ? `Copied the ${button.dataset.what}.` : "Selected: press Ctrl+C (⌘C) to copy.";
    said.className = "ok";
  });
  panel.querySelectorAll("input, textarea").forEach((field) => field.addEventListener("focus", () => field.select()));
  panel.querySelector("[data-testid=done]").addEventListener("click", () => { slot.innerHTML = ""; });
  panel.focus();
}

// A WakaTime key's use, ready to paste: the lines of ~/.wakatime.cfg with its secret.
function wakatimeLines(secret) {
  return `<label for="new-cfg">For editor plugins, the lines of <code>~/.wakatime.cfg</code></label>
    <div class="copy-row"><textarea id="new-cfg" class="code cfg" data-testid="wakatime-cfg" rows="3" wrap="off" readonly
      spellcheck="false">${esc(configLines(secret))}</textarea>
      <button type="button" data-copy="new-cfg" data-what="lines">Copy lines</button></div>`;
}
