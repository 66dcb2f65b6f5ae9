"""Campaigns: one broadcast to a segment, at the sender's pace, in each recipient's lawful hours.

- campaign.py    the `Campaign` model (variants and weights, holdout, send time, expiry, UTM, smart sending,
                 recurrence), its state machine with a recorded history, and the `create`/`schedule` checks
- assignment.py  the deterministic holdout / variant of a phone (sha256 of campaign id and phone)
- eta.py         the preview's estimate: when each time-zone group starts and finishes, what waits and why,
                 where the daily cap is reached, segments and cost
- segments.py    segments as data (all/any/not documents) and their evaluation

Campaigns come first in the capability order: they may use flows' templates, consent, sending's encoding
and pacing, compliance and the kernel.
"""
