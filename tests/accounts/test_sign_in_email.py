"""A sign-in link asked for by email, end to end: the page answers the same for every address,
a real worker sends the link through the SendGrid stand-in, and the link signs in once."""

from __future__ import annotations

import re
from html import unescape

import pytest

from service.accounts import services
from service.accounts.emails import send_sign_in_link
from service.config import load_settings
from service.mail.backends import get_backend
from service.queue import SIGN_IN_TASK
from tests.conftest import TEST_ENV
from tests.mail.conftest import sendgrid_env
from tests.manage.clients import csrf_token
from tests.servers import celery_worker, task_succeeded

pytestmark = pytest.mark.slow
PATH = "/manage/login/link"


def ask(client, email: str) -> str:
    answer = client.post(PATH, data={"email": email, "csrf_token": csrf_token(client, PATH)})
    assert answer.status_code == 200
    return unescape(answer.text)


def test_a_link_is_emailed_to_an_account_and_to_nobody_else(db, factory, client, standin):
    factory.user("claire@example.org", "organiser")
    factory.user("parti@example.org", "comms")
    with celery_worker(sendgrid_env(standin), concurrency=1) as log:
        answers = {ask(client, email) for email in
                   ("Claire@example.org", "personne@example.org")}  # fmt: skip
        log.wait_for(task_succeeded(SIGN_IN_TASK), times=1, timeout=60)
    assert len(answers) == 1  # the same page, known address or not
    assert "un lien de connexion vient d’y être envoyé" in answers.pop()
    [delivery] = standin.deliveries()
    assert delivery.to == ("claire@example.org",)
    assert delivery.subject == "Votre lien de connexion à Convier"
    link = re.search(r"http://\S+(/manage/link/\S+)", delivery.text or "")
    assert link is not None, delivery.text
    assert link.group(1) in (delivery.html or "")
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert "Connexion par lien" in page.text


def test_a_disabled_account_gets_no_link(db, factory, standin):
    factory.user("parti@example.org", "comms")
    with db.transaction() as session:
        user = services.disable_user(session, services.find_user(session, "parti@example.org"))
    worker_settings = load_settings({**TEST_ENV, **sendgrid_env(standin)})
    backend = get_backend(worker_settings)
    assert send_sign_in_link(db, worker_settings, backend, user.id, "fr") is False
    assert standin.deliveries() == []
