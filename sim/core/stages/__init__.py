"""The weekly stages (ODD section 3 and 7.1-7.8): one module each, its Python and its compiled loops."""
