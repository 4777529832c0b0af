"""Editor and operating system from a WakaTime client's User-Agent.

The rules follow wakapi's reading of these strings, which every WakaTime-compatible server shows
the same way. The strings this must read:

- the Go wakatime-cli: ``wakatime/v1.90.0 (linux-6.5.0-amd64) go1.21.5 vscode/1.85.1
  vscode-wakatime/24.4.0``; ``Unknown/0`` stands for "no plugin given";
- the legacy Python CLI: ``wakatime/13.1.0 (Linux-6.1.0-x86_64-with-glibc2.36)
  Python3.9.18.final.0 vim/9.0 vim-wakatime/1.0``;
- the browser extension's own ``user_agent``/``plugin`` field: ``Chrome/131.0.0.0 linux_x86-64
  chrome-wakatime/4.0.10`` (browser, then ``<os>_<arch>``, then the extension);
- a browser's own header (``Mozilla/5.0 (Windows NT 10.0; ...) ... Chrome/131.0.0.0 ...``), and
  the Edge extension, which puts that whole header before ``win_x86-64 edge-wakatime/3.0.18``.

Reading (split on whitespace):

- OS: the token after the first one. In parentheses, its text up to the first ``-`` or ``_``
  (``(Linux-6.1.0-...)`` -> Linux); bare, a ``<os>_<arch>`` token (``mac_arm64``). A Linux
  kernel of WSL (``...-microsoft-standard-WSL2-...``, ``...-Microsoft``) is ``WSL``. Only known
  systems count: ``(web)`` or ``(Blender-4.3.2)`` give no OS.
- Editor: the first ``name/version`` token after the first one that is not wakatime itself, a
  middleware (``wakatime-cli``, ``wakatime-ls``), a runtime (``go1.21.5``, ``Python3.9``,
  ``python``, ``go``, ``java``, ``node``) or a plugin token; failing that, the editor of the
  first ``<editor>-wakatime/<version>`` plugin token (``vim-wakatime/1.0`` -> vim), except the
  desktop apps named after an OS (``windows-wakatime``); failing that, the browser that starts
  the string. ``Unknown/0`` gives no editor (not an editor called "Unknown"): the read APIs show
  a missing editor as "Unknown" anyway, and the event data keeps null for what is not known.
- Unlike wakapi, tokens naming an AI model or harness get no special treatment.

Names are canonical so that one editor or OS is one entry in the summaries, whatever spelling a
plugin sends: OS names are ``Linux``, ``macOS``, ``Windows``, ``WSL``, ``FreeBSD``, ``OpenBSD``,
``NetBSD``, ``Android``, ``ChromeOS``, ``iOS``; editors known to WakaTime take the names its
dashboard shows (``vscode`` -> ``VS Code``, ``vim`` -> ``Vim``, ``intellij`` -> ``IntelliJ
IDEA``, ``chrome`` -> ``Chrome``; see ``_EDITORS``); any other editor keeps its spelling with
the first letter in upper case (``helix`` -> ``Helix``).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Browsers whose extension user agent starts with "<Browser>/<version>".
_EXTENSION_BROWSERS = ("chrome/", "firefox/", "edge/", "brave/", "opera/", "safari/")
_PLUGIN_SUFFIX = "-wakatime"
_MIDDLEWARES = frozenset({"wakatime", "wakatime-cli", "wakatime-ls", "unknown"})
_RUNTIME = re.compile(r"(python|go|java|node)(\d[\w.+-]*)?", re.IGNORECASE)
_ALNUM = re.compile(r"[^a-z0-9]+")
_WINDOWS = re.compile(r"win(dows\w*|\d+)?")  # win, windows, windowsnt, win32, win11 (not windsurf)

# The key is the name in lower case without separators.
_OS_NAMES = {
    "linux": "Linux",
    "darwin": "macOS",
    "mac": "macOS",
    "macos": "macOS",
    "osx": "macOS",
    "wsl": "WSL",
    "freebsd": "FreeBSD",
    "openbsd": "OpenBSD",
    "netbsd": "NetBSD",
    "dragonfly": "DragonFly BSD",
    "android": "Android",
    "cros": "ChromeOS",
    "chromeos": "ChromeOS",
    "ios": "iOS",
    "sunos": "Solaris",
    "solaris": "Solaris",
}

# WakaTime's display names for the editors most plugins report; keys as in _OS_NAMES. A plugin
# name that JetBrains IDEs send as their platform prefix ("Python", "idea") maps here too.
_EDITORS = {
    "vscode": "VS Code",
    "visualstudiocode": "VS Code",
    "code": "VS Code",
    "vim": "Vim",
    "neovim": "Neovim",
    "nvim": "Neovim",
    "emacs": "Emacs",
    "intellij": "IntelliJ IDEA",
    "intellijidea": "IntelliJ IDEA",
    "idea": "IntelliJ IDEA",
    "pycharm": "PyCharm",
    "pycharmcore": "PyCharm",
    "python": "PyCharm",  # only ever from "Python-wakatime/..": a bare "Python/.." is a runtime
    "webstorm": "WebStorm",
    "phpstorm": "PhpStorm",
    "goland": "GoLand",
    "rider": "Rider",
    "clion": "CLion",
    "rubymine": "RubyMine",
    "datagrip": "DataGrip",
    "androidstudio": "Android Studio",
    "sublimetext": "Sublime Text",
    "sublime": "Sublime Text",
    "atom": "Atom",
    "xcode": "Xcode",
    "visualstudio": "Visual Studio",
    "eclipse": "Eclipse",
    "jupyter": "Jupyter",
    "ktexteditor": "Kate",
    "kate": "Kate",
    "zed": "Zed",
    "helix": "Helix",
    "cursor": "Cursor",
    "windsurf": "Windsurf",
    "chrome": "Chrome",
    "firefox": "Firefox",
    "edge": "Edge",
    "safari": "Safari",
    "opera": "Opera",
    "brave": "Brave",
    "vivaldi": "Vivaldi",
}

# A browser's own User-Agent: the product token naming it, most specific first (Edge and Opera
# also carry "Chrome/", Chrome also "Safari/").
_BROWSER_TOKENS = (
    ("edg/", "Edge"),
    ("edge/", "Edge"),
    ("opr/", "Opera"),
    ("vivaldi/", "Vivaldi"),
    ("firefox/", "Firefox"),
    ("chrome/", "Chrome"),
    ("chromium/", "Chrome"),
    ("safari/", "Safari"),
)
# Its platform comment, e.g. "(X11; Linux x86_64)"; Android and ChromeOS also say "Linux".
_BROWSER_PLATFORMS = (
    ("android", "Android"),
    ("cros", "ChromeOS"),
    ("iphone", "iOS"),
    ("ipad", "iOS"),
    ("windows", "Windows"),
    ("macintosh", "macOS"),
    ("mac os x", "macOS"),
    ("linux", "Linux"),
    ("freebsd", "FreeBSD"),
)


@lru_cache(maxsize=512)
def editor_and_os(user_agent: str | None) -> tuple[str | None, str | None]:
    """The canonical (editor, operating system) named by a User-Agent; None for each part that
    it does not name (and for both when it is no client string this module knows)."""
    tokens = (user_agent or "").split()
    if not tokens:
        return None, None
    first = tokens[0].lower()
    if first.startswith("mozilla/"):
        return _browser_header(tokens)
    if first.startswith("wakatime/") or first.startswith(_EXTENSION_BROWSERS):
        return _client(tokens)
    if any(_plugin_name(token) is not None for token in tokens):
        return _client(tokens)
    return None, None


def canonical_os(name: str) -> str | None:
    """The canonical name of an operating system, or None when ``name`` names none."""
    key = _ALNUM.sub("", name.lower())
    if _WINDOWS.fullmatch(key):
        return "Windows"
    return _OS_NAMES.get(key)


def canonical_editor(name: str) -> str:
    """WakaTime's name for a known editor; otherwise ``name`` with its first letter upper."""
    known = _EDITORS.get(_ALNUM.sub("", name.lower()))
    return known if known is not None else name[:1].upper() + name[1:]


