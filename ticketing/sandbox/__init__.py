"""Faithful fakes of the external APIs, for tests (in-process transport) and the demo (loopback).

`router.handle` answers an `httpx.Request` like the real service would; `faults` lets a test or
someone trying the demo simulate an outage of one service.
"""
