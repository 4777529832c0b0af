// What a device is playing, from a live status: its title, artist, album, state, images and
// progress. The feed carries the reporter's own `metadata.media` (merged over its reports), whose
// fields have many names; they are read here as the server's aw_server/devices/media.py reads
// them for the media bucket. A status that already has a `media` view (Media.to_wire's shape)
// is taken as it is.

const DAY_MS = 24 * 60 * 60 * 1000;
const MS_THRESHOLD = 1e10; // timestamps above are milliseconds, below seconds
const STATES = { playing: "playing", play: "playing", running: "playing", paused: "paused", pause: "paused",
  stopped: "stopped", stop: "stopped", ended: "stopped", idle: "stopped" };
const FLAGS = [[["isPaused", "paused"], "paused", "playing"], [["isPlaying", "playing"], "playing", "paused"]];
const POSITION = [["positionMs", "elapsedMs", "currentMs", "progressMs"], ["positionSec", "elapsedSec", "currentSec", "progressSec"]];
const DURATION = [["durationMs", "lengthMs", "totalMs"], ["durationSec", "lengthSec", "totalSec"]];
const ICONS = ["appIconUrl", "app_icon_url", "iconUrl", "icon_url", "sourceIconUrl", "playSourceIconUrl", "playerIconUrl",
  "programIconUrl", "appIcon", "icon"];

const text = (value) => (typeof value === "string" && value.trim() ? value.trim() : null);

// A finite number from a JSON number or a numeric string (reporters send both).
function number(value) {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return Number(value);
  return null;
}

// Only web addresses and this server's own paths: a page never loads what a report smuggled in.
export function safeUrl(value) {
  const url = text(value);
  if (!url) return null;
  return /^https?:\/\//i.test(url) || (url.startsWith("/") && !url.startsWith("//")) ? url : null;
}

// The first usable length in ms among the millisecond names, then the second names.
function span(media, [msNames, secNames]) {
  for (const [names, scale] of [[msNames, 1], [secNames, 1000]]) {
    for (const name of names) {
      const value = number(media[name]);
      if (value !== null && value >= 0) return Math.min(Math.round(value * scale), DAY_MS);
    }
  }
  return null;
}

function timestamp(value) {
  const n = number(value);
  const ms = n !== null ? Math.round(n > MS_THRESHOLD ? n : n * 1000) : text(value) ? Date.parse(value) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

const firstTimestamp = (values) => values.map(timestamp).find((ms) => ms !== null) ?? null;

function state(media, timed) {
  const word = ["status", "state", "playbackState"].map((n) => media[n]).find((v) => v !== undefined && v !== null);
  if (typeof word === "string" && STATES[word.trim().toLowerCase()]) return STATES[word.trim().toLowerCase()];
  for (const [names, whenTrue, whenFalse] of FLAGS) {
    const flag = names.map((n) => media[n]).find((v) => v !== undefined && v !== null);
    if (typeof flag === "boolean") return flag ? whenTrue : whenFalse;
  }
  return timed ? "playing" : null;
}

function fromReport(metadata) {
  const media = metadata && metadata.media;
  if (!media || typeof media !== "object" || !text(media.title)) return null;
  const pair = media.timestamps && typeof media.timestamps === "object" ? media.timestamps : {};
  const startedAtMs = firstTimestamp([pair.start, media.startTimestamp, media.startedAt, media.startTime]);
  const endsAtMs = firstTimestamp([pair.end, media.endTimestamp, media.endsAt, media.endTime]);
  const inferred = startedAtMs !== null && endsAtMs !== null && endsAtMs > startedAtMs ? Math.min(endsAtMs - startedAtMs, DAY_MS) : null;
  return {
    title: text(media.title),
    artist: text(media.singer) || text(media.artist),
    album: text(media.album),
    status: state(media, startedAtMs !== null || endsAtMs !== null),
    source: text(metadata.play_source_name) || text(metadata.play_source),
    positionMs: span(media, POSITION),
    durationMs: span(media, DURATION) ?? inferred,
    startedAtMs,
    endsAtMs,
    coverUrl: safeUrl(media.coverUrl) || safeUrl(media.coverDataUrl),
    appIconUrl: ICONS.map((n) => safeUrl(media[n])).find(Boolean) || null,
  };
}

// The status's media, or null when it plays nothing (no title).
export function nowPlaying(item) {
  if (item.media && typeof item.media === "object" && text(item.media.title)) {
    return { ...item.media, coverUrl: safeUrl(item.media.coverUrl), appIconUrl: safeUrl(item.media.appIconUrl) };
  }
  return fromReport(item.metadata || {});
}

// Where the track is at `nowMs` (server time) as {positionMs, durationMs}, or null when unknown.
// A reported position was true at the report (`reportedAtMs`) and advances while playing;
// without one, the timestamps say where the track began.
export function progress(media, reportedAtMs, nowMs) {
  const playing = media.status === "playing"; // a state not reported is not assumed to move
  const duration = media.durationMs;
  if (!duration) return null;
  let position;
  if (media.positionMs !== null && media.positionMs !== undefined) {
    position = media.positionMs + (playing ? Math.max(0, nowMs - reportedAtMs) : 0);
  } else if (media.startedAtMs) {
    position = (playing ? nowMs : reportedAtMs) - media.startedAtMs;
  } else {
    return null;
  }
  return { positionMs: Math.min(Math.max(position, 0), duration), durationMs: duration };
}

// 83000 -> "1:23"; an hour or more -> "1:02:03".
export function clock(ms) {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
