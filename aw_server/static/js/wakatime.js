// What editor plugins need to report here, and which buckets hold what they reported. The
// server's WakaTime API (aw_server/wakatime) turns their heartbeats into events of
// `aw-watcher-wakatime_<machine>`.

export const BUCKET_PREFIX = "aw-watcher-wakatime_";
export const PRESET = "wakatime";

// Only the buckets this server fills from WakaTime heartbeats: ActivityWatch's own editor
// watchers share the type, but their time is not in the WakaTime summaries.
export const isCodingBucket = (bucket) => bucket.type === "app.editor.activity" && bucket.id.startsWith(BUCKET_PREFIX);

// The base URL every WakaTime client takes as `api_url`: the address this page came from.
export const apiUrl = () => `${location.origin}/api/v1`;

// The lines of ~/.wakatime.cfg that send a plugin's heartbeats here.
export function configLines(secret = "<secret of a key with the wakatime preset>") {
  return `[settings]\napi_url = ${apiUrl()}\napi_key = ${secret}`;
}

// Whether this page was opened on the server's own machine: editors elsewhere need another address.
export function loopbackAddress() {
  const host = location.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
