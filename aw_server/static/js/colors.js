// Stable colours: a key's hash picks a hue, so an app or a category has the same colour on every
// page and every day, and different keys rarely look alike.

const UNCATEGORIZED = "#8a919c";
const SATURATION = 62, LIGHTNESS = 52;

// FNV-1a over the characters: similar names ("Work", "Works") land far apart.
function hash(text) {
  let h = 0x811c9dc5;
  for (const ch of String(text)) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
  return h;
}

const hsl = ([h, s, l]) => `hsl(${Math.round(((h % 360) + 360) % 360)} ${Math.round(s)}% ${Math.round(l)}%)`;

export function colorFor(key) {
  return hsl([hash(key) % 360, SATURATION, LIGHTNESS]);
}

// "#rgb" or "#rrggbb" as [hue, saturation %, lightness %]; null for anything else.
function hexToHsl(color) {
  const match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(color).trim());
  if (!match) return null;
  const digits = match[1].length === 3 ? [...match[1]].map((d) => d + d).join("") : match[1];
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16) / 255);
  const max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2;
  if (max === min) return [0, 0, l * 100];
  const d = max - min;
  const s = d / (1 - Math.abs(2 * l - 1));
  const h = max === r ? ((g - b) / d + (g < b ? 6 : 0)) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [h * 60, s * 100, l * 100];
}

// Each level below the coloured ancestor turns the hue a little and goes lighter or darker, so a
// sub-category stays in its parent's hue family but differs from it and from its siblings.
function shade([h, s, l], path) {
  for (const part of path) {
    const k = hash(part);
    h += (k % 41) - 20;
    const step = ((k >>> 16) % 2 ? 1 : -1) * (10 + ((k >>> 8) % 6));
    l = Math.min(72, Math.max(30, l + step));
  }
  return hsl([h, s, l]);
}

const explicitColor = (name, classes) => {
  const key = JSON.stringify(name);
  const entry = (classes || []).find((c) => Array.isArray(c.name) && JSON.stringify(c.name) === key);
  return entry && entry.data && typeof entry.data.color === "string" && entry.data.color.trim() ? entry.data.color.trim() : null;
};

// The colour of a category path: its own `data.color` from the classes setting, else a shade of
// the nearest ancestor's colour, else a shade of the top level's hashed hue.
export function categoryColor(name, classes) {
  if (name.length === 1 && name[0] === "Uncategorized") return UNCATEGORIZED;
  const own = explicitColor(name, classes);
  if (own) return own;
  for (let depth = name.length - 1; depth >= 1; depth--) {
    const inherited = explicitColor(name.slice(0, depth), classes);
    if (inherited) return hexToHsl(inherited) ? shade(hexToHsl(inherited), name.slice(depth)) : inherited;
  }
  return shade([hash(name[0]) % 360, SATURATION, LIGHTNESS], name.slice(1));
}
