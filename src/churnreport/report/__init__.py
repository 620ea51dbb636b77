"""Report layer: text and charts, notebook context, runner, export, publish."""
