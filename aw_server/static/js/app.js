// The shell: hash routing to the pages in ./pages/ (their shared helpers live in ./ui.js).
import { download, settings, storedKey } from "./api.js";
import { applyTheme, showError, KEY_CHANGED, NEEDS_KEY } from "./ui.js";
import { renderLogin } from "./login.js";
import * as activity from "./pages/activity.js";
import * as timeline from "./pages/timeline.js";
import * as coding from "./pages/coding.js";
import * as buckets from "./pages/buckets.js";
import * as bucket from "./pages/bucket.js";
import * as queryPage from "./pages/query.js";
import * as settingsPage from "./pages/settings.js";
import * as access from "./pages/access.js";
import * as live from "./pages/live.js";
import * as devicesPage from "./pages/devices.js";

const routes = [
  [/^\/activity$/, activity],
  [/^\/timeline$/, timeline],
  [/^\/coding$/, coding],
  [/^\/buckets$/, buckets],
  [/^\/buckets\/(.+)$/, bucket],
  [/^\/query$/, queryPage],
  [/^\/settings$/, settingsPage],
  [/^\/access$/, access],
  [/^\/live$/, live],
  [/^\/devices$/, devicesPage],
];

let cleanup = null;
let asking = false; // the key form is up: further 401s of the same page load change nothing

function stopPage() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
}

function parseHash() {
  const hash = location.hash.replace(/^#/, "") || "/activity";
  const [path, search = ""] = hash.split("?");
  return { path, params: new URLSearchParams(search) };
}

async function route() {
  const { path, params } = parseHash();
  stopPage();
  asking = false;
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
    if (!(error && error.needsKey)) main.innerHTML = ""; // else the key form may be up already
    showError(error);
  }
}

// The page's 401 said the server wants a (different) key: ask for it instead of the page.
function askForKey(event) {
  if (asking && event.detail) return;
  asking = true;
  stopPage();
  showError(null);
  renderLogin(document.getElementById("main"), event.detail);
}

// The saved theme needs settings, which need a key where one is required: fetched again with a new key.
const loadTheme = () => settings().then((prefs) => applyTheme(prefs.theme)).catch(() => {});

loadTheme();
window.addEventListener("hashchange", route);
window.addEventListener(NEEDS_KEY, askForKey);
window.addEventListener(KEY_CHANGED, () => { loadTheme(); route(); });
// Export links (data-save="<API path>") work as plain links without a key; a link cannot send
// one, so with a key the file is fetched and saved from here.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-save]");
  if (!link || !storedKey()) return;
  event.preventDefault();
  download(link.dataset.save, "export.json").catch(showError);
});
window.addEventListener("unhandledrejection", (event) => showError(event.reason));
route();
