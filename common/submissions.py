"""A form that creates a record saves once, however often it is sent (a double tap, a resend).

Each create form carries a one-time token (`common.forms.SubmissionTokenField`, issued when the form is
drawn). The service stores it on the record it creates, in a `submission_token` column with a unique
constraint; `create_once` runs the creation unless a record already carries the token, and turns the
constraint's refusal of a second, concurrent insert into the same answer. The view then sends the user
to the record already saved.
"""

import uuid
from collections.abc import Callable

from django.db import IntegrityError, models, transaction


class AlreadySubmitted(Exception):  # noqa: N818 (an outcome the view answers, not a fault)
    """The form was sent before and saved this record."""

    def __init__(self, record: models.Model):
        super().__init__(record)
        self.record = record


def submitted_record[Created: models.Model](model: type[Created], token: uuid.UUID | None) -> Created | None:
    """The record saved with this token, if any."""
    if token is None:
        return None
    return model._default_manager.filter(submission_token=token).first()


def posted_record[Created: models.Model](model: type[Created], token: str | None) -> Created | None:
    """The record saved with the token a form sent (as text), if any; for a view that must know before
    it checks the form (a resend would fail a uniqueness check of the form's own)."""
    try:
        return submitted_record(model, uuid.UUID(token)) if token else None
    except ValueError:
        return None


def create_once[Created: models.Model](
    model: type[Created], token: uuid.UUID | None, create: Callable[[], Created]
) -> Created:
    """Run `create` (which stores `token` on the `model` it creates) unless the token was used already.

    Raises AlreadySubmitted with the record saved earlier. Two requests with one token at the same moment
    both pass the first look; the unique constraint holds the second insert until the first commits and
    then refuses it, and only `create`'s own savepoint is rolled back. Without a token (a form drawn
    before tokens existed) the record is created as before.
    """
    if (earlier := submitted_record(model, token)) is not None:
        raise AlreadySubmitted(earlier)
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        earlier = submitted_record(model, token)
        if earlier is None:
            raise
        raise AlreadySubmitted(earlier) from None


def submission_token_column() -> models.UUIDField:
    """The column a created record keeps its form's token in (unique; empty for records made otherwise)."""
    return models.UUIDField(null=True, blank=True, unique=True, editable=False)
