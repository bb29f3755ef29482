"""Emails about the domain, built and sent: the content of each email and its personal values
read from invitations, registrations and campaigns (compose), the send and what it means for
the funnel (delivery), and the organiser's previews and test sends. Above the domain packages,
so that `service.mail` (the outbox, the backends, the templates) knows none of them."""
