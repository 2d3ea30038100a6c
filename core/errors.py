"""Domain errors raised by services; `core.api.errors.exception_handler` maps each to one HTTP answer,
so views never translate them by hand."""


class DomainError(Exception):
    status_code = 400
    default_detail = "Invalid request."

    def __init__(self, detail=None):
        self.detail = detail if detail is not None else self.default_detail
        super().__init__(self.detail)


class InvalidInput(DomainError):
    """Bad input: `detail` is a message or a {field: [messages]} mapping. 400, nothing written."""

    status_code = 400


class Forbidden(DomainError):
    """The user can see the object but their role (or relation to it) does not allow this. 403."""

    status_code = 403
    default_detail = "You do not have permission to perform this action."


class NotFound(DomainError):
    status_code = 404
    default_detail = "Not found."


class Conflict(DomainError):
    """The object's state does not allow this now (e.g. activating a plan with open red flags). 409."""

    status_code = 409


class StaleVersion(DomainError):
    status_code = 412
    default_detail = "This record was changed by someone else; reload it and apply your change again."


class VersionRequired(DomainError):
    status_code = 428
    default_detail = 'Send the version you edited in an If-Match header, e.g. If-Match: "3".'
