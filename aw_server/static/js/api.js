// The one place that talks to the server (/api/0, WakaTime's read API under /api/v1, the device
// API under /api): every failure becomes an ApiError with the server's message, and every
// request carries the API key kept in this browser (if any).

export class ApiError extends Error {
  constructor(message, status = 0, type = null, code = null, needsKey = false) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    // A 401 about the key (the server then says how to authenticate), not e.g. a bucket delete
    // without force, which the official servers also answer with 401.
    this.needsKey = needsKey;
  }
}

// Shared with the API browser (/api/), so one key serves both.
const KEY_STORAGE = "aw-api-key";

export function storedKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return ""; // storage disabled: work without a key
  }
}

export function storeKey(key) {
  localStorage.setItem(KEY_STORAGE, key.trim());
}

export function forgetKey() {
  localStorage.removeItem(KEY_STORAGE);
}

export function authHeaders(key = storedKey()) {
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function failure(response) {
  const text = await response.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = null; }
  // /api/0 says `message`; the device API keeps Waken-Wa's `error`
  const message = (data && (data.message || data.error)) || response.statusText || `HTTP ${response.status}`;
  const needsKey = response.status === 401 && response.headers.has("WWW-Authenticate");
  return new ApiError(message, response.status, data && data.type, data && data.code, needsKey);
}

async function send(url, options) {
  try {
    return await fetch(url, options);
  } catch (error) {
    throw new ApiError(`Cannot reach the server (${error.message})`);
  }
}

// The answer's JSON (its text if it is not JSON, null if empty); an ApiError for a failure.
async function call(url, options) {
  const response = await send(url, options);
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return text; }
}

export async function api(path, { method = "GET", body, key } = {}) {
  const options = { method, headers: authHeaders(key) };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  return call(`/api/0/${path}`, options);
}

// WakaTime's summaries of the days `start` to `end` (YYYY-MM-DD, both included), cut at the
// midnights of `timezone` (an IANA name; without one the server picks its own zone).
export function codingSummaries(start, end, timezone) {
  const params = new URLSearchParams({ start, end });
  if (timezone) params.set("timezone", timezone);
  return call(`/api/v1/users/current/summaries?${params}`, { headers: authHeaders() });
}

// The device API (Waken-Wa's shape): `{success: true, data}`, whose data is returned.
export async function devices(path, { method = "GET", body } = {}) {
  const options = { method, headers: authHeaders() };
  if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  const answer = await call(`/api/${path}`, options);
  return answer ? answer.data : null;
}

// The live feed's event stream. EventSource cannot send headers: the key rides in the query.
export function liveStreamUrl(key = storedKey()) {
  return `/api/activity/stream${key ? `?api_key=${encodeURIComponent(key)}` : ""}`;
}

// Whether the server accepts `key`: /info needs no scope, but a key sent with it is checked.
export const checkKey = (key) => api("info", { key });

// Save an API answer as a file. A link would do without a key, but a link cannot send one.
export async function download(path, fallbackName) {
  const response = await send(`/api/0/${path}`, { headers: authHeaders() });
  if (!response.ok) throw await failure(response);
  const disposition = response.headers.get("Content-Disposition") || "";
  const named = disposition.match(/filename\*=UTF-8''([^;]+)/i) || disposition.match(/filename="?([^";]+)"?/i);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = named ? decodeURIComponent(named[1]) : fallbackName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000); // after the download has started
}

export const get = (path) => api(path);
export const post = (path, body) => api(path, { method: "POST", body });
export const patch = (path, body) => api(path, { method: "PATCH", body });
export const del = (path) => api(path, { method: "DELETE" });
// A name lets the server answer periods that lie wholly in the past from its cache.
export const query = (lines, periods, name = null) =>
  post(name ? `query/?name=${encodeURIComponent(name)}` : "query/", { query: lines, timeperiods: periods });

export async function settings() {
  const values = await get("settings");
  return {
    startOfDay: typeof values.startOfDay === "string" ? values.startOfDay : "00:00",
    startOfWeek: typeof values.startOfWeek === "string" ? values.startOfWeek : "Monday",
    theme: typeof values.theme === "string" ? values.theme : "system",
    classes: Array.isArray(values.classes) ? values.classes : null,
  };
}

// The built-in category rules, shared with `aw-client report` (aw_core/default_classes.json).
// Fetched at most once per page load: they only change with the server.
let defaults = null;
export function defaultClasses() {
  if (!defaults) {
    defaults = fetch("/default-classes.json").then(async (response) => {
      if (!response.ok) throw new ApiError(`Cannot load the default categories (HTTP ${response.status})`, response.status);
      return response.json();
    });
    defaults.catch(() => { defaults = null; }); // a failed load is tried again next time
  }
  return defaults;
}

// The user's category rules, else the defaults.
export async function categoryClasses(prefs) {
  return prefs.classes || defaultClasses();
}
