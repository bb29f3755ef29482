"""Door check-in: tickets that prove a seat, scans checked against them (online, or offline on a
device holding the ticket list), attendance recorded once per person, first scan winning."""
