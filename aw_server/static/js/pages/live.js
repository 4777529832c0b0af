// What every device is doing now: a card per device with a current status (the app and window in
// front, what it plays, its battery, when it last reported), then the recent activity and the
// top apps. Loaded from GET /api/activity, then kept current by the server's event stream: the
// server pushes the feed whenever a report or a device change commits.
import { devices, liveStreamUrl } from "../api.js";
import { barList } from "../charts.js";
import { clock, nowPlaying, progress } from "../media.js";
import { duration, esc, localDate, localTime } from "../util.js";
import { showError } from "../ui.js";

const FIRST_RETRY_MS = 2_000;
const LAST_RETRY_MS = 30_000;
const STATES = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  offline: "offline, trying again soon",
};

export async function render(root) {
  let feed;
  try {
    feed = await devices("activity");
  } catch (error) {
    if (error.status !== 403) throw error;
    root.innerHTML = `<h1>Live</h1>${mayNotRead(error)}`;
    return null;
  }
  root.innerHTML = `<div class="page-head"><h1>Live</h1>
      <span class="live-state" data-testid="live-state" data-state="connecting" role="status">${STATES.connecting}</span></div>
    <p class="muted">What each device reports now, updated as the reports arrive. Devices are added and approved on the
      <a href="#/devices">Devices</a> page.</p>
    <div class="cards" data-testid="live-cards"></div>
    ${noDevices()}
    <div class="grid section">
      <section class="panel"><h2>Recent activity</h2><div data-testid="recent"></div></section>
      <section class="panel"><h2>Top apps</h2><p class="muted" data-testid="window-note"></p><div data-testid="top-apps"></div></section>
    </div>`;
  const view = liveView(root);
  view.show(feed);
  const indicator = root.querySelector("[data-testid=live-state]");
  const stop = follow(view.show, (state) => {
    indicator.dataset.state = state;
    indicator.textContent = STATES[state];
  });
  const timer = setInterval(view.tick, 1000);
  return () => {
    stop();
    clearInterval(timer);
  };
}

// Keep the view current from the event stream. EventSource reconnects by itself after a dropped
// connection or the stream's end; an answer that is not a stream (a refused key, too many open
// streams) closes it for good, so the feed is asked why and the stream opened again later.
function follow(show, setState) {
  let source = null;
  let timer = null;
  let delay = FIRST_RETRY_MS;
  let stopped = false;
  const open = () => {
    setState("connecting");
    source = new EventSource(liveStreamUrl());
    source.addEventListener("open", () => { delay = FIRST_RETRY_MS; setState("live"); });
    source.addEventListener("activity", (event) => {
      const body = JSON.parse(event.data);
      if (body && body.success) show(body.data);
      setState("live");
    });
    source.addEventListener("error", () => {
      if (stopped) return;
      if (source.readyState !== EventSource.CLOSED) { setState("reconnecting"); return; }
      setState("offline");
      timer = setTimeout(retry, delay);
      delay = Math.min(delay * 2, LAST_RETRY_MS);
    });
  };
  const retry = async () => {
    let feed = null;
    try {
      feed = await devices("activity");
    } catch (error) {
      if (stopped) return;
      if (error.needsKey) { showError(error); return; } // the key form replaces this page
      if (error.status) showError(error); // a refusal, said; an unreachable server is just offline
    }
    if (stopped) return;
    if (feed) show(feed);
    open();
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (source) source.close();
  };
}

