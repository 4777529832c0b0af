// The Activity view as query2 programs (what the official web UI sends, in the shared dialect).

const BROWSER_APPS = {
  chrome: ["Google Chrome", "Google-chrome", "google-chrome", "google-chrome-stable", "chrome.exe", "Chromium", "Chromium-browser", "chromium", "chromium.exe"],
  firefox: ["Firefox", "firefox", "Firefox.exe", "firefox.exe", "Firefox Developer Edition", "firefoxdeveloperedition", "Firefox-esr", "Nightly", "org.mozilla.firefox"],
  opera: ["Opera", "opera", "opera.exe"],
  brave: ["Brave Browser", "Brave-browser", "brave", "brave.exe"],
  edge: ["Microsoft Edge", "Microsoft-edge", "msedge", "msedge.exe"],
  vivaldi: ["Vivaldi", "Vivaldi-stable", "vivaldi", "vivaldi.exe"],
  arc: ["Arc"],
  safari: ["Safari"],
};

const q = (value) => JSON.stringify(value);

// The web UI's classes setting -> categorize rules ([[name path, rule], ...]).
export function rules(classes) {
  return (classes || []).filter((c) => Array.isArray(c.name) && c.rule && typeof c.rule === "object").map((c) => [c.name, c.rule]);
}

// Buckets are found by type, as the official web UI does: watchers name their buckets freely.
// Devices that report to /api/activity have a window bucket of their own (`waken-window_<device
// id>`, hostname = the device's name) and no AFK bucket.
const DEVICE_WINDOW = "waken-window_";
const isDevice = (b) => b.type === "currentwindow" && b.id.startsWith(DEVICE_WINDOW);
const isWindow = (b) => b.type === "currentwindow" && !b.id.startsWith("aw-watcher-android") && !isDevice(b);
const isAfk = (b) => b.type === "afkstatus";
const isBrowser = (b) => b.type === "web.tab.current";

// The hosts to choose from, as [{value, label, device}]: the watchers' hosts by hostname, then
// each device by its name, or by its id when another host or device has that name too (a
// device's time is never mixed with another's).
export function hostChoices(buckets) {
  const list = Object.values(buckets);
  const watched = [...new Set(list.filter(isWindow).map((b) => b.hostname))].sort();
  const devices = list.filter(isDevice).sort((a, b) => String(a.hostname).localeCompare(String(b.hostname)) || a.id.localeCompare(b.id));
  const named = (name) => devices.filter((d) => d.hostname === name).length;
  return [
    ...watched.map((host) => ({ value: host, label: host, device: false })),
    ...devices.map((d) => {
      const id = d.id.slice(DEVICE_WINDOW.length);
      const unique = !watched.includes(d.hostname) && named(d.hostname) === 1;
      return { value: unique ? d.hostname : id, label: unique ? d.hostname : `${d.hostname} (${id})`, device: true, bucket: d };
    }),
  ];
}

export const hosts = (buckets) => hostChoices(buckets).map((choice) => choice.value);

// The host's window and AFK buckets (the conventional `<watcher>_<host>` id first) and its browser
// buckets. Browser extensions often cannot know the hostname and say "unknown": those count for
// every host, since the query keeps only their time inside this host's browser windows.
export function hostBuckets(buckets, host) {
  const list = Object.values(buckets).sort((a, b) => a.id.localeCompare(b.id));
  const browsersOf = (name) => list.filter((b) => isBrowser(b) && (b.hostname === name || b.hostname === "unknown")).map((b) => b.id);
  const device = hostChoices(buckets).find((choice) => choice.device && choice.value === host);
  if (device) return { window: device.bucket.id, afk: undefined, browsers: browsersOf(device.bucket.hostname) };
  const find = (test, prefix) => (list.find((b) => test(b) && b.id === `${prefix}_${host}`) || list.find((b) => test(b) && b.hostname === host) || {}).id;
  return { window: find(isWindow, "aw-watcher-window"), afk: find(isAfk, "aw-watcher-afk"), browsers: browsersOf(host) };
}

// The browser a web bucket watches, from its id (`aw-watcher-web-firefox_laptop`, `aw-watcher-web-chrome`).
function browserName(bucketId) {
  const words = bucketId.toLowerCase().split(/[^a-z]+/);
  return Object.keys(BROWSER_APPS).find((name) => words.includes(name)) || null;
}

function canonical(b, classes) {
  const lines = [`events = flood(query_bucket(${q(b.window)}));`];
  if (b.afk) {
    lines.push(`not_afk = flood(query_bucket(${q(b.afk)}));`, `not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);`);
  }
  lines.push("browser_events = [];");
  b.browsers.forEach((bucket, i) => {
    const name = browserName(bucket);
    if (!name) return;
    lines.push(
      `events_${i} = flood(query_bucket(${q(bucket)}));`,
      `window_${i} = filter_keyvals(events, "app", ${q(BROWSER_APPS[name])});`,
      `events_${i} = filter_period_intersect(events_${i}, window_${i});`,
      `events_${i} = split_url_events(events_${i});`,
      `browser_events = sort_by_timestamp(concat(browser_events, events_${i}));`,
    );
  });
  if (b.afk) {
    lines.push(
      `audible_events = filter_keyvals(browser_events, "audible", [true]);`,
      "not_afk = period_union(not_afk, audible_events);",
      "events = filter_period_intersect(events, not_afk);",
      "browser_events = filter_period_intersect(browser_events, not_afk);",
    );
  }
  lines.push(`events = categorize(events, ${q(rules(classes))});`);
  return lines;
}

// Totals and top lists for one period.
export function summaryQuery(b, classes, limit = 10) {
  return [
    ...canonical(b, classes),
    `title_events = limit_events(sort_by_duration(merge_events_by_keys(events, ["app", "title"])), ${limit});`,
    `app_events = limit_events(sort_by_duration(merge_events_by_keys(events, ["app"])), ${limit});`,
    `cat_events = sort_by_duration(merge_events_by_keys(events, ["$category"]));`,
    `domains = limit_events(sort_by_duration(merge_events_by_keys(browser_events, ["$domain"])), ${limit});`,
    `RETURN = {"duration": sum_durations(events), "apps": app_events, "titles": title_events, "categories": cat_events, "domains": domains};`,
  ];
}

// Active time only, for the many short periods of the hour-by-hour (or day-by-day) chart.
export function activeTimeQuery(b) {
  const lines = [`events = flood(query_bucket(${q(b.window)}));`];
  if (b.afk) {
    lines.push(`not_afk = filter_keyvals(flood(query_bucket(${q(b.afk)})), "status", ["not-afk"]);`, "events = filter_period_intersect(events, not_afk);");
  }
  lines.push("RETURN = sum_durations(events);");
  return lines;
}

// How many window events the period holds and their length before the AFK filter: what a page
// needs to explain a total of zero.
export function windowFactsQuery(b) {
  return [`RETURN = {"count": query_bucket_eventcount(${q(b.window)}), "recorded": sum_durations(query_bucket(${q(b.window)}))};`];
}
