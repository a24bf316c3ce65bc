// agencies_ranked_by_open_findings — agencies by open findings and recommendations, with the total concerning them
// params: —
// The counts are stored with each agency by the build (kg.pg.finding_counts).
MATCH (a:Agency)
WHERE a.findings IS NOT NULL
RETURN a.id AS agency, a.label AS label, a.open_findings AS open, a.findings AS total
ORDER BY open DESC, total DESC, agency
