"""After-action reviews, analytics and their charts."""
