"""What SMS earns, measured honestly (issue 16): short links and clicks, attribution and lift, counters,
the deliverability guard, and the report they add up to."""
