"""Support: text, errors, files, durations, dates, YAML nodes, front matter, the editor."""
