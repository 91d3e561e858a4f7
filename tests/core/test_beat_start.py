"""Beat checks the payment deadlines as it starts, not only at its next hourly slot."""

from celery.signals import beat_init

from brokerage.celery import app


def test_beat_sends_the_deadline_check_when_it_starts(monkeypatch):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, *a, **k: sent.append(name))

    class Beat:  # What celery passes: the beat service, with its app.
        pass

    beat = Beat()
    beat.app = app
    beat_init.send(sender=beat)
    assert sent == ["invoicing.tasks.check_invoice_deadlines"]
    assert "invoicing.tasks.check_invoice_deadlines" in {
        entry["task"] for entry in app.conf.beat_schedule.values()
    }
