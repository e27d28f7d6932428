import pytest

from posemachines.threads import single_thread


@pytest.fixture
def one_thread():
    """Small sequential ops gain nothing from threads (see posemachines.threads)."""
    with single_thread():
        yield
