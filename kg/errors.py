"""One exception root; every error names the file or thing at fault and why."""


class KGError(Exception):
    """Root of the project's errors."""


class LoadError(KGError):
    """A document could not be read."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class ValidationError(KGError):
    """The graph does not conform to the SHACL shapes."""


class StoreError(KGError):
    """A store or server could not be opened, reached or written."""


class QueryError(KGError):
    """A named query is unknown or failed."""
