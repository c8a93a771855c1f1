"""The one exception type a user ever sees."""


class GanvasError(Exception):
    """A user-facing failure: one line that names the file or flag and what to do.

    The CLI prints it without a traceback and exits with code 2.
    """


class ReportedElsewhere(GanvasError):
    """A failure every process of a multi-process run shares: rank 0 reports it, the others exit quietly."""