def _client(tokens: list[str]) -> tuple[str | None, str | None]:
    editor = _editor(tokens[1:])
    if editor is None and tokens[0].lower().startswith(_EXTENSION_BROWSERS):
        editor = tokens[0].split("/", 1)[0]
    return (canonical_editor(editor) if editor else None), _client_os(tokens)


def _client_os(tokens: list[str]) -> str | None:
    if len(tokens) < 2:
        return None
    platform = tokens[1]
    if platform.startswith("("):
        platform = platform[1:].split(")", 1)[0]
    elif "_" not in platform and "-" not in platform:
        return None  # a bare "name/version" or word: not an "<os>_<arch>" token
    found = canonical_os(re.split(r"[-_]", platform, maxsplit=1)[0])
    if found == "Linux" and _is_wsl_kernel(platform):
        return "WSL"
    return found


def _is_wsl_kernel(platform: str) -> bool:
    lowered = platform.lower()
    return "-wsl" in lowered or "microsoft" in lowered


def _editor(tokens: list[str]) -> str | None:
    """The first plain ``name/version`` editor token, else the first plugin's editor."""
    from_plugin: str | None = None
    for token in tokens:
        if token.startswith("(") or "/" not in token:
            continue  # the platform, or a word such as a runtime's "Python3.9.18.final.0"
        name = token.split("/", 1)[0]
        if _plugin_name(token) is not None:
            from_plugin = from_plugin or _plugin_editor(token)
        elif name and name.lower() not in _MIDDLEWARES and not _RUNTIME.fullmatch(name):
            return name
    return from_plugin


def _plugin_name(token: str) -> str | None:
    """``vim`` for a plugin token ``vim-wakatime/1.0``; None for any other token."""
    name = token.split("/", 1)[0]
    if "/" not in token or not name.lower().endswith(_PLUGIN_SUFFIX):
        return None
    return name[: -len(_PLUGIN_SUFFIX)]


def _plugin_editor(token: str) -> str | None:
    """The editor a plugin token names; None for the desktop apps named after an OS
    (``windows-wakatime``, ``macos-wakatime``), which track apps, not an editor."""
    editor = _plugin_name(token)
    if not editor or canonical_os(editor) is not None:
        return None
    return editor


def _browser_header(tokens: list[str]) -> tuple[str | None, str | None]:
    text = " ".join(tokens).lower()
    editor = next((name for token, name in _BROWSER_TOKENS if token in text), None)
    return editor, _os_arch_token(tokens) or _browser_platform(text)


def _os_arch_token(tokens: list[str]) -> str | None:
    """The OS of a standalone ``<os>_<arch>`` token (what the Edge extension appends)."""
    for token in tokens:
        if "_" in token and "/" not in token and not token.startswith("("):
            found = canonical_os(token.split("_", 1)[0])
            if found is not None:
                return found
    return None


def _browser_platform(text: str) -> str | None:
    comment = text.split("(", 1)[1].split(")", 1)[0] if "(" in text else ""
    return next((name for token, name in _BROWSER_PLATFORMS if token in comment), None)
