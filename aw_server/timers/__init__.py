"""ClockEye's time-tracking API (time entries, a timer, projects and tasks) over the events of
an ActivityWatch ``general.stopwatch`` bucket, so the AW web UI's Stopwatch page and query2
see every entry."""
