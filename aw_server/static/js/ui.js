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

// Copy a field's value (or an element's text) and leave it selected. The clipboard API exists
// only in secure contexts (https, localhost); elsewhere the selection is copied the old way, or
// left selected for the user to copy. True if the text reached the clipboard.
export async function copyText(element) {
  const field = "value" in element;
  if (field) {
    element.focus();
    element.select();
  } else {
    getSelection().selectAllChildren(element);
  }
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(field ? element.value : element.textContent);
      return true;
    } catch {
      // permission refused: fall through to the selection
    }
  }
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}
