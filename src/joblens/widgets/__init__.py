"""The job view's widgets, by their place on the screen."""
