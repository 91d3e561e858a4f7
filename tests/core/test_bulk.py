import gc

import pytest

from core import bulk


def test_the_collector_is_paused_while_bulk_work_runs_and_runs_again_after():
    assert gc.isenabled()
    with pytest.raises(LookupError), bulk.collector_paused():
        assert not gc.isenabled()
        raise LookupError
    assert gc.isenabled()


def test_a_pause_inside_another_leaves_the_collector_as_it_found_it():
    with bulk.collector_paused():
        with bulk.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
