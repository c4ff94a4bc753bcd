"""One module per resource; each route only translates HTTP to a core call and back."""
