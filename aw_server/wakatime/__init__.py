"""The WakaTime-compatible API: editor plugins' heartbeats into ActivityWatch buckets, and the
WakaTime read APIs (status bar, summaries, stats) over them."""
