#!/usr/bin/env python
"""Django's command-line utility for the brokerage service."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(replay_settings_renamed(sys.argv))


def replay_settings_renamed(argv):
    """`replay --settings S.json` names the zone settings to try (API.md), not a settings
    module: renamed before Django reads every command's `--settings` as its own."""
    if argv[1:2] != ["replay"]:
        return argv
    return [
        "--zone-settings" + arg[len("--settings") :] if arg.split("=")[0] == "--settings" else arg
        for arg in argv
    ]


if __name__ == "__main__":
    main()
