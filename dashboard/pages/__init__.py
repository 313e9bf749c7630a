"""Dash pages: one module per page, loaded by Dash (``use_pages``)."""
