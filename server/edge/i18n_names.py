"""Human words for the codes the engine speaks in: reasons, poll kinds, states, ops, actions.

The engine keeps stable codes (`off_topic`, `single`, `poll.create`); people read these
words instead, translated like every other string. The markers below only tag strings for
extraction (`make messages`); the translator in `server.edge.i18n` looks them up.
A test checks each table covers every code the engine has, so a new code cannot show raw.
"""

from __future__ import annotations

__all__ = [
    "ACTIONS",
    "ANSWER_STATES",
    "FLAGS",
    "JS_PLURALS",
    "NC_",
    "NP_",
    "N_",
    "OP_DONE",
    "POLL_KINDS",
    "POLL_STATES",
    "QUESTION_STATES",
    "REASONS",
]


def N_(message: str) -> str:
    """A string to translate later (extracted with `-k N_`)."""
    return message


def NC_(context: str, message: str) -> tuple[str, str]:
    """A string with a context: the same English word that other languages tell apart
    ("Open" the state, "Open" the button). Extracted with `-k NC_:1c,2`."""
    return context, message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """A message with plural forms, for ngettext. Extracted with `-k NP_:1,2`."""
    return singular, plural


# moderation.audit.REJECT_REASONS: why a question, an answer or a person was refused.
REASONS = {
    "off_topic": N_("Off topic"),
    "duplicate": N_("Duplicate"),
    "abusive": N_("Abusive"),
    "spam": N_("Spam or advertising"),
    "personal": N_("Personal information"),
    "other": N_("Other reason"),
}

# moderation.filters FLAG_*: what a filter found in a question or an answer.
FLAGS = {
    "link": N_("contains a link"),
    "profanity": N_("possible profanity"),
    "profanity.mild": N_("possibly rude"),
    "deny": N_("on this room's deny list"),
}

# rooms.polls.KINDS
POLL_KINDS = {
    "single": N_("Single choice"),
    "multiple": N_("Multiple choice"),
    "rating": N_("Rating"),
    "wordcloud": N_("Word cloud"),
    "open": N_("Open text"),
    "ranking": N_("Ranking"),
    "budget": N_("Budget"),
    "quiz": N_("Quiz"),
}

POLL_STATES = {
    "draft": NC_("poll state", "Draft"),
    "open": NC_("poll state", "Open"),
    "closed": NC_("poll state", "Closed"),
}

QUESTION_STATES = {
    "pending": NC_("question state", "Pending review"),
    "approved": NC_("question state", "Approved"),
    "rejected": NC_("question state", "Rejected"),
    "answered": NC_("question state", "Answered"),
    "archived": NC_("question state", "Archived"),
    "hidden": NC_("question state", "Hidden"),
    "withdrawn": NC_("question state", "Withdrawn"),
}

ANSWER_STATES = {
    "pending": NC_("answer state", "Pending review"),
    "approved": NC_("answer state", "Approved"),
    "rejected": NC_("answer state", "Rejected"),
}

