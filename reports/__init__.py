"""The program's reach against its target: figures, dashboards, exports and the report API.

The top app layer: it reads every app below it and no app imports it."""