// The cards, the recent activity and the top apps. A card is redrawn only when its status
// changed (a reader's place and the images stay put); the times and the media progress tick.
function liveView(root) {
  const cards = root.querySelector("[data-testid=live-cards]");
  const empty = root.querySelector("[data-testid=no-devices]");
  const shown = new Map(); // device id -> {item, media, json, element}
  let feed = null;
  let skew = 0; // server clock minus this browser's: times are compared on the server's clock
  const serverNow = () => Date.now() + skew;
  const current = (item) =>
    item.pushMode === "active" || Date.parse(item.updatedAt) + feed.processStaleSeconds * 1000 >= serverNow();

  function drawCards() {
    const items = feed.activeStatuses.filter(current);
    const ids = new Set(items.map((item) => item.deviceId));
    for (const [id, card] of shown) {
      if (!ids.has(id)) { card.element.remove(); shown.delete(id); }
    }
    items.forEach((item, index) => {
      const json = JSON.stringify(item);
      let card = shown.get(item.deviceId);
      if (!card || card.json !== json) {
        const media = nowPlaying(item);
        const template = document.createElement("template");
        template.innerHTML = cardHtml(item, media);
        const fresh = template.content.firstElementChild;
        if (card) card.element.replaceWith(fresh);
        card = { item, media, json, element: fresh };
        shown.set(item.deviceId, card);
      }
      if (cards.children[index] !== card.element) cards.insertBefore(card.element, cards.children[index] || null);
    });
    empty.hidden = items.length > 0;
  }

  function tick() {
    if (!feed) return;
    const now = serverNow();
    if (feed.activeStatuses.some((item) => shown.has(item.deviceId) && !current(item))) drawCards();
    for (const { item, media, element } of shown.values()) {
      element.querySelector("[data-testid=seen]").textContent = seen(item, now);
      if (media) drawProgress(element, media, Date.parse(item.updatedAt), now);
    }
  }

  function show(next) {
    feed = next;
    skew = Date.parse(next.generatedAt) - Date.now();
    drawCards();
    root.querySelector("[data-testid=recent]").innerHTML = recentList(next.recentActivities);
    root.querySelector("[data-testid=top-apps]").innerHTML = barList(
      next.recentTopApps.map((app) => ({ label: app.processName, seconds: app.seconds })), { testid: "top-apps-list" });
    root.querySelector("[data-testid=window-note]").textContent = `The last ${duration(next.historyWindowMinutes * 60)}, all devices.`;
    tick();
  }

  return { show, tick };
}

function cardHtml(item, media) {
  const meta = item.metadata || {};
  const type = typeof meta.deviceType === "string" ? meta.deviceType : null;
  return `<article class="panel device-card" data-testid="device-card" data-device="${esc(item.deviceId)}" aria-labelledby="card-${esc(item.deviceId)}">
    <div class="card-head">
      <h2 id="card-${esc(item.deviceId)}" data-testid="device-name">${esc(item.device)}</h2>
      ${type ? `<span class="badge" data-testid="device-type">${esc(type)}</span>` : ""}
      ${battery(meta.deviceBatteryPercent, meta.deviceBatteryCharging)}
    </div>
    <p class="now"><strong data-testid="app">${esc(item.processName)}</strong></p>
    ${item.processTitle ? `<p class="window-title" data-testid="window-title">${esc(item.processTitle)}</p>` : ""}
    ${media ? mediaHtml(media) : ""}
    <p class="muted seen" data-testid="seen"></p>
  </article>`;
}

function battery(percent, charging) {
  if (typeof percent !== "number" && typeof charging !== "boolean") return "";
  const level = typeof percent === "number" ? Math.min(Math.max(percent, 0), 100) : null;
  const words = [level !== null ? `${level}%` : null, charging ? "charging" : null].filter(Boolean).join(", ");
  const low = level !== null && level <= 20 && !charging ? " low" : "";
  const fill = level !== null ? `<rect x="2" y="2" width="${(16 * level) / 100}" height="6" rx="1" class="battery-level"></rect>` : "";
  const bolt = charging ? `<path d="M11 1 7 6h3l-2 4 5-6h-3z" class="battery-bolt"></path>` : "";
  return `<span class="battery${low}" data-testid="battery" data-percent="${level ?? ""}" data-charging="${charging === true}">
    <svg width="24" height="11" viewBox="0 0 24 11" role="img" aria-label="Battery"><rect x="0.5" y="0.5" width="19" height="9" rx="2" class="battery-shell"></rect>
      <rect x="20" y="3" width="2.5" height="4" rx="1" class="battery-tip"></rect>${fill}${bolt}</svg>
    <span>${esc(words)}</span></span>`;
}

function mediaHtml(media) {
  const cover = media.coverUrl
    ? `<img class="cover" data-testid="cover" src="${esc(media.coverUrl)}" alt="Cover of ${esc(media.title)}" width="64" height="64">`
    : `<div class="cover cover-none" aria-hidden="true">♪</div>`;
  const icon = media.appIconUrl ? `<img class="app-icon" data-testid="app-icon" src="${esc(media.appIconUrl)}" alt="" width="16" height="16">` : "";
  const by = [media.artist, media.album].filter(Boolean).map(esc).join(" · ");
  const state = [media.status, media.source].filter(Boolean).map(esc).join(" · ");
  return `<div class="media" data-testid="media" data-status="${esc(media.status || "")}">
    ${cover}
    <div class="media-text">
      <p class="track">${icon}<span data-testid="track">${esc(media.title)}</span></p>
      ${by ? `<p class="muted" data-testid="artist">${by}</p>` : ""}
      <div class="progress" data-testid="progress" role="progressbar" aria-label="Position in ${esc(media.title)}" aria-valuemin="0" hidden>
        <div class="progress-fill"></div></div>
      <p class="muted small"><span data-testid="progress-text"></span>${state ? `<span class="media-state"> ${state}</span>` : ""}</p>
    </div>
  </div>`;
}

