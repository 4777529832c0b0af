// Helpers that every page shares: the error banner, navigation, the theme. Pages import this,
// never app.js, so imports run one way: app.js -> pages -> ui/util/api.
import { ApiError } from "./api.js";

// The shell (app.js) listens for these: pages ask for a key or report a new one without
// importing the shell.
export const NEEDS_KEY = "aw:needs-key";
export const KEY_CHANGED = "aw:key-changed";

// Show the API key form instead of the page (with the server's refusal, if there was one).
export function askForKey(error = null) {
  window.dispatchEvent(new CustomEvent(NEEDS_KEY, { detail: error }));
}

// The key in this browser was set or forgotten: load the page again with it.
export function keyChanged() {
  window.dispatchEvent(new Event(KEY_CHANGED));
}

export function showError(error) {
  const banner = document.getElementById("error");
  if (error && error.needsKey) {
    askForKey(error);
    return;
  }
  if (!error) {
    banner.hidden = true;
    banner.textContent = "";
    return;
  }
  banner.textContent = error instanceof ApiError && error.status ? `Server error ${error.status}: ${error.message}` : String(error.message || error);
  banner.hidden = false;
}

export function applyTheme(theme) {
  document.documentElement.dataset.theme = theme || "system";
  localStorage.setItem("aw-theme", theme || "system");
}

export function navigate(path, params = {}) {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")).toString();
  location.hash = `#${path}${search ? "?" + search : ""}`;
}
