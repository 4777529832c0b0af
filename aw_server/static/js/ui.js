// Helpers that every page shares: the error banner, navigation, the theme. Pages import this,
// never app.js, so imports run one way: app.js -> pages -> ui/util/api.
import { ApiError } from "./api.js";

export function showError(error) {
  const banner = document.getElementById("error");
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
