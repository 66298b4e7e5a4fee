"""X (Twitter) API v2: listening by recent-search polling with a since_id cursor."""
