"""The replies inbox of the back office: what people wrote back, to read and mark handled."""
