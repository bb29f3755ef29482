"""The back office (`/manage/`): pages for organisers and communications staff over the same
services as the CLI and the JSON API."""
