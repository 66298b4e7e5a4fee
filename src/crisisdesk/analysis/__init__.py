"""Language, sentiment, insult and complaint-type analysis, and the data its models learn from."""
