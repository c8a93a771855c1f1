"""The one exception type a user ever sees."""


class GanvasError(Exception):
    """A user-facing failure: one line that names the file or flag and what to do.

    The CLI prints it without a traceback and exits with code 2.
    """
