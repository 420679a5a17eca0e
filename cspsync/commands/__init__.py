"""One module per CLI command; each parses flags, calls the library and picks a renderer."""
