"""What a service can refuse, each with the HTTP status a view answers with.

Services raise these inside their unit of work; the unit rolls back and the view (or the
app's error handler) shows the message with the status."""

from __future__ import annotations


class ActionRefused(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        # The form field the refusal is about, when it is about one: the page shows the
        # message next to that field and ties them together (aria-describedby).
        self.field = field
        # An item another moderator holds, as (kind, id): the 409 page offers to take it
        # over and leads back to it.
        self.held: tuple | None = None


class InvalidInput(ActionRefused):
    status = 400
    title = "Bad request"


class NotFound(ActionRefused):
    status = 404
    title = "Not found"


class NotAllowed(ActionRefused):
    status = 403
    title = "Not allowed"


class Conflict(ActionRefused):
    """The change would break a rule about other rows (a duplicate domain or word)."""

    status = 409
    title = "Conflict"


class StaleState(ActionRefused):
    """The item changed after the form was drawn; nothing was written."""

    status = 409
    title = "Changed by someone else"


class BatchItemFailed(ActionRefused):
    """One item of a batch failed, so the whole batch changed nothing."""

    def __init__(self, index: int, label: str, cause: ActionRefused):
        super().__init__(
            f"Item {index + 1} ({label}) failed: {cause.message} Nothing in the batch was changed."
        )
        self.status = cause.status
        self.title = cause.title
        self.cause = cause
        self.held = cause.held
