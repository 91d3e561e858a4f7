"""The replay command's files: referrals (JSON lines), answers (CSV), zone settings (JSON)."""

import csv
import datetime
import json

from django.utils.dateparse import parse_datetime

from .engine import ANSWERS, Answer, Answers, Referral, ReplayError

ANSWER_COLUMNS = ["ref", "provider", "answer", "after_minutes"]


def read_referrals(lines) -> list[Referral]:
    """One referral a line: the package POST body plus `ref` and `submitted_at` (with offset)."""
    referrals, refs = [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            body = json.loads(line)
        except json.JSONDecodeError as error:
            raise ReplayError(f"referrals line {number}: not JSON ({error.msg})") from error
        if not isinstance(body, dict):
            raise ReplayError(f"referrals line {number}: give each referral as an object")
        ref = str(body.pop("ref", "") or "").strip()
        if not ref:
            raise ReplayError(f"referrals line {number}: ref: give each referral a ref")
        if ref in refs:
            raise ReplayError(f"referrals line {number}: ref: {ref} is given twice")
        refs.add(ref)
        referrals.append(Referral(ref, _moment(body.pop("submitted_at", None), number), body))
    return referrals


def _moment(text, number) -> datetime.datetime:
    moment = parse_datetime(text) if isinstance(text, str) else None
    if moment is None or moment.tzinfo is None:
        raise ReplayError(
            f"referrals line {number}: submitted_at: give an ISO 8601 time with its offset"
        )
    return moment


def read_answers(lines) -> Answers:
    """`ref,provider,answer,after_minutes`: how each provider answers each referral's offers."""
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != ANSWER_COLUMNS:
        raise ReplayError(f"answers: the header must be {','.join(ANSWER_COLUMNS)}")
    table = {}
    for number, row in enumerate(reader, start=2):
        row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        answer = row["answer"].lower()
        if answer not in ANSWERS:
            raise ReplayError(f"answers line {number}: answer: one of {', '.join(ANSWERS)}")
        try:
            after = float(row["after_minutes"] or 0)
        except ValueError:
            after = -1
        if after < 0:
            raise ReplayError(
                f"answers line {number}: after_minutes: a number of minutes, 0 or more"
            )
        table[(row["ref"], row["provider"])] = Answer(answer, datetime.timedelta(minutes=after))
    return Answers(table)


def read_settings(text) -> dict[str, dict]:
    """`{"ZONE-CODE": {zone fields}}`: the zone settings to try instead of the stored ones."""
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReplayError(f"settings: not JSON ({error.msg})") from error
    if not isinstance(settings, dict):
        raise ReplayError('settings: give {"ZONE-CODE": {zone fields}}')
    return settings