# What the page says once an op went through (moderation.roles.OPS_BY_ROLE, every role).
OP_DONE = {
    "vote": N_("Your vote was recorded."),
    "question.ask": N_("Your question was sent."),
    "question.upvote": N_("Upvote recorded."),
    "question.unvote": N_("Upvote removed."),
    "question.downvote": N_("Downvote recorded."),
    "question.withdraw": N_("Your question was withdrawn."),
    "speaker.request": N_("You are in the speaker queue."),
    "speaker.withdraw": N_("You left the speaker queue."),
    "left": N_("You left this room on this device."),
    "react": N_("Reaction sent."),
    "poll.create": N_("Poll created."),
    "poll.edit": N_("Poll saved."),
    "poll.open": N_("Poll opened."),
    "poll.close": N_("Poll closed."),
    "poll.reveal": N_("Results shown."),
    "poll.hide": N_("Results hidden."),
    "poll.delete": N_("Poll deleted."),
    "poll.restore": N_("Poll restored."),
    "template.save": N_("Saved as a template."),
    "template.delete": N_("Template deleted."),
    "template.restore": N_("Template restored."),
    "question.approve": N_("Question approved."),
    "question.reject": N_("Question rejected."),
    "question.restore": N_("Question back in the queue."),
    "question.hide": N_("Question hidden."),
    "question.answer": N_("Question marked as answered."),
    "question.pin": N_("Question pinned."),
    "question.unpin": N_("Question unpinned."),
    "question.archive": N_("Question archived."),
    "question.label": N_("Labels saved."),
    "answer.approve": N_("Answer approved."),
    "answer.reject": N_("Answer rejected."),
    "answer.restore": N_("Answer back for review."),
    "speaker.next": N_("Next speaker called."),
    "speaker.skip": N_("Speaker skipped."),
    "speaker.finish": N_("Speaking time ended."),
    "participant.ban": N_("Participant banned."),
    "participant.unban": N_("Ban lifted."),
    "room.update": N_("Room settings saved."),
    "moderator.add": N_("Co-moderator invited."),
    "moderator.revoke": N_("Co-moderator removed."),
    "links.rotate": N_("Link re-issued."),
    "room.close": N_("Room closed."),
    "codes.issue": N_("Attendee codes issued."),
    "room.publish": N_("Transcript published."),
    "participant.erase": N_("Your name and district were erased."),
    "participant.forget": N_("Their name and district were erased."),
    "screen.show": N_("The big screen changed."),
    "translation.attach": N_("Translation saved."),
}

# The report's moderation actions: event types moderators and organisers cause.
ACTIONS = {
    "room.created": N_("Room created"),
    "room.updated": N_("Room settings changed"),
    "room.closed": N_("Room closed"),
    "room.transcript_published": N_("Transcript published"),
    "codes.issued": N_("Attendee codes issued"),
    "participant.banned": N_("Participants banned"),
    "participant.unbanned": N_("Bans lifted"),
    "participant.forgotten": N_("Names and districts erased"),
    "moderator.added": N_("Co-moderators added"),
    "moderator.revoked": N_("Co-moderators removed"),
    "links.rotated": N_("Links re-issued"),
    "poll.created": N_("Polls created"),
    "poll.edited": N_("Polls edited"),
    "poll.opened": N_("Polls opened"),
    "poll.closed": N_("Polls closed"),
    "poll.revealed": N_("Results shown"),
    "poll.hidden": N_("Results hidden"),
    "poll.deleted": N_("Polls deleted"),
    "poll.restored": N_("Polls restored"),
    "template.saved": N_("Templates saved"),
    "template.deleted": N_("Templates deleted"),
    "template.restored": N_("Templates restored"),
    "answer.approved": N_("Answers approved"),
    "answer.rejected": N_("Answers rejected"),
    "answer.restored": N_("Answers restored"),
    "question.approved": N_("Questions approved"),
    "question.rejected": N_("Questions rejected"),
    "question.restored": N_("Questions restored"),
    "question.hidden": N_("Questions hidden"),
    "question.answered": N_("Questions answered"),
    "question.pinned": N_("Questions pinned"),
    "question.unpinned": N_("Questions unpinned"),
    "question.archived": N_("Questions archived"),
    "question.labelled": N_("Questions labelled"),
    "speaker.called": N_("Speakers called"),
    "speaker.skipped": N_("Speakers skipped"),
    "speaker.finished": N_("Speaking turns ended"),
    "screen.shown": N_("Big screen changed"),
    "translation.attached": N_("Translations attached"),
}

# Counts the page scripts show; the same messages the templates pass to ngettext.
JS_PLURALS = {
    "voters": NP_("%(num)s voter", "%(num)s voters"),
    "waiting": NP_("%(num)s person waiting", "%(num)s people waiting"),
    "upvotes": NP_("upvote", "upvotes"),
    "share": NP_("Share %(num)s point", "Share %(num)s points"),
    "scored": NP_(
        "You scored %(num)s point in the quiz.", "You scored %(num)s points in the quiz."
    ),
    "left": NP_("%(num)s point left", "%(num)s points left"),
}
