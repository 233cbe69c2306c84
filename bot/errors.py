"""Domain errors whose message is shown to the Slack user as-is."""

from __future__ import annotations

from bot.slack.mrkdwn import Mrkdwn, esc


class UserFacingError(Exception):
    """Something the person in Slack can fix or should know; the text says what.

    The message is plain text (it may quote what the user typed): ``mrkdwn`` escapes
    it for Slack, keeping the backticks and asterisks it is written with.
    """

    @property
    def mrkdwn(self) -> Mrkdwn:
        return esc(str(self))


class RepNotInSlack(UserFacingError):
    def __init__(self, rep_id: str, email: str | None, error: str) -> None:
        self.rep_id = rep_id
        self.email = email
        self.error = error
        where = f"email {email}" if email else "no email in routing.yml"
        super().__init__(
            f"Rep `{rep_id}` has no Slack account I can find ({where}: {error}). "
            "Set their email or `slack_user` in routing.yml."
        )


class NotARep(UserFacingError):
    def __init__(self, slack_user_id: str) -> None:
        self.slack_user_id = slack_user_id
        super().__init__(
            "You are not a rep in Lead Router's routing.yml (I matched Slack users by email). "
            "Ask a RevOps admin to add you."
        )


class NotAQueueMember(UserFacingError):
    def __init__(self, queue_id: str) -> None:
        self.queue_id = queue_id
        super().__init__(
            f"Only members of the *{queue_id}* queue can claim its leads. "
            "Ask a RevOps admin if you should be one."
        )
