"""Helpers of the command line: argument checks, error lines and exit codes, progress."""
