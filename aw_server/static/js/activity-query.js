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

export const DEFAULT_CLASSES = [
  { name: ["Work"], rule: { type: "regex", regex: "Google Docs|libreoffice|ReText" } },
  { name: ["Work", "Programming"], rule: { type: "regex", regex: "GitHub|Stack Overflow|BitBucket|Gitlab|vim|Spyder|kate|Ghidra|Scite|Code" } },
  { name: ["Media", "Games"], rule: { type: "regex", regex: "Minecraft|RimWorld" } },
  { name: ["Media", "Video"], rule: { type: "regex", regex: "YouTube|Plex|VLC" } },
  { name: ["Media", "Social Media"], rule: { type: "regex", regex: "reddit|Facebook|Twitter|Instagram|devRant", ignore_case: true } },
  { name: ["Media", "Music"], rule: { type: "regex", regex: "Spotify|Deezer", ignore_case: true } },
  { name: ["Comms", "IM"], rule: { type: "regex", regex: "Messenger|Telegram|Signal|WhatsApp|Rambox|Slack|Riot|Discord|Nheko" } },
  { name: ["Comms", "Email"], rule: { type: "regex", regex: "Gmail|Thunderbird|mutt|alpine" } },
];

// The web UI's classes setting -> categorize rules ([[name path, rule], ...]).
export function rules(classes) {
  return (classes || []).filter((c) => Array.isArray(c.name) && c.rule && typeof c.rule === "object").map((c) => [c.name, c.rule]);
}

export function hosts(buckets) {
  return [...new Set(Object.values(buckets).filter((b) => b.id.startsWith("aw-watcher-window")).map((b) => b.hostname))].sort();
}

export function hostBuckets(buckets, host) {
  const list = Object.values(buckets);
  const find = (prefix) => (list.find((b) => b.id === `${prefix}_${host}`) || list.find((b) => b.id.startsWith(prefix) && b.hostname === host) || {}).id;
  const browsers = list.filter((b) => b.id.startsWith("aw-watcher-web") && (b.hostname === host || b.hostname === "unknown")).map((b) => b.id);
  return { window: find("aw-watcher-window"), afk: find("aw-watcher-afk"), browsers };
}

function browserName(bucketId) {
  const name = bucketId.replace(/^aw-watcher-web-/, "").split("_")[0].toLowerCase();
  return BROWSER_APPS[name] ? name : null;
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
