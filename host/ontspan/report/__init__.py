"""The therapist's report: adherence against the plan, its words, its charts, the HTML page."""
