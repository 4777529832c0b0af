"""Devices and live status: Waken-Wa reporters' activity into ActivityWatch buckets, a device
registry with approval, a live feed and its Server-Sent Events stream."""
