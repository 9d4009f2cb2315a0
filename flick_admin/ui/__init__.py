"""The page frame every view sits in: layout, menu, safe redirects, error pages."""
