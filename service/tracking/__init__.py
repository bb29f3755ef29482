"""What happens to the emails once sent: unsubscribes (and, later, delivery events and replies)."""
