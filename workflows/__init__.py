"""Bundled workflow definitions (YAML), shipped inside the wheel."""
