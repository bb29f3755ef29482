"""Local servers that stand in for outside services (SendGrid) in tests and benchmarks."""
