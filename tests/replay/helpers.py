"""Replays as a user runs them: files written, the command run, its JSON read."""

import copy
import csv
import datetime
import io
import json
import zlib

from django.core.management import call_command

from packages.nhs import demo_nhs_number
from replay.engine import Referral

START = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)  # a Monday morning
BODY = {
    "person": {
        "given_name": "Ada",
        "family_name": "Ashworth",
        "date_of_birth": "1938-05-17",
        "address_line": "1 Fore Street, Exeter",
        "postcode": "EX1 1AA",
    },
    "source": "community",
    "priority": "standard",
    "start_date": "2026-11-09",
    "visits": [
        {
            "days": ["mon", "wed", "fri"],
            "time": "08:00",
            "duration_minutes": 60,
            "carers": 1,
            "purpose": "personal_care",
        }
    ],
}


def referral(ref, minutes=0, serial=None, **changes):
    """A referral line's object: `ref`, submitted `minutes` after START, a person of its own."""
    body = copy.deepcopy(BODY)
    body["person"]["nhs_number"] = demo_nhs_number(
        serial if serial is not None else zlib.crc32(ref.encode()) % 40000
    )
    body.update(changes)
    return {
        "ref": ref,
        "submitted_at": (START + datetime.timedelta(minutes=minutes)).isoformat(),
        **body,
    }


def referral_object(ref, submitted_at, serial):
    """A Referral (the engine's own) for `ref`, submitted at `submitted_at`."""
    line = referral(ref, serial=serial)
    del line["ref"], line["submitted_at"]
    line["start_date"] = (submitted_at + datetime.timedelta(days=2)).date().isoformat()
    return Referral(ref, submitted_at, line)


def run_replay(tmp_path, referrals, answers, settings=None) -> dict:
    """Write the files, run `manage.py replay`, answer its JSON."""
    r = tmp_path / "R.jsonl"
    r.write_text("".join(json.dumps(line) + "\n" for line in referrals))
    a = tmp_path / "A.csv"
    with a.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ref", "provider", "answer", "after_minutes"])
        writer.writerows(answers)
    args = ["--referrals", str(r), "--answers", str(a)]
    if settings is not None:
        s = tmp_path / "S.json"
        s.write_text(json.dumps(settings))
        args += ["--settings", str(s)]
    out = io.StringIO()
    call_command("replay", *args, stdout=out)
    return json.loads(out.getvalue())
