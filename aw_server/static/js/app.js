// The shell: hash routing to the pages in ./pages/ (their shared helpers live in ./ui.js).
import { settings } from "./api.js";
import { applyTheme, showError } from "./ui.js";
import * as activity from "./pages/activity.js";
import * as timeline from "./pages/timeline.js";
import * as buckets from "./pages/buckets.js";
import * as bucket from "./pages/bucket.js";
import * as queryPage from "./pages/query.js";
import * as settingsPage from "./pages/settings.js";

const routes = [
  [/^\/activity$/, activity],
  [/^\/timeline$/, timeline],
  [/^\/buckets$/, buckets],
  [/^\/buckets\/(.+)$/, bucket],
  [/^\/query$/, queryPage],
  [/^\/settings$/, settingsPage],
];

let cleanup = null;

function parseHash() {
  const hash = location.hash.replace(/^#/, "") || "/activity";
  const [path, search = ""] = hash.split("?");
  return { path, params: new URLSearchParams(search) };
}

async function route() {
  const { path, params } = parseHash();
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  showError(null);
  const main = document.getElementById("main");
  const match = routes.find(([pattern]) => pattern.test(path));
  const page = match ? match[1] : null;
  document.querySelectorAll("nav a").forEach((a) => {
    const current = path.startsWith(`/${a.dataset.page}`);
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  if (!page) {
    main.innerHTML = `<h1>Not found</h1><p>There is no page <code>${path.replace(/[<>&]/g, "")}</code>. <a href="#/activity">Go to Activity</a>.</p>`;
    return;
  }
  const args = path.match(match[0]).slice(1).map(decodeURIComponent);
  main.innerHTML = `<p class="muted">Loading…</p>`;
  try {
    cleanup = (await page.render(main, params, ...args)) || null;
  } catch (error) {
    main.innerHTML = "";
    showError(error);
  }
}

settings().then((prefs) => applyTheme(prefs.theme)).catch(() => {});
window.addEventListener("hashchange", route);
window.addEventListener("unhandledrejection", (event) => showError(event.reason));
route();
