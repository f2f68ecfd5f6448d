from prefect.states import Completed, Failed

from csa_report.errors import DataError, TamperedError, UnreachableError
from csa_report.tasks.retry import retry_options, transient_only


def _failed(exc: Exception):
    return Failed(data=exc)


def test_only_unreachable_is_retried():
    assert transient_only(None, None, _failed(UnreachableError("s3 down"))) is True
    assert transient_only(None, None, _failed(DataError("bad enum"))) is False
    assert transient_only(None, None, _failed(TamperedError("changed"))) is False
    assert transient_only(None, None, _failed(ValueError("bug"))) is False
    assert transient_only(None, None, Completed(data=1)) is False


def test_retry_options_one_retry_per_delay():
    opts = retry_options((1, 2, 3))
    assert opts["retries"] == 3 and opts["retry_delay_seconds"] == [1, 2, 3]
    assert opts["retry_condition_fn"] is transient_only
