"""What a chapter computes beyond one call: experiment drivers and verdicts, one module per chapter (only notebooks and the benchmark import these)."""
