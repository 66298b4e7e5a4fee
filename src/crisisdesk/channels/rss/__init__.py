"""News feeds (RSS 2.0, Atom, RDF) polled with conditional GET."""
