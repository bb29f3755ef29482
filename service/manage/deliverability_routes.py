"""The deliverability panel: bounces, spam reports and unsubscribes per campaign, and the checks
of the sender domain (SPF, DKIM, DMARC)."""
