from app import respond


def test_healthz():
    assert respond("/healthz") == (200, "text/plain", "ok\n")
