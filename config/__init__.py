"""creditwatch package."""
