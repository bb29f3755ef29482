"""Registration emails are handed to the workers in batches by one thread per process: ids put
by concurrent requests leave together, a failed publish loses nothing the tick cannot find, and
the thread goes on."""

from __future__ import annotations

import os
import threading

from service.mail.handoff import Handoff


def test_ids_put_by_concurrent_requests_leave_in_one_publish():
    batches: list[list[int]] = []
    handoff = Handoff(batches.append, linger=0.2)
    start = threading.Barrier(8)

    def request(number: int) -> None:
        start.wait()
        handoff.put([number])

    threads = [threading.Thread(target=request, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert handoff.flush()
    assert sorted(n for batch in batches for n in batch) == list(range(8))
    assert len(batches) < 8  # the negative control: one publish per request would make 8


def test_a_failed_publish_is_logged_and_the_next_ids_still_leave(caplog):
    published: list[list[int]] = []

    def publish(ids: list[int]) -> None:
        if ids == [1]:
            raise ConnectionError("broker down")
        published.append(ids)

    handoff = Handoff(publish, linger=0)
    handoff.put([1])
    assert handoff.flush()
    handoff.put([2, 3])
    assert handoff.flush()

    assert published == [[2, 3]]
    assert "could not hand 1 messages to the workers" in caplog.text


def test_flush_with_nothing_handed_over_returns_at_once():
    assert Handoff(lambda ids: None).flush(timeout=0)


def test_a_forked_child_hands_its_ids_over_by_a_thread_of_its_own(tmp_path):
    published = tmp_path / "published"

    def publish(ids: list[int]) -> None:
        with published.open("a") as out:
            out.write(f"{os.getpid()} {ids}\n")

    handoff = Handoff(publish, linger=0)
    handoff.put([1])  # the parent's thread runs, and holds its lock now and then
    assert handoff.flush()
    child = os.fork()
    if child == 0:  # a gunicorn or Celery worker, forked after the app was imported
        handoff.put([2])
        os._exit(0 if handoff.flush() else 1)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert published.read_text().splitlines() == [f"{os.getpid()} [1]", f"{child} [2]"]
