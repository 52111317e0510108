"""The one error type the CLI turns into `ontspan: message` and an exit code."""

EXIT_OK = 0
EXIT_FAIL = 1  # device or operation failure
EXIT_USAGE = 2  # bad input


class OntspanError(Exception):
    """A failure the user can act on; `exit_code` says which kind."""

    def __init__(self, message: str, exit_code: int = EXIT_FAIL):
        super().__init__(message)
        self.exit_code = exit_code


class InputError(OntspanError):
    """Bad input from the user (file, argument): exit code 2."""

    def __init__(self, message: str):
        super().__init__(message, EXIT_USAGE)


class DeviceLost(OntspanError):
    """The device went away or stopped answering in the middle of a command; the
    CLI says `lost the device during <command>; run it again to continue`."""