function drawProgress(card, media, reportedAt, now) {
  const bar = card.querySelector("[data-testid=progress]");
  const label = card.querySelector("[data-testid=progress-text]");
  const at = progress(media, reportedAt, now);
  bar.hidden = !at;
  label.textContent = at ? `${clock(at.positionMs)} / ${clock(at.durationMs)} ·` : "";
  if (!at) return;
  bar.setAttribute("aria-valuemax", String(Math.round(at.durationMs / 1000)));
  bar.setAttribute("aria-valuenow", String(Math.round(at.positionMs / 1000)));
  bar.setAttribute("aria-valuetext", `${clock(at.positionMs)} of ${clock(at.durationMs)}`);
  bar.dataset.position = String(at.positionMs);
  bar.dataset.at = String(now); // the moment (server clock) the position is for
  bar.firstElementChild.style.width = `${((100 * at.positionMs) / at.durationMs).toFixed(2)}%`;
}

// When the device last reported: a status in `active` push mode stays until the next report,
// so it says when that was; a `realtime` one says how long ago.
function seen(item, now) {
  const at = new Date(item.lastReportAt || item.updatedAt);
  if (item.pushMode === "active") {
    const day = localDate(at) === localDate(new Date(now)) ? "" : `${at.toLocaleDateString()} `;
    return `Last report at ${day}${localTime(at)}`;
  }
  const seconds = Math.max(0, Math.round((now - at.getTime()) / 1000));
  return seconds < 5 ? "Updated just now" : `Updated ${duration(seconds)} ago`;
}

// Newest first. Only a device's newest entry can be going on now: the feed marks every entry of
// the app in front as not ended, also those before a change of window title.
function recentList(items) {
  if (!items.length) return `<p class="muted">Nothing in this time.</p>`;
  const seen = new Set();
  const rows = items.map((item) => {
    const start = new Date(item.startedAt), end = new Date(item.updatedAt);
    const seconds = Math.max(0, (end - start) / 1000);
    const now = item.endedAt === null && !seen.has(item.deviceId);
    seen.add(item.deviceId);
    const span = now ? `${localTime(start)}–now` : `${localTime(start)}–${localTime(end)}`;
    return `<li data-testid="recent-item"><span class="muted nowrap">${span}</span>
      <strong>${esc(item.device)}</strong> · ${esc(item.processName)}${item.processTitle ? ` — ${esc(item.processTitle)}` : ""}
      <span class="muted nowrap">${duration(seconds)}</span></li>`;
  });
  return `<ol class="recent" data-testid="recent-list">${rows.join("")}</ol>`;
}

function mayNotRead(error) {
  return `<div class="empty" data-testid="may-not-read" role="alert">
    <p><strong>This API key may not see the devices.</strong> The live status needs a key that may read the devices'
    buckets (<code>read:waken-window_*</code>, or the <code>dashboard</code> preset); the key this browser sends may not.</p>
    <p class="muted">The server says: ${esc(error.message)}.</p>
    <p>Use another key on the <a href="#/access">Access</a> page (<em>Use another key…</em>).</p></div>`;
}

function noDevices() {
  const example = `curl -X POST ${location.origin}/api/activity \\
  -H "Authorization: Bearer <secret of a key with the device preset>" \\
  -H "Content-Type: application/json" \\
  -d '{"generatedHashKey": "my-phone-0001", "device": "My phone", "process_name": "Browser"}'`;
  return `<div class="empty" data-testid="no-devices" hidden>
    <p><strong>No device is reporting now.</strong> A card appears here as soon as an approved device reports; the page
      needs no reload.</p>
    <p>Devices report with Waken-Wa's reporters, or anything that can send JSON: create a key with the <code>device</code>
      preset on the <a href="#/access?preset=device">Access</a> page and give it to the reporter with this server's address.
      A new device's first report is held for approval on the <a href="#/devices">Devices</a> page. By hand:</p>
    <pre>${esc(example)}</pre></div>`;
}
