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


def test_exception_texts_urls_and_log_messages_are_scrubbed():
    event = {
        "request": {
            "url": "https://assistant/compte/mot-de-passe-oublie/MQ/divhrq-9e53af57dc6acdea19047959/"
        },
        "transaction": "/compte/inscription/confirmer/MzE/divim7-f6fdbd53f6f078fa9144/",
        "exception": {"values": [{"value": "Key (email)=(lea@exemple.fr) already exists."}]},
        "logentry": {"message": "Envoi à %s", "params": ["lea@exemple.fr"]},
    }
    scrubbed = before_send(event, {})
    assert scrubbed["request"]["url"] == f"https://assistant/compte/mot-de-passe-oublie/{FILTERED}/"
    assert scrubbed["transaction"] == f"/compte/inscription/confirmer/{FILTERED}/"
    assert (
        scrubbed["exception"]["values"][0]["value"] == f"Key (email)=({FILTERED}) already exists."
    )
    assert scrubbed["logentry"]["params"] == [FILTERED]


def test_sentry_sends_no_local_variables(monkeypatch):
    import sentry_sdk

    options = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: options.update(kwargs))
    assert init_sentry(
        dsn="https://k@sentry.example/1", environment="t", release="", traces_sample_rate=0
    )
    assert options["include_local_variables"] is False
    assert options["send_default_pii"] is False
    assert options["before_send"] is before_send
