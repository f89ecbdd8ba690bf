from config.sentry import FILTERED, before_send, init_sentry


def test_sentry_is_off_without_a_dsn():
    assert init_sentry(dsn="", environment="test", release="", traces_sample_rate=0) is False


def test_events_lose_personal_data_and_credentials():
    event = {
        "user": {"email": "lea@exemple.fr", "id": 3},
        "request": {
            "url": "https://assistant/compte/",
            "query_string": "token=abc",
            "cookies": {"sessionid": "s3cr3t"},
            "data": {"password": "x"},
            "headers": {"Authorization": "Bearer abc", "User-Agent": "Firefox"},
        },
        "extra": {"api_key": "k", "note": "écrire à lea@exemple.fr"},
        "breadcrumbs": {
            "values": [
                {
                    "data": {"url": "https://api.example/v1?key=abc", "http.query": "key=abc"},
                    "message": "login lea@exemple.fr",
                }
            ]
        },
    }
    scrubbed = before_send(event, {})
    assert "user" not in scrubbed
    request = scrubbed["request"]
    assert "cookies" not in request and "data" not in request
    assert request["query_string"] == FILTERED
    assert request["headers"] == {"Authorization": FILTERED, "User-Agent": "Firefox"}
    assert scrubbed["extra"] == {"api_key": FILTERED, "note": f"écrire à {FILTERED}"}
    crumb = scrubbed["breadcrumbs"]["values"][0]
    assert crumb["data"] == {"url": "https://api.example/v1"}
    assert crumb["message"] == f"login {FILTERED}"
