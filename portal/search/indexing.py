"""The index follows what is public, in the transaction of each change: a record enters when it
becomes public (published, adopted, approved) and its entry changes with it. Drafts, consultations
not yet approved, responses and feedback never reach these listeners' index."""

from portal import events
from portal.search import services


@events.on("school.created")
@events.on("school.profile_changed")
def _school(event):
    services.put_school(event.subject)


@events.on("decision.published")
def _decision(event):
    services.put_decision(event.subject)


@events.on("charter.adopted")
def _charter(event):
    services.put_charter(event.subject)


@events.on("minutes.approved")
def _minutes(event):
    services.put_minutes(event.subject)


@events.on("consultation.approved")
def _consultation(event):
    services.put_consultation(event.subject)


@events.on("consultation.outcome_published")
def _outcome(event):
    services.put_outcome(event.subject)
