// The one place that talks to the server: every failure becomes an ApiError with the server's message.

export class ApiError extends Error {
  constructor(message, status = 0, type = null) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const options = { method, headers: {} };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(`/api/0/${path}`, options);
  } catch (error) {
    throw new ApiError(`Cannot reach the server (${error.message})`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!response.ok) {
    const message = (data && data.message) || response.statusText || `HTTP ${response.status}`;
    throw new ApiError(message, response.status, data && data.type);
  }
  return data;
}

export const get = (path) => api(path);
export const post = (path, body) => api(path, { method: "POST", body });
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
