"""The one refusal of this API: an HTTP status of the spec (400, 403, 404, 429) and a message."""


class Open311Error(Exception):
    def __init__(self, status: int, message):
        self.status = status
        self.message = message
        super().__init__(str(message))
