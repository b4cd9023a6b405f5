"""The workshop dashboard: the Solara page, its town view and charts, and its offline assets."""
